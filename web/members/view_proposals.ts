// Proposals: read them with their decoded actions (the API decodes them), vote For / Against /
// Abstain with a reason (a signed ballot the relayer casts, or from my wallet), and propose an
// ESS funding from the directory (the description ends with #proposer=, as the Governor requires).
import { encodeFunctionData, type Address } from "viem";
import { api, contract } from "./config";
import { field, fill, h } from "./dom";
import { parseAmount, short, when } from "./format";
import { T } from "./i18n";
import { actionPanel, amount } from "./tx";
import { address, card, needSession, read } from "./views";
import { chainside, session } from "./wallet";

interface Proposal {
  id: string;
  proposer: string;
  state: string;
  title: string;
  vote_end: string | null;
  tally: { for_votes: string; against_votes: string; abstain_votes: string; voters: number };
}
interface Action {
  index: number;
  contract: string | null;
  function: string | null;
  decoded: boolean;
  args: Record<string, unknown>;
  payout: { project_id: string; amount: { units: string } | null; void: boolean } | null;
}
interface Project {
  id: string;
  name: string | null;
  active: boolean;
  payout_wallet: Address;
}

const STATES: Record<string, [string, string]> = {
  pending: ["en attente du vote", "pending"],
  active: ["vote ouvert", "voting"],
  canceled: ["annulée", "canceled"],
  defeated: ["rejetée", "defeated"],
  succeeded: ["adoptée", "succeeded"],
  queued: ["en file d'attente", "queued"],
  expired: ["expirée", "expired"],
  executed: ["exécutée", "executed"],
};

function stateName(state: string): string {
  const names = STATES[state];
  return names ? T(names[0], names[1]) : state;
}

function actionLine(action: Action): string {
  if (action.payout && action.function === "fundEssProject" && action.payout.amount) {
    return T(`Financer le projet ESS n°${action.payout.project_id} : ${amount(BigInt(action.payout.amount.units))}`, `Fund ESS project #${action.payout.project_id}: ${amount(BigInt(action.payout.amount.units))}`) + (action.payout.void ? T(" (annulé par un changement de portefeuille)", " (void: wallet changed)") : "");
  }
  if (action.payout && action.function === "activateProject") return T(`Activer le projet ESS n°${action.payout.project_id}`, `Activate ESS project #${action.payout.project_id}`);
  if (!action.decoded) return T("Appel non décodé", "Undecoded call");
  const args = Object.entries(action.args).map(([k, v]) => `${k}=${argText(action.function, k, v)}`);
  return `${action.contract ?? "?"}.${action.function ?? "?"}(${args.join(", ")})`;
}

/** The arguments of governance calls that are token amounts, by function (as the page shows them). */
const AMOUNT_ARGS: Record<string, readonly string[]> = {
  fundEssProject: ["amount"],
  setCollectiveBudget: ["amount"],
  setMinRelationFee: ["newFee"],
  setMembershipFee: ["fee"],
};

/** One decoded argument: token amounts in the token's unit, structs field by field, long hex shortened. */
function argText(fn: string | null, name: string, value: unknown): string {
  if ((AMOUNT_ARGS[fn ?? ""] ?? []).includes(name) && /^[0-9]+$/.test(String(value))) return amount(BigInt(String(value)));
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${argText(null, k, v)}`).join(", ")}}`;
  }
  return typeof value === "string" && value.length > 20 ? short(value) : String(value);
}

function voteForm(proposal: Proposal, rerender: () => void): HTMLElement {
  const slot = h("div", {});
  const reason = h("textarea", { id: `reason-${proposal.id.slice(0, 8)}`, maxlength: 1000 });
  const name = `support-${proposal.id.slice(0, 12)}`;
  const choices: [number, string][] = [
    [1, T("Pour", "For")],
    [0, T("Contre", "Against")],
    [2, T("Abstention", "Abstain")],
  ];
  const radios = choices.map(([value, label]) => h("label", {}, h("input", { type: "radio", name, value, checked: value === 1 }), label));
  const prepare = h("button", { type: "button", class: "secondary" }, T("Préparer mon vote", "Prepare my vote"));
  prepare.addEventListener("click", () => {
    const picked = slot.parentElement?.querySelector<HTMLInputElement>(`input[name='${name}']:checked`);
    const support = Number(picked?.value ?? 1);
    const label = choices.find(([v]) => v === support)?.[1] ?? "";
    fill(
      slot,
      actionPanel({
        title: T(`Voter « ${label} »`, `Vote "${label}"`),
        explain: [
          T(`Votre voix (un membre, une voix) compte « ${label} » sur « ${proposal.title} ».`, `Your vote (one member, one vote) counts "${label}" on "${proposal.title}".`),
          reason.value.trim() ? T(`Avec votre raison, publique : « ${reason.value.trim()} ».`, `With your reason, public: "${reason.value.trim()}".`) : T("Sans raison (facultative).", "Without a reason (optional)."),
          T("Sans frais : vous signez un bulletin (EIP-712) que le relais dépose ; il ne peut ni le modifier ni voter deux fois.", "Gasless: you sign a ballot (EIP-712) the relayer casts; it can neither change it nor vote twice."),
        ],
        vote: { proposalId: BigInt(proposal.id), support, reason: reason.value.trim() },
        call: () => ({ role: "governor", functionName: "castVoteWithReason", args: [BigInt(proposal.id), support, reason.value.trim()] }),
        onDone: rerender,
      }),
    );
  });
  return h(
    "div",
    { class: "vote", "data-proposal": proposal.id },
    h("fieldset", {}, h("legend", {}, T("Mon vote", "My vote")), h("div", { class: "choices" }, radios)),
    field(T("Raison (facultative, publique)", "Reason (optional, public)"), reason),
    h("div", { class: "row" }, prepare),
    slot,
  );
}

async function proposalItem(proposal: Proposal, rerender: () => void): Promise<HTMLElement> {
  const detail = await api<{ actions: Action[] }>(`/governance/proposals/${proposal.id}`);
  const me = session();
  const voted = me && proposal.state === "active" ? await read<boolean>("governor", "hasVoted", [BigInt(proposal.id), me.address]) : false;
  return h(
    "article",
    { class: "proposal", "data-proposal": proposal.id, "data-state": proposal.state },
    h("h3", {}, proposal.title),
    h("p", {}, h("span", { class: "badge" }, stateName(proposal.state)), " ", T(`Pour ${proposal.tally.for_votes}, contre ${proposal.tally.against_votes}, abstention ${proposal.tally.abstain_votes}`, `For ${proposal.tally.for_votes}, against ${proposal.tally.against_votes}, abstain ${proposal.tally.abstain_votes}`), proposal.vote_end ? T(` — vote jusqu'au ${when(proposal.vote_end)}`, ` — voting until ${when(proposal.vote_end)}`) : ""),
    h("ul", { class: "actions" }, (detail?.actions ?? []).map((a) => h("li", {}, actionLine(a)))),
    proposal.state === "active" && me ? (voted ? h("p", { class: "notice ok" }, T("Vous avez voté sur cette proposition.", "You voted on this proposal.")) : voteForm(proposal, rerender)) : null,
  );
}

async function proposeCard(rerender: () => void): Promise<HTMLElement> {
  const projects = (await api<{ items: Project[] }>("/ess/projects?active=true&limit=200&sort=id"))?.items ?? [];
  const project = h("select", { id: "fund-project" }, projects.map((p) => h("option", { value: p.id }, `n°${p.id} — ${p.name ?? short(p.payout_wallet)}`)));
  const sum = h("input", { type: "text", id: "fund-amount", inputmode: "decimal", autocomplete: "off", placeholder: "1000" });
  const text = h("textarea", { id: "fund-description" });
  const slot = h("div", {});
  const prepare = h("button", { type: "button", class: "secondary" }, T("Préparer la proposition", "Prepare the proposal"));
  prepare.addEventListener("click", async () => {
    const me = session();
    const { token } = chainside().config;
    const units = parseAmount(sum.value, token.decimals);
    if (!me || units === null || units <= 0n || !project.value) {
      fill(slot, h("p", { class: "notice error", role: "alert" }, T("Choisissez un projet et un montant positif.", "Choose a project and a positive amount.")));
      return;
    }
    const id = BigInt(project.value);
    const [wallet, , version] = await read<readonly [Address, boolean, bigint]>("registry", "payoutOf", [id]);
    const pool = contract(chainside().config, "pool");
    const calldata = encodeFunctionData({ abi: pool.abi, functionName: "fundEssProject", args: [id, wallet, version, units] });
    const words = text.value.trim() || T(`Financer le projet ESS n°${id} à hauteur de ${amount(units)}`, `Fund ESS project #${id} with ${amount(units)}`);
    const description = `${words}\n\n#proposer=${me.address.toLowerCase()}`;
    fill(
      slot,
      actionPanel({
        title: T("Proposer", "Propose"),
        explain: [
          T(`Governor.propose : si le vote l'adopte, le timelock verse ${amount(units)} du compartiment ESS au portefeuille ${short(wallet)} (version ${version}).`, `Governor.propose: if adopted, the timelock pays ${amount(units)} of the ESS bucket to wallet ${short(wallet)} (version ${version}).`),
          T("Un changement de portefeuille du projet avant l'exécution annule ce financement.", "A change of the project's wallet before execution voids this funding."),
          T("La description se termine par votre adresse (#proposer=) : personne ne peut la copier ni l'annuler à votre place.", "The description ends with your address (#proposer=): nobody can copy or cancel it in your place."),
        ],
        call: () => ({ role: "governor", functionName: "propose", args: [[address("pool")], [0n], [calldata], description] }),
        onDone: rerender,
      }),
    );
  });
  return card(
    T("Proposer un financement ESS", "Propose an ESS funding"),
    h(
      "form",
      { class: "stack", onsubmit: (e: Event) => e.preventDefault() },
      field(T("Projet de l'annuaire (actifs)", "Project of the directory (active)"), project),
      field(T(`Montant (${chainside().config.token.symbol})`, `Amount (${chainside().config.token.symbol})`), sum),
      field(T("Description (facultative)", "Description (optional)"), text),
      h("div", { class: "row" }, prepare),
    ),
    slot,
  );
}

export async function renderProposals(main: HTMLElement): Promise<void> {
  const rerender = () => void renderProposals(main);
  const list = (await api<{ items: Proposal[] }>("/governance/proposals?limit=20"))?.items ?? [];
  const items = await Promise.all(list.map((p) => proposalItem(p, rerender)));
  const me = needSession();
  fill(
    main,
    card(T("Propositions", "Proposals"), items.length ? h("div", { id: "proposal-list" }, items) : h("p", { class: "muted" }, T("Aucune proposition.", "No proposal."))),
    me instanceof HTMLElement ? me : await proposeCard(rerender),
  );
}
