// The first view: connect a wallet (any EIP-6963 wallet, or the demo wallet on a local chain),
// then my membership, my points, what I can claim, my relations and claims.
import type { EIP6963ProviderDetail } from "mipd";
import { api } from "./config";
import { fill, h } from "./dom";
import { count, reference, short, when } from "./format";
import { T } from "./i18n";
import { amount, txLink } from "./tx";
import { card, facts, kindName, memberOf, read } from "./views";
import { DEMO_RDNS } from "./demo_wallet";
import { chainside, connect, disconnect, session, wallets } from "./wallet";
import type { Hex } from "viem";

interface ApiAmount {
  units: string;
  display: string;
}
interface ApiRelation {
  tx_hash: Hex;
  direction: "paid" | "received";
  payer: string;
  counterparty: string;
  relation_ref: string;
  amount: ApiAmount;
  time?: string | null;
  block_time?: string | null;
}
interface ApiMember {
  recent_relations: ApiRelation[];
  recent_claims: { tx_hash: Hex; amount: ApiAmount; time?: string | null; block_time?: string | null }[];
  invitations_available: number;
  next_invitation_at: string | null;
}

function walletPicker(rerender: () => void): HTMLElement {
  const side = chainside();
  const list = h("div", { class: "wallets" });
  const found = wallets();
  const injected = found.filter((d) => d.info.rdns !== DEMO_RDNS);
  const demo = found.find((d) => d.info.rdns === DEMO_RDNS);
  const go = (detail: EIP6963ProviderDetail, demoAddress?: string) => async () => {
    try {
      await connect(detail, demoAddress);
      rerender();
    } catch (error) {
      list.append(h("p", { class: "notice error", role: "alert" }, T("Connexion refusée : ", "Connection refused: ") + String((error as Error).message ?? error)));
    }
  };
  for (const detail of injected) {
    list.append(h("button", { type: "button", class: "secondary", onclick: go(detail) }, h("img", { src: detail.info.icon, alt: "" }), detail.info.name));
  }
  if (!injected.length) {
    list.append(h("p", { class: "muted" }, T("Aucun portefeuille de navigateur détecté (MetaMask, Rabby, Frame…).", "No browser wallet found (MetaMask, Rabby, Frame…).")));
  }
  if (demo && side.demo) {
    const select = h("select", { id: "demo-account", "aria-label": T("Compte de démonstration", "Demo account") });
    for (const account of side.demo.accounts) {
      select.append(h("option", { value: account.address }, `${account.name} — ${short(account.address)}`));
    }
    const candidate = side.demo.accounts.find((a) => a.role === "candidate");
    if (candidate) select.value = candidate.address;
    list.append(
      h("h3", {}, T("Portefeuille de démonstration (chaîne locale)", "Demo wallet (local chain)")),
      h("p", { class: "muted" }, T("Signe avec les clés publiques de test d'anvil : n'existe que sur une chaîne locale.", "Signs with anvil's public test keys: exists on a local chain only.")),
      h("label", { for: "demo-account" }, T("Agir en tant que", "Act as")),
      select,
      h("button", { type: "button", class: "primary", id: "demo-connect", onclick: () => void go(demo, select.value)() }, T("Utiliser ce compte de démonstration", "Use this demo account")),
    );
  }
  return card(T("Connecter un portefeuille", "Connect a wallet"), list);
}

export async function renderAccount(main: HTMLElement): Promise<void> {
  const rerender = () => void renderAccount(main);
  const me = session();
  if (!me) {
    fill(main, walletPicker(rerender));
    return;
  }
  const { config } = chainside();
  const [member, points, claimable, balance, eth, detail] = await Promise.all([
    memberOf(me.address),
    read<{ matured: bigint; pending: bigint; pendingEpoch: bigint; maturesAt: bigint }>("pool", "memberPoints", [me.address]),
    read<bigint>("pool", "claimableOf", [me.address]),
    read<bigint>("token", "balanceOf", [me.address]),
    chainside().client.getBalance({ address: me.address }),
    api<ApiMember>(`/members/${me.address}`),
  ]);
  const isMember = Number(member.joinedAt) > 0;
  const now = Date.now() / 1000;
  const wallet = card(
    T("Mon portefeuille", "My wallet"),
    facts([
      [T("Adresse", "Address"), h("code", { class: "mono", id: "my-address" }, me.address)],
      [T("Portefeuille", "Wallet"), me.name],
      [T("Solde", "Balance"), amount(balance)],
      ["ETH", `${(Number(eth) / 1e18).toFixed(4)} ETH`],
    ]),
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: () => { disconnect(); rerender(); } }, T("Changer de portefeuille", "Switch wallet"))),
  );
  if (!isMember) {
    fill(
      main,
      wallet,
      card(
        T("Pas encore membre", "Not a member yet"),
        h("p", { id: "membership-state", "data-member": "false" }, T("Cette adresse n'est pas membre. Un membre peut vous inviter ; vous acceptez ensuite l'invitation : ", "This address is not a member. A member may invite you; you then accept the invitation: "), h("a", { href: "#/adhesion" }, T("voir mes invitations", "see my invitations")), "."),
      ),
    );
    return;
  }
  const probationOver = Number(member.votesFrom) <= now;
  const membership = card(
    T("Mon adhésion", "My membership"),
    facts([
      [T("Type", "Kind"), kindName(Number(member.kind))],
      [T("Parrain", "Sponsor"), BigInt(member.sponsor) === 0n ? T("aucun (fondateur ou admission)", "none (founder or admission)") : h("code", { class: "mono" }, member.sponsor)],
      [T("Adhésion", "Joined"), when(member.joinedAt)],
      [T("Période probatoire", "Probation"), probationOver ? T(`terminée (${when(member.votesFrom)})`, `over (${when(member.votesFrom)})`) : T(`jusqu'au ${when(member.votesFrom)} : vote, invitations et propositions ensuite`, `until ${when(member.votesFrom)}: voting, inviting and proposing after that`)],
      [T("Statut", "Status"), Number(member.excludedAt) > 0 ? T(`exclu le ${when(member.excludedAt)}`, `excluded on ${when(member.excludedAt)}`) : T("actif", "active")],
    ]),
  );
  membership.querySelector("dl")?.setAttribute("id", "membership-state");
  membership.querySelector("dl")?.setAttribute("data-member", "true");
  const rewards = card(
    T("Mes points et mes récompenses", "My points and rewards"),
    facts([
      [T("Points mûrs", "Matured points"), h("span", { id: "points-matured" }, count(points.matured))],
      [T("Points en attente", "Pending points"), h("span", { id: "points-pending" }, points.pending > 0n ? T(`${count(points.pending)} (mûrs le ${when(points.maturesAt)})`, `${count(points.pending)} (mature on ${when(points.maturesAt)})`) : "0")],
      [T("À réclamer", "Claimable"), h("strong", { id: "claimable" }, amount(claimable))],
    ]),
    h("p", {}, h("a", { href: "#/recompenses" }, T("Réclamer", "Claim"))),
  );
  const relations = detail?.recent_relations ?? [];
  const claims = detail?.recent_claims ?? [];
  const history = card(
    T("Mes relations et réclamations", "My relations and claims"),
    h("h3", {}, T("Relations récentes", "Recent relations")),
    relations.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            // "stack": on a phone each relation becomes a block of labelled lines (members.css)
            { class: "stack" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, T("Sens", "Direction")), h("th", { scope: "col" }, T("Référence", "Reference")), h("th", { scope: "col" }, T("Avec", "With")), h("th", { scope: "col", class: "num" }, T("Montant", "Amount")), h("th", { scope: "col" }, "Tx"))),
            h("tbody", {}, relations.map((r) => h("tr", {}, h("td", { "data-label": T("Sens", "Direction") }, r.direction === "paid" ? T("payée", "paid") : T("reçue", "received")), h("td", { "data-label": T("Référence", "Reference") }, reference(r.relation_ref)), h("td", { class: "mono", "data-label": T("Avec", "With") }, short(r.direction === "paid" ? r.counterparty : r.payer)), h("td", { class: "num", "data-label": T("Montant", "Amount") }, amount(BigInt(r.amount.units))), h("td", { "data-label": "Tx" }, txLink(r.tx_hash))))),
          ),
        )
      : h("p", { class: "muted" }, T("Aucune relation pour l'instant (l'indexeur peut avoir quelques secondes de retard).", "No relation yet (the indexer may be a few seconds behind).")),
    h("h3", {}, T("Réclamations", "Claims")),
    claims.length
      ? h("ul", {}, claims.map((c) => h("li", {}, amount(BigInt(c.amount.units)), " — ", txLink(c.tx_hash))))
      : h("p", { class: "muted" }, T("Aucune réclamation.", "No claim.")),
  );
  void config;
  fill(main, wallet, membership, rewards, history);
}
