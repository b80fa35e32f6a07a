// Claim my rewards (Redistribution.claim).
import { fill, h } from "./dom";
import { when } from "./format";
import { T } from "./i18n";
import { actionPanel, amount } from "./tx";
import { card, facts, needSession, read } from "./views";

export async function renderClaim(main: HTMLElement): Promise<void> {
  const me = needSession();
  if (me instanceof HTMLElement) {
    fill(main, me);
    return;
  }
  const [claimable, points] = await Promise.all([
    read<bigint>("pool", "claimableOf", [me.address]),
    read<{ matured: bigint; pending: bigint; maturesAt: bigint }>("pool", "memberPoints", [me.address]),
  ]);
  fill(
    main,
    card(
      T("Réclamer mes récompenses", "Claim my rewards"),
      facts([
        [T("À réclamer", "Claimable"), h("strong", { id: "claim-amount" }, amount(claimable))],
        [T("Points en attente", "Pending points"), points.pending > 0n ? T(`mûrs le ${when(points.maturesAt)} : ils partagent les entrées suivantes`, `mature on ${when(points.maturesAt)}: they share in later inflows`) : "0"],
      ]),
      actionPanel({
        title: T(`Réclamer ${amount(claimable)}`, `Claim ${amount(claimable)}`),
        explain: [
          T(`Redistribution.claim vous verse ${amount(claimable)}, votre part des entrées depuis que vos points ont mûri.`, `Redistribution.claim pays you ${amount(claimable)}, your share of the inflows since your points matured.`),
          claimable === 0n ? T("Vous n'avez rien à réclamer pour l'instant : le contrat refusera.", "You have nothing to claim now: the contract will refuse.") : "",
        ].filter(Boolean),
        call: () => ({ role: "pool", functionName: "claim", args: [] }),
        onDone: () => void renderClaim(main),
      }),
    ),
  );
}
