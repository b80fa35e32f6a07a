// An ESS structure registers or updates its project: the metadata document is built in the form,
// hashed here (keccak-256 of its exact bytes), stored by the API (POST /api/v1/ess/metadata,
// answering {uri, hash}), then registered on chain with that hash
// (EssProjectRegistry.registerProject / updateProject).
import { isAddress, keccak256, toBytes, type Address, type Hex } from "viem";
import { api } from "./config";
import { field, fill, h } from "./dom";
import { T } from "./i18n";
import { actionPanel } from "./tx";
import { card, memberOf, needSession } from "./views";

interface OwnProject {
  id: string;
  name: string | null;
  payout_wallet: Address;
}

/** The document's exact bytes: sorted keys, two-space indent, a final newline (as the demo writes them). */
export function documentBytes(doc: Record<string, unknown>): Uint8Array {
  const sorted = Object.fromEntries(Object.entries(doc).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return new TextEncoder().encode(JSON.stringify(sorted, null, 2) + "\n");
}

async function store(bytes: Uint8Array): Promise<{ uri: string; hash: Hex }> {
  const response = await fetch("/api/v1/ess/metadata", { method: "POST", headers: { "Content-Type": "application/json" }, body: bytes as BodyInit });
  if (!response.ok) throw new Error(T(`l'API n'a pas enregistré le document (HTTP ${response.status})`, `the API did not store the document (HTTP ${response.status})`));
  return (await response.json()) as { uri: string; hash: Hex };
}

export async function renderProject(main: HTMLElement): Promise<void> {
  const me = needSession();
  if (me instanceof HTMLElement) {
    fill(main, me);
    return;
  }
  const member = await memberOf(me.address);
  const own = (await api<{ items: (OwnProject & { owner: string })[] }>(`/ess/projects?limit=200&sort=id`))?.items.filter((p) => p.owner.toLowerCase() === me.address.toLowerCase()) ?? [];
  const notEss = Number(member.kind) !== 2 || Number(member.joinedAt) === 0;
  const which = h("select", { id: "project-which" }, h("option", { value: "" }, T("Nouveau projet", "New project")), own.map((p) => h("option", { value: p.id }, `n°${p.id} — ${p.name ?? ""}`)));
  const name = h("input", { type: "text", id: "project-name", required: true });
  const structure = h("input", { type: "text", id: "project-structure" });
  const legal = h("input", { type: "text", id: "project-legal", placeholder: "association loi 1901" });
  const territories = h("input", { type: "text", id: "project-territories", placeholder: "69123, 75056" });
  const themes = h("input", { type: "text", id: "project-themes", placeholder: "réemploi, insertion" });
  const description = h("textarea", { id: "project-description" });
  const website = h("input", { type: "url", id: "project-website", placeholder: "https://" });
  const wallet = h("input", { type: "text", id: "project-wallet", value: me.address, spellcheck: "false" });
  const slot = h("div", {});
  const prepare = h("button", { type: "button", class: "secondary", id: "project-prepare" }, T("Enregistrer le document et préparer la transaction", "Store the document and prepare the transaction"));
  const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
  prepare.addEventListener("click", async () => {
    if (!name.value.trim() || !isAddress(wallet.value.trim())) {
      fill(slot, h("p", { class: "notice error", role: "alert" }, T("Le nom du projet et un portefeuille de versement valide sont obligatoires.", "The project's name and a valid payout wallet are required.")));
      return;
    }
    const doc: Record<string, unknown> = {
      schema: "cmir-ess-project/1",
      name: name.value.trim(),
      structure: structure.value.trim(),
      legalForm: legal.value.trim(),
      territories: list(territories.value),
      themes: list(themes.value),
      description: description.value.trim(),
      website: website.value.trim(),
    };
    const bytes = documentBytes(doc);
    const hash = keccak256(bytes);
    fill(slot, h("p", { class: "muted" }, T(`Empreinte calculée dans le navigateur : ${hash}`, `Hash computed in the browser: ${hash}`)));
    let stored;
    try {
      stored = await store(bytes);
    } catch (error) {
      slot.append(h("p", { class: "notice error", role: "alert" }, String((error as Error).message)));
      return;
    }
    if (stored.hash.toLowerCase() !== hash.toLowerCase()) {
      slot.append(h("p", { class: "notice error", role: "alert" }, T("L'API a enregistré un autre document que celui signé ici : rien n'est envoyé.", "The API stored another document than the one built here: nothing is sent.")));
      return;
    }
    const payout = wallet.value.trim() as Address;
    const id = which.value ? BigInt(which.value) : null;
    slot.append(
      h("p", {}, T("Document : ", "Document: "), h("a", { href: stored.uri, id: "project-uri" }, stored.uri)),
      actionPanel({
        title: id === null ? T("Enregistrer le projet", "Register the project") : T(`Mettre à jour le projet n°${id}`, `Update project #${id}`),
        explain: [
          id === null
            ? T("EssProjectRegistry.registerProject : le projet est inscrit à l'annuaire, inactif jusqu'à ce que la gouvernance l'active.", "EssProjectRegistry.registerProject: the project joins the directory, inactive until governance activates it.")
            : T("EssProjectRegistry.updateProject : un changement de portefeuille désactive le projet et annule les financements votés pour l'ancien.", "EssProjectRegistry.updateProject: a wallet change switches the project off and voids fundings voted for the old one."),
          T(`Le contrat garde l'adresse du document et son empreinte keccak-256 ${hash.slice(0, 18)}… : chacun peut vérifier le document.`, `The contract keeps the document's address and its keccak-256 hash ${hash.slice(0, 18)}…: anyone can check the document.`),
        ],
        call: () =>
          id === null
            ? { role: "registry", functionName: "registerProject", args: [payout, stored.uri, hash] }
            : { role: "registry", functionName: "updateProject", args: [id, payout, stored.uri, hash] },
        onDone: () => void renderProject(main),
      }),
    );
  });
  void toBytes;
  fill(
    main,
    card(
      T("Mon projet ESS", "My ESS project"),
      notEss ? h("p", { class: "notice warn" }, T("Seule une structure ESS membre active peut enregistrer un projet : le contrat refusera pour cette adresse.", "Only an active ESS-structure member may register a project: the contract will refuse for this address.")) : null,
      h(
        "form",
        { class: "stack", onsubmit: (e: Event) => e.preventDefault() },
        field(T("Projet", "Project"), which),
        field(T("Nom du projet", "Project name"), name),
        field(T("Structure porteuse", "Structure"), structure),
        field(T("Forme juridique", "Legal form"), legal),
        field(T("Territoires (codes INSEE, séparés par des virgules)", "Territories (INSEE codes, comma-separated)"), territories),
        field(T("Thèmes (séparés par des virgules)", "Themes (comma-separated)"), themes),
        field(T("Description", "Description"), description),
        field(T("Site web", "Website"), website),
        field(T("Portefeuille de versement", "Payout wallet"), wallet),
        h("div", { class: "row" }, prepare),
      ),
      slot,
    ),
  );
}
