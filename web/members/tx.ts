// Every transaction explained before signing, its progress shown step by step, a revert explained
// in one sentence, a link to the transaction. Two ways to send: gasless (the default when the API
// relays: the member signs, the relayer sends and pays) or from the member's own wallet (when it
// holds ETH).
import { encodeFunctionData, type Address, type Hex } from "viem";
import { contract } from "./config";
import { fill, h } from "./dom";
import { money, when } from "./format";
import { T } from "./i18n";
import { relayBudget, relayEnabled, relayForward, relayVote, waitRelayed, RelayError } from "./relayer";
import { explainByName, explainRevert } from "./reverts";
import { signBallot, signForwardRequest, signPermit, type Permit } from "./signing";
import { chainside, session, type Session } from "./wallet";

export interface Call {
  role: string;
  functionName: string;
  args: readonly unknown[];
}

export interface ActionSpec {
  /** The button's words ("Payer 25,50 tEUR"). */
  title: string;
  /** What will happen, line by line, shown before anything is signed. */
  explain: (string | HTMLElement)[];
  /** A permit signed first (EIP-2612): the pool takes `value` of the member's tokens. */
  permit?: { spender: Address; value: bigint };
  /** The call, given the permit when there is one. */
  call: (permit: Permit | null) => Call;
  /** A vote: relayed as a signed ballot instead of a forwarded call. */
  vote?: { proposalId: bigint; support: number; reason: string };
  /** What "Actualiser" does once the transaction is mined (the outcome stays on screen until then). */
  onDone?: () => void;
}

type Mode = "gasless" | "direct";

/** An amount in the token's words. */
export function amount(units: bigint): string {
  const { token } = chainside().config;
  return money(units, token.decimals, token.symbol);
}

/** A link to a transaction: the explorer's, or the app's own view of it on a local chain. */
export function txLink(hash: Hex): HTMLElement {
  const template = chainside().config.explorer_tx_url;
  const href = template ? template.replace("{tx}", hash) : `#/tx/${hash}`;
  return h("a", { href, class: "mono", "data-tx": hash }, `${hash.slice(0, 10)}…${hash.slice(-8)}`);
}

function gaslessAvailable(): boolean {
  const { config } = chainside();
  return config.relayer && Boolean(config.contracts["forwarder"]);
}

/** The panel of one action: explanation, how to send, the button, the progress. */
export function actionPanel(spec: ActionSpec): HTMLElement {
  const progress = h("ol", { class: "steps" });
  const result = h("div", { class: "result", "aria-live": "polite" });
  const panel = h("div", { class: "tx-panel", "data-action": spec.title });
  const name = `mode-${Math.random().toString(36).slice(2, 8)}`;
  const gasless = gaslessAvailable();
  const gaslessRadio = h("input", { type: "radio", name, value: "gasless", checked: gasless, disabled: !gasless });
  const directRadio = h("input", { type: "radio", name, value: "direct", checked: !gasless });
  const ethNote = h("span", { class: "hint" });
  const button = h("button", { type: "button", class: "primary" }, spec.title);
  const modes = h(
    "fieldset",
    { class: "modes" },
    h("legend", {}, T("Envoi", "Sending")),
    h(
      "div",
      { class: "choices" },
      h("label", {}, gaslessRadio, T("Sans frais : je signe, l'association envoie et paie le gaz", "Gasless: I sign, the association sends and pays the gas")),
      h("label", {}, directRadio, T("Depuis mon portefeuille (je paie le gaz en ETH)", "From my wallet (I pay the gas in ETH)")),
    ),
    ethNote,
  );
  const current = session();
  // which ways are open: the relayer (asked) and the wallet's own ETH (read)
  void Promise.all([
    gasless ? relayEnabled() : Promise.resolve(false),
    current ? chainside().client.getBalance({ address: current.address }).catch(() => 1n) : Promise.resolve(1n),
    gasless && current ? relayBudget(current.address) : Promise.resolve(null),
  ]).then(([relayOn, wei, budget]) => {
    gaslessRadio.disabled = !relayOn;
    directRadio.disabled = wei === 0n;
    gaslessRadio.checked = relayOn;
    directRadio.checked = !relayOn && wei > 0n;
    const notes: string[] = [];
    if (!relayOn) notes.push(T("Le relais de l'API n'est pas disponible sur ce réseau.", "The API's relayer is not available on this network."));
    if (relayOn && budget) {
      const left = Math.max(budget.requests_allowed - budget.requests_used, 0);
      notes.push(T(`Envois sans frais restants aujourd'hui : ${left} sur ${budget.requests_allowed}.`, `Gasless sends left today: ${left} of ${budget.requests_allowed}.`));
    }
    if (wei === 0n) notes.push(T("Votre compte ne détient pas d'ETH pour payer le gaz.", "Your account holds no ETH to pay for gas."));
    if (!relayOn && wei === 0n) {
      notes.push(T("Aucun envoi n'est possible pour l'instant.", "Nothing can be sent for now."));
      button.disabled = true;
    }
    ethNote.textContent = notes.join(" ");
  });
  button.addEventListener("click", () => {
    const mode: Mode = gaslessRadio.checked ? "gasless" : "direct";
    button.disabled = true;
    if (!gaslessRadio.checked && !directRadio.checked) return;
    void run(spec, mode, progress, result).finally(() => {
      button.disabled = false;
    });
  });
  fill(
    panel,
    h("ul", { class: "explain" }, spec.explain.map((line) => h("li", {}, line))),
    modes,
    h("div", { class: "row" }, button),
    progress,
    result,
  );
  return panel;
}

function step(progress: HTMLElement, text: string): HTMLLIElement {
  for (const li of progress.querySelectorAll("li[data-state='active']")) li.setAttribute("data-state", "done");
  const li = h("li", { "data-state": "active" }, text);
  progress.append(li);
  return li;
}

async function simulate(me: Session, call: Call): Promise<void> {
  const side = chainside();
  const c = contract(side.config, call.role);
  await side.client.simulateContract({ account: me.address, address: c.address, abi: c.abi, functionName: call.functionName, args: call.args });
}

async function run(spec: ActionSpec, mode: Mode, progress: HTMLElement, result: HTMLElement): Promise<void> {
  const side = chainside();
  fill(progress);
  fill(result);
  result.removeAttribute("data-state");
  const me = session();
  if (!me) {
    fill(result, h("p", { class: "notice error" }, T("Connectez d'abord un portefeuille.", "Connect a wallet first.")));
    return;
  }
  try {
    let permit: Permit | null = null;
    if (spec.permit) {
      step(progress, T(`Signature du permis : le fonds pourra prélever ${amount(spec.permit.value)}`, `Signing the permit: the pool may take ${amount(spec.permit.value)}`));
      permit = await signPermit(me, spec.permit.spender, spec.permit.value);
    }
    const call = spec.call(permit);
    const target = contract(side.config, call.role);
    step(progress, T("Vérification de l'opération sur la chaîne", "Checking the operation on chain"));
    await simulate(me, call);
    const data = encodeFunctionData({ abi: target.abi, functionName: call.functionName, args: call.args });
    let hash: Hex;
    if (mode === "direct") {
      step(progress, T("Envoi depuis votre portefeuille", "Sending from your wallet"));
      hash = await me.wallet.sendTransaction({ account: me.address, chain: side.chain, to: target.address, data });
    } else {
      let first;
      if (spec.vote) {
        step(progress, T("Signature du bulletin de vote (sans frais)", "Signing the ballot (gasless)"));
        const ballot = await signBallot(me, spec.vote.proposalId, spec.vote.support, spec.vote.reason);
        step(progress, T("Envoi du bulletin au relais", "Sending the ballot to the relayer"));
        first = await relayVote(ballot);
      } else {
        const estimate = await side.client.estimateGas({ account: me.address, to: target.address, data });
        step(progress, T("Signature de la demande (sans frais)", "Signing the request (gasless)"));
        const request = await signForwardRequest(me, target.address, data, (estimate * 13n) / 10n + 20_000n);
        step(progress, T("Envoi de la demande au relais", "Sending the request to the relayer"));
        first = await relayForward(request);
      }
      const waiting = step(progress, T("Le relais envoie la transaction…", "The relayer sends the transaction…"));
      hash = await waitRelayed(first, (status) => {
        const fr: Record<string, string> = { accepted: "acceptée", sent: "envoyée", confirmed: "confirmée", failed: "échouée", expired: "expirée" };
        waiting.textContent = T(`Le relais envoie la transaction… (${fr[status.status] ?? status.status})`, `The relayer sends the transaction… (${status.status})`);
      });
    }
    const mined = step(progress, T("Attente de la confirmation", "Waiting for confirmation"));
    mined.append(" ", txLink(hash));
    const receipt = await side.client.waitForTransactionReceipt({ hash });
    for (const li of progress.querySelectorAll("li")) li.setAttribute("data-state", "done");
    if (receipt.status !== "success") throw new Error(T("la transaction a été annulée par le contrat", "the transaction reverted"));
    result.setAttribute("data-state", "done");
    const refresh = spec.onDone
      ? h("button", { type: "button", class: "secondary", onclick: spec.onDone }, T("Actualiser l'affichage", "Refresh the view"))
      : null;
    fill(
      result,
      h("p", { class: "notice ok" }, T("C'est fait : ", "Done: "), txLink(hash), T(` (bloc ${receipt.blockNumber})`, ` (block ${receipt.blockNumber})`)),
      refresh,
    );
  } catch (error) {
    const explained =
      error instanceof RelayError
        ? error.error
          ? { sentence: explainByName(error.error, error.explanation), error: error.error }
          : { sentence: T(`Le relais a refusé la demande : ${error.message}`, `The relayer refused the request: ${error.message}`), error: null }
        : explainRevert(side.config, error, { amount, time: (s) => when(s) });
    result.setAttribute("data-state", "error");
    if (explained.error) result.setAttribute("data-error", explained.error);
    for (const li of progress.querySelectorAll("li[data-state='active']")) li.setAttribute("data-state", "failed");
    fill(result, h("p", { class: "notice error", role: "alert" }, explained.sentence));
  }
}
