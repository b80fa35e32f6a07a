// What the views share: the connected session or a prompt to connect, live reads, headings.
import type { Abi, Address } from "viem";
import { contract } from "./config";
import { h } from "./dom";
import { T } from "./i18n";
import { chainside, session, type Session } from "./wallet";

export type View = (main: HTMLElement, arg: string) => Promise<void>;

export const KINDS = ["Pilote", "Abeille", "EssStructure"] as const;

export function kindName(kind: string | number | null | undefined): string {
  const name = typeof kind === "number" ? KINDS[kind] : kind;
  switch (name) {
    case "Pilote":
      return T("Pilote (entreprise, institution)", "Pilote (company, institution)");
    case "Abeille":
      return T("Abeille (particulier, indépendant, petite entreprise)", "Abeille (individual, freelancer, small firm)");
    case "EssStructure":
      return T("Structure ESS", "ESS structure");
    default:
      return "—";
  }
}

/** The section heading and its card. */
export function card(title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

/** The session, or a card asking to connect (returned instead). */
export function needSession(): Session | HTMLElement {
  const current = session();
  if (current) return current;
  return card(
    T("Portefeuille non connecté", "No wallet connected"),
    h("p", {}, T("Connectez un portefeuille pour agir : ", "Connect a wallet to act: "), h("a", { href: "#/" }, T("choisir un portefeuille", "choose a wallet")), "."),
  );
}

/** A view of a contract (eth_call through the app's RPC). */
export async function read<T>(role: string, functionName: string, args: readonly unknown[] = []): Promise<T> {
  const side = chainside();
  const c = contract(side.config, role);
  return (await side.client.readContract({ address: c.address, abi: c.abi as Abi, functionName, args })) as T;
}

export function address(role: string): Address {
  return contract(chainside().config, role).address;
}

/** A definition list of facts. */
export function facts(rows: [string, Node | string][]): HTMLElement {
  return h("dl", { class: "facts" }, rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export interface MemberView {
  sponsor: Address;
  joinedAt: number;
  kind: number;
  invitationsSent: number;
  excludedAt: number;
  votesFrom: number;
}

/** The member's record on chain (joinedAt 0: not a member). */
export function memberOf(account: Address): Promise<MemberView> {
  return read<MemberView>("membership", "memberOf", [account]);
}
