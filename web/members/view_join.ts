// Join and invite: accept an invitation (the fee paid with an EIP-2612 permit, one transaction:
// Membership.acceptInvitationWithPermit), invite someone within my allowance (when it refills).
import { isAddress, type Address } from "viem";
import { api } from "./config";
import { field, fill, h } from "./dom";
import { short, when } from "./format";
import { T } from "./i18n";
import { actionPanel, amount } from "./tx";
import { address, card, KINDS, kindName, memberOf, needSession, read } from "./views";
import { chainside, type Session } from "./wallet";

interface Invitation {
  sponsor: Address;
  kind: string | null;
  expires_at: string | null;
  status: string;
}

async function acceptCards(me: Session, rerender: () => void): Promise<HTMLElement[]> {
  const [list, fee] = await Promise.all([
    api<{ items: Invitation[] }>(`/invitations?invitee=${me.address}&status=live&limit=50`),
    read<bigint>("membership", "membershipFee"),
  ]);
  const live = list?.items ?? [];
  if (!live.length) {
    return [card(T("Mes invitations", "My invitations"), h("p", { id: "no-invitation" }, T("Aucune invitation en cours pour cette adresse. Un membre sorti de sa période probatoire peut vous inviter.", "No live invitation for this address. A member past its probation may invite you.")))];
  }
  return live.map((invitation) => {
    const kind = KINDS.indexOf((invitation.kind ?? "Pilote") as (typeof KINDS)[number]);
    return card(
      T("Accepter une invitation", "Accept an invitation"),
      h("p", {}, T(`Invitation de ${short(invitation.sponsor)} comme ${kindName(invitation.kind)}, valable jusqu'au ${when(invitation.expires_at)}.`, `Invitation from ${short(invitation.sponsor)} as ${kindName(invitation.kind)}, valid until ${when(invitation.expires_at)}.`)),
      actionPanel({
        title: T(`Adhérer et payer ${amount(fee)}`, `Join and pay ${amount(fee)}`),
        explain: [
          T(`Vous signez un permis : le fonds prélève la cotisation de ${amount(fee)} (rien de plus).`, `You sign a permit: the pool takes the ${amount(fee)} fee (nothing more).`),
          T(`Puis une transaction : Membership.acceptInvitationWithPermit nomme le parrain ${short(invitation.sponsor)} et le type ${kindName(invitation.kind)}, si bien que personne ne peut détourner l'invitation.`, `Then one transaction: Membership.acceptInvitationWithPermit names the sponsor ${short(invitation.sponsor)} and the kind, so nobody can take the invitation over.`),
          T("Votre vote compte, et vous pourrez inviter et proposer, après la période probatoire.", "Your vote counts, and you may invite and propose, after the probation."),
        ],
        permit: { spender: address("pool"), value: fee },
        call: (permit) => ({
          role: "membership",
          functionName: "acceptInvitationWithPermit",
          args: [invitation.sponsor, kind, permit?.deadline ?? 0n, permit?.v ?? 0, permit?.r ?? "0x", permit?.s ?? "0x"],
        }),
        onDone: rerender,
      }),
    );
  });
}

async function inviteCard(me: Session, rerender: () => void): Promise<HTMLElement | null> {
  const member = await memberOf(me.address);
  if (Number(member.joinedAt) === 0) return null;
  const [available, nextAt] = await read<readonly [bigint, bigint]>("membership", "invitationsAvailable", [me.address]);
  const demo = chainside().demo;
  const candidates = demo ? demo.accounts.filter((a) => a.role === "candidate") : [];
  const invitee = h("input", { type: "text", inputmode: "text", autocomplete: "off", spellcheck: "false", placeholder: "0x…", id: "invitee", list: candidates.length ? "demo-candidates" : null });
  const suggestions = candidates.length ? h("datalist", { id: "demo-candidates" }, candidates.map((a) => h("option", { value: a.address }, a.name))) : null;
  const kind = h("select", { id: "invite-kind" }, KINDS.map((k) => h("option", { value: k }, kindName(k))));
  const slot = h("div", {});
  const allowance = T(
    `Invitations disponibles : ${available}${nextAt > 0n ? ` ; la prochaine arrive le ${when(nextAt)}` : " (plafond atteint)"}.`,
    `Invitations available: ${available}${nextAt > 0n ? `; the next accrues on ${when(nextAt)}` : " (at the cap)"}.`,
  );
  const prepare = h("button", { type: "button", class: "secondary" }, T("Préparer l'invitation", "Prepare the invitation"));
  prepare.addEventListener("click", () => {
    const target = invitee.value.trim();
    if (!isAddress(target)) {
      fill(slot, h("p", { class: "notice error", role: "alert" }, T("Cette adresse n'est pas une adresse Ethereum valide (0x suivi de 40 caractères hexadécimaux).", "This is not a valid Ethereum address (0x and 40 hex digits).")));
      return;
    }
    const k = KINDS.indexOf(kind.value as (typeof KINDS)[number]);
    fill(
      slot,
      actionPanel({
        title: T("Inviter", "Invite"),
        explain: [
          T(`Membership.invite : ${short(target)} pourra adhérer comme ${kindName(k)} en vous nommant comme parrain.`, `Membership.invite: ${short(target)} may join as ${kindName(k)} naming you as sponsor.`),
          T("Une invitation de votre allocation est utilisée ; elle expire si elle n'est pas acceptée à temps.", "One invitation of your allowance is used; it expires if not accepted in time."),
          k === 2 ? T("Une structure ESS n'adhère qu'une fois attestée par une CRESS (ou admise par la gouvernance).", "An ESS structure joins only once attested by a CRESS (or admitted by governance).") : "",
        ].filter(Boolean),
        call: () => ({ role: "membership", functionName: "invite", args: [target, k] }),
        onDone: rerender,
      }),
    );
  });
  return card(
    T("Inviter quelqu'un", "Invite someone"),
    h("p", { id: "invitation-allowance" }, allowance),
    h("form", { class: "stack", onsubmit: (e: Event) => e.preventDefault() }, field(T("Adresse de la personne invitée", "Invitee's address"), invitee, candidates.length ? T("démo : les candidats du portefeuille de démonstration sont proposés", "demo: the demo wallet's candidates are suggested") : undefined), suggestions, field(T("Type de membre", "Member kind"), kind), h("div", { class: "row" }, prepare)),
    slot,
  );
}

export async function renderJoin(main: HTMLElement): Promise<void> {
  const me = needSession();
  if (me instanceof HTMLElement) {
    fill(main, me);
    return;
  }
  const rerender = () => void renderJoin(main);
  const member = await memberOf(me.address);
  const parts: HTMLElement[] = [];
  if (Number(member.joinedAt) === 0) parts.push(...(await acceptCards(me, rerender)));
  else parts.push(card(T("Adhésion", "Membership"), h("p", { id: "already-member" }, T(`Vous êtes membre depuis le ${when(member.joinedAt)}.`, `You are a member since ${when(member.joinedAt)}.`))));
  const invite = await inviteCard(me, rerender);
  if (invite) parts.push(invite);
  fill(main, ...parts);
}
