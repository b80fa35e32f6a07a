// A revert in one French sentence (English on request), with the meanings of the CLI: the API
// serves `cmir.chain.reverts`' table (signature -> meaning) in the app's configuration, and the
// French sentences below are written for the same signatures (tests/api/test_app_config.py
// checks each one names a real error of that table). Unknown ones show the table's meaning.
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from "viem";
import type { AppConfig } from "./config";
import { lang } from "./i18n";

/** French sentences by error signature; `{name}` is replaced by the argument of that name. */
export const FRENCH: Record<string, string> = {
  "MembershipAlreadyInvited(address,address)": "Cette adresse a déjà une invitation en cours de votre part.",
  "MembershipAlreadyMember(address)": "Cette adresse est ou a été membre : elle ne peut pas adhérer à nouveau.",
  "MembershipEssStructureNotAttested(address)": "Cette structure ESS n'est pas encore attestée par une CRESS : elle ne peut pas adhérer.",
  "MembershipInProbation(address,uint48)": "Vous êtes en période probatoire jusqu'au {votesFrom} : vous ne pouvez pas encore inviter.",
  "MembershipInvitationExpired(address,address,uint48)": "Cette invitation a expiré le {expiresAt}.",
  "MembershipInvitationKindMismatch(address,address,uint8,uint8)": "L'invitation est pour un autre type de membre que celui demandé.",
  "MembershipNoInvitation(address,address)": "Aucune invitation de ce parrain pour cette adresse.",
  "MembershipNoInvitationLeft(address,uint256)": "Vous n'avez plus d'invitation disponible ; la prochaine arrive le {nextAt}.",
  "MembershipNotActiveMember(address)": "Cette adresse n'est pas un membre actif.",
  "MembershipSponsorNotActive(address)": "Le parrain de cette invitation n'est plus un membre actif.",
  "MembershipZeroAddress()": "L'adresse zéro ne peut être ni membre ni parrain.",
  "MembershipNotInvitationSponsor(address,address)": "Seul le parrain (ou la gouvernance) peut révoquer cette invitation.",
  "RedistributionFeeBelowMinimum(uint256,uint256)": "Le montant {amount} est inférieur au minimum d'une relation, {minimum}.",
  "RedistributionNotActiveMember(address)": "Cette adresse n'est pas un membre actif du fonds.",
  "RedistributionNothingToClaim(address)": "Vous n'avez rien à réclamer pour l'instant.",
  "RedistributionSelfRelation(address)": "Un membre ne peut pas payer une relation avec lui-même.",
  "RedistributionZeroAmount()": "Un montant doit être positif.",
  "RedistributionAmountTooLarge(uint256)": "Ce montant est trop grand pour la comptabilité du fonds.",
  "RedistributionPartiesShareBelowMin(uint256,uint256)": "Les parties garderaient moins de points que le minimum fixé par la gouvernance.",
  "RedistributionProjectInactive(uint256)": "Ce projet ESS n'est pas actif.",
  "RedistributionUnknownProject(uint256)": "Aucun projet ESS ne porte ce numéro.",
  "RedistributionInsufficientFunds(uint256,uint256)": "Le montant demandé, {requested}, dépasse ce qui est disponible, {available}.",
  "EssProjectRegistryInvalidMetadata(uint256,uint256)": "Les métadonnées doivent avoir une adresse (URI) pas trop longue et une empreinte non nulle.",
  "EssProjectRegistryNotEssMember(address)": "Seule une structure ESS membre active (ou la gouvernance) peut enregistrer un projet.",
  "EssProjectRegistryNotOwner(uint256,address)": "Vous n'êtes pas le porteur de ce projet.",
  "EssProjectRegistryUnknownProject(uint256)": "Aucun projet ne porte ce numéro.",
  "EssProjectRegistryZeroWallet()": "Le portefeuille de versement ne peut pas être l'adresse zéro.",
  "GovernorRestrictedProposer(address)": "La description d'une proposition doit se terminer par « #proposer= » et l'adresse de son auteur.",
  "GovernorInsufficientProposerVotes(address,uint256,uint256)": "Vous n'avez pas encore de voix : seul un membre sorti de sa période probatoire peut proposer.",
  "GovernorAlreadyCastVote(address)": "Vous avez déjà voté sur cette proposition.",
  "GovernorUnexpectedProposalState(uint256,uint8,bytes32)": "La proposition n'est pas dans l'état requis (le vote n'est pas ouvert, ou il est clos).",
  "GovernorInvalidSignature(address)": "La signature du vote n'est pas valide pour cet électeur.",
  "ERC20InsufficientBalance(address,uint256,uint256)": "Votre solde, {balance}, ne couvre pas {needed}.",
  "ERC20InsufficientAllowance(address,uint256,uint256)": "L'autorisation de dépense, {allowance}, ne couvre pas {needed}.",
  "ERC2612ExpiredSignature(uint256)": "La signature du permis a expiré : recommencez.",
  "ERC2612InvalidSigner(address,address)": "Le permis n'est pas signé par le titulaire du compte.",
  "InvalidAccountNonce(address,uint256)": "Cette signature a déjà servi (nonce périmé) : recommencez.",
  "ERC2771ForwarderExpiredRequest(uint48)": "La demande signée a expiré avant d'être envoyée : recommencez.",
  "ERC2771ForwarderInvalidSigner(address,address)": "La demande n'est pas signée par le compte qu'elle nomme, ou elle a déjà servi : recommencez.",
  "ERC2771ForwarderMismatchedValue(uint256,uint256)": "Le relais n'envoie pas d'ether : la demande ne doit pas en transférer.",
  "ERC2771UntrustfulTarget(address,address)": "Ce contrat n'accepte pas les demandes relayées : envoyez la transaction vous-même.",
  "FailedCall()": "L'appel relayé a échoué ; le même appel fait directement en donne la raison.",
};

const AMOUNT_ARGS = new Set(["amount", "minimum", "requested", "available", "balance", "needed", "allowance", "fee", "left"]);
const TIME_ARGS = new Set(["votesFrom", "nextAt", "expiresAt", "periodEndsAt"]);

export interface Explained {
  sentence: string;
  error: string | null;
}

function signatureOf(abi: Abi, name: string): string | null {
  for (const entry of abi) {
    if (entry.type === "error" && entry.name === name) {
      return `${name}(${entry.inputs.map((i) => i.type).join(",")})`;
    }
  }
  return null;
}

function revertData(error: unknown): Hex | null {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw) return reverted.raw;
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
    if (withData?.data && withData.data.startsWith("0x")) return withData.data;
  }
  const raw = (error as { data?: unknown })?.data;
  if (typeof raw === "string" && raw.startsWith("0x")) return raw as Hex;
  if (raw && typeof raw === "object" && typeof (raw as { data?: unknown }).data === "string") return (raw as { data: Hex }).data;
  return null;
}

/** One sentence for a failed call or transaction; `show` writes amounts and times. */
export function explainRevert(
  config: AppConfig,
  error: unknown,
  show: { amount: (units: bigint) => string; time: (seconds: bigint) => string },
): Explained {
  const data = revertData(error);
  const fr = lang() === "fr";
  if (data && data.length >= 10) {
    for (const { abi } of Object.values(config.contracts)) {
      try {
        const decoded = decodeErrorResult({ abi, data });
        const signature = signatureOf(abi, decoded.errorName) ?? decoded.errorName;
        const inputs = (abi.find((e) => e.type === "error" && e.name === decoded.errorName) as { inputs?: { name: string }[] } | undefined)?.inputs ?? [];
        const values = new Map<string, unknown>(inputs.map((input, i) => [input.name, (decoded.args ?? [])[i]]));
        const fill = (text: string): string =>
          text.replace(/\{(\w+)\}/g, (_m, name: string) => {
            const value = values.get(name);
            if (typeof value === "bigint" && AMOUNT_ARGS.has(name)) return show.amount(value);
            if ((typeof value === "bigint" || typeof value === "number") && TIME_ARGS.has(name)) return show.time(BigInt(value));
            return String(value ?? name);
          });
        const french = FRENCH[signature];
        const meaning = config.errors[signature];
        if (fr && french) return { sentence: fill(french), error: decoded.errorName };
        if (meaning) return { sentence: `${fr ? "Refusé par le contrat" : "Refused by the contract"} (${decoded.errorName}) : ${meaning.replace(/`/g, "")}`, error: decoded.errorName };
        return { sentence: `${fr ? "Refusé par le contrat" : "Refused by the contract"} (${decoded.errorName}).`, error: decoded.errorName };
      } catch {
        /* not this contract's error */
      }
    }
  }
  const message = error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  if (/exceeds the balance|insufficient funds/i.test(message)) {
    return { sentence: fr ? "Votre compte n'a pas assez d'ETH pour payer le gaz : choisissez l'envoi sans frais." : "Your account lacks the ETH to pay for gas: choose gasless sending.", error: null };
  }
  if (/reject|denied|4001/i.test(message)) {
    return { sentence: fr ? "Vous avez refusé la signature dans votre portefeuille : rien n'a été envoyé." : "You declined in your wallet: nothing was sent.", error: null };
  }
  return { sentence: (fr ? "L'opération a échoué : " : "The operation failed: ") + message, error: null };
}

/** The sentence for a custom error known only by name (the relayer's refusal): the French one
 * when it needs no argument, else the relayer's own explanation (the CLI's sentence). */
export function explainByName(name: string, explanation: string | null): string {
  const fr = lang() === "fr";
  const entry = Object.entries(FRENCH).find(([signature]) => signature.startsWith(`${name}(`));
  if (fr && entry && !entry[1].includes("{")) return entry[1];
  return `${fr ? "Refusé par le contrat" : "Refused by the contract"} (${name}) : ${(explanation ?? "").replace(/`/g, "")}`;
}
