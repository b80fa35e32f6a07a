// Pay a relation with a reference: the split shown before signing, one permit signature, then one
// transaction (Redistribution.payRelationWithPermit).
import { isAddress, stringToHex } from "viem";
import { field, fill, h } from "./dom";
import { parseAmount, short } from "./format";
import { T } from "./i18n";
import { actionPanel, amount } from "./tx";
import { address, card, needSession, read } from "./views";
import { chainside } from "./wallet";

/** The parts of `units` by basis points, each rounded to the cent so that they add up to the
 * amount shown (largest remainders get the leftover cents). */
export function splitToCents(units: bigint, bps: number[], decimals: number): bigint[] {
  const cent = 10n ** BigInt(Math.max(decimals - 2, 0));
  const totalCents = (units + cent / 2n) / cent;
  const exact = bps.map((b) => units * BigInt(b));
  const floors = exact.map((e) => e / (10_000n * cent));
  let left = totalCents - floors.reduce((a, b) => a + b, 0n);
  const order = exact.map((e, i) => [e % (10_000n * cent), i] as const).sort((a, b) => (b[0] > a[0] ? 1 : b[0] < a[0] ? -1 : 0));
  for (const [, i] of order) {
    if (left <= 0n) break;
    floors[i] = (floors[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return floors.map((f) => f * cent);
}

export async function renderPay(main: HTMLElement): Promise<void> {
  const me = needSession();
  if (me instanceof HTMLElement) {
    fill(main, me);
    return;
  }
  const { token } = chainside().config;
  const [shares, minimum] = await Promise.all([
    read<{ membersBps: number; essBps: number; collectiveBps: number }>("pool", "shares"),
    read<bigint>("pool", "minRelationFee"),
  ]);
  const counterparty = h("input", { type: "text", id: "pay-counterparty", autocomplete: "off", spellcheck: "false", placeholder: "0x…" });
  const sum = h("input", { type: "text", id: "pay-amount", inputmode: "decimal", autocomplete: "off", placeholder: "25,50" });
  const reference = h("input", { type: "text", id: "pay-ref", maxlength: 31, autocomplete: "off", placeholder: "RDV-2025-0001" });
  const slot = h("div", {});
  const prepare = h("button", { type: "button", class: "secondary", id: "pay-prepare" }, T("Voir la répartition", "Show the split"));
  prepare.addEventListener("click", () => {
    const other = counterparty.value.trim();
    const units = parseAmount(sum.value, token.decimals);
    const ref = reference.value.trim();
    const problems: string[] = [];
    if (!isAddress(other)) problems.push(T("L'adresse de l'autre membre n'est pas valide.", "The other member's address is not valid."));
    if (units === null || units <= 0n) problems.push(T("Le montant doit être un nombre positif, par exemple 25,50.", "The amount must be a positive number, e.g. 25.50."));
    if (!ref || new TextEncoder().encode(ref).length > 31) problems.push(T("La référence est obligatoire (31 caractères au plus), par exemple RDV-2025-0001.", "A reference is required (at most 31 characters), e.g. RDV-2025-0001."));
    if (problems.length || units === null) {
      fill(slot, h("div", { class: "notice error", role: "alert" }, problems.map((p) => h("p", {}, p))));
      return;
    }
    const [toMembers, toEss, toCollective] = splitToCents(units, [shares.membersBps, shares.essBps, shares.collectiveBps], token.decimals);
    fill(
      slot,
      h(
        "div",
        { class: "split", id: "pay-split" },
        h("div", { class: "members" }, h("strong", {}, T("Membres", "Members")), h("br"), `${amount(toMembers ?? 0n)} (${shares.membersBps / 100} %)`),
        h("div", { class: "ess" }, h("strong", {}, "ESS"), h("br"), `${amount(toEss ?? 0n)} (${shares.essBps / 100} %)`),
        h("div", { class: "collective" }, h("strong", {}, T("Fonds collectif", "Collective fund")), h("br"), `${amount(toCollective ?? 0n)} (${shares.collectiveBps / 100} %)`),
      ),
      actionPanel({
        title: T(`Payer ${amount(units)}`, `Pay ${amount(units)}`),
        explain: [
          T(`Vous signez un permis : le fonds prélève ${amount(units)} sur votre compte, pas plus.`, `You sign a permit: the pool takes ${amount(units)} from your account, no more.`),
          T(`Puis une transaction : Redistribution.payRelationWithPermit paie la relation « ${ref} » avec ${short(other)} ; le montant est réparti aussitôt comme ci-dessus.`, `Then one transaction: Redistribution.payRelationWithPermit pays relation "${ref}" with ${short(other)}; the amount is split at once as above.`),
          T("Vous, l'autre membre et vos parrains directs gagnez des points, mûrs à la fin de l'époque en cours.", "You, the other member and your direct sponsors earn points, matured when the current epoch ends."),
          minimum > 0n ? T(`Minimum d'une relation : ${amount(minimum)}.`, `Minimum relation fee: ${amount(minimum)}.`) : "",
        ].filter(Boolean),
        permit: { spender: address("pool"), value: units },
        call: (permit) => ({
          role: "pool",
          functionName: "payRelationWithPermit",
          args: [other, units, stringToHex(ref, { size: 32 }), permit?.deadline ?? 0n, permit?.v ?? 0, permit?.r ?? "0x", permit?.s ?? "0x"],
        }),
      }),
    );
  });
  fill(
    main,
    card(
      T("Payer une relation", "Pay a relation"),
      h("p", { class: "muted" }, T("Un rendez-vous d'affaires, une mise en relation avec un fournisseur : chaque euro payé est réparti en public entre les membres, l'ESS et le fonds collectif.", "A business meeting, a supplier introduction: every euro paid is split in public between the members, ESS and the collective fund.")),
      h(
        "form",
        { class: "stack", onsubmit: (e: Event) => e.preventDefault() },
        field(T("Adresse de l'autre membre", "The other member's address"), counterparty),
        field(T(`Montant (${token.symbol})`, `Amount (${token.symbol})`), sum, T("deux décimales au plus, par exemple 25,50", "at most two decimals, e.g. 25.50")),
        field(T("Référence", "Reference"), reference, T("l'identifiant du rendez-vous, par exemple RDV-2025-0001", "the meeting's id, e.g. RDV-2025-0001")),
        h("div", { class: "row" }, prepare),
      ),
      slot,
    ),
  );
}
