// One transaction, read from the chain (on a local chain there is no block explorer).
import type { Hex } from "viem";
import { fill, h } from "./dom";
import { when } from "./format";
import { T } from "./i18n";
import { card, facts } from "./views";
import { chainside } from "./wallet";

export async function renderTx(main: HTMLElement, hash: string): Promise<void> {
  const { client } = chainside();
  const receipt = await client.getTransactionReceipt({ hash: hash as Hex }).catch(() => null);
  if (!receipt) {
    fill(main, card(T("Transaction", "Transaction"), h("p", {}, T("Transaction inconnue (ou pas encore minée).", "Unknown transaction (or not mined yet)."))));
    return;
  }
  const block = await client.getBlock({ blockNumber: receipt.blockNumber });
  fill(
    main,
    card(
      T("Transaction", "Transaction"),
      facts([
        [T("Empreinte", "Hash"), h("code", { class: "mono" }, hash)],
        [T("Statut", "Status"), receipt.status === "success" ? T("réussie", "succeeded") : T("annulée par le contrat", "reverted")],
        [T("Bloc", "Block"), `${receipt.blockNumber} (${when(block.timestamp)})`],
        [T("De", "From"), h("code", { class: "mono" }, receipt.from)],
        [T("Vers", "To"), h("code", { class: "mono" }, receipt.to ?? "—")],
        [T("Gaz utilisé", "Gas used"), receipt.gasUsed.toString()],
        [T("Événements", "Events"), String(receipt.logs.length)],
      ]),
    ),
  );
}
