// The members' app (built by web/build.mjs into /web/dist/members.js): configuration from the API,
// wallets, the navigation between views (one module each), the language switch.
import { loadConfig } from "./config";
import { fill, h } from "./dom";
import { short } from "./format";
import { lang, setLang, T } from "./i18n";
import { renderAccount } from "./view_account";
import { renderClaim } from "./view_claim";
import { renderJoin } from "./view_join";
import { renderPay } from "./view_pay";
import { renderProject } from "./view_project";
import { renderProposals } from "./view_proposals";
import { renderTx } from "./view_tx";
import type { View } from "./views";
import { onSessionChange, resume, session, startWallets } from "./wallet";

interface Route {
  path: string;
  label: () => string;
  view: View;
}

const ROUTES: Route[] = [
  { path: "", label: () => T("Mon compte", "My account"), view: renderAccount },
  { path: "adhesion", label: () => T("Adhérer, inviter", "Join, invite"), view: renderJoin },
  { path: "payer", label: () => T("Payer une relation", "Pay a relation"), view: renderPay },
  { path: "recompenses", label: () => T("Réclamer", "Claim"), view: renderClaim },
  { path: "propositions", label: () => T("Propositions", "Proposals"), view: renderProposals },
  { path: "projet", label: () => T("Projet ESS", "ESS project"), view: renderProject },
];

function currentPath(): [string, string] {
  const [path = "", arg = ""] = location.hash.replace(/^#\/?/, "").split("/");
  return [path, arg];
}

function renderChrome(): void {
  const [path] = currentPath();
  const nav = document.getElementById("nav");
  if (nav) {
    nav.setAttribute("aria-label", T("Vues de l'espace membres", "Views of the members' app"));
    fill(nav, ROUTES.map((r) => h("a", { href: `#/${r.path}`, "aria-current": r.path === path ? "page" : false }, r.label())));
  }
  const status = document.getElementById("wallet-status");
  const me = session();
  if (status) fill(status, me ? T(`Connecté : ${short(me.address)} (${me.name})`, `Connected: ${short(me.address)} (${me.name})`) : T("Aucun portefeuille connecté", "No wallet connected"));
  const switcher = document.getElementById("lang-switch");
  if (switcher) {
    switcher.textContent = lang() === "fr" ? "English" : "Français";
    switcher.setAttribute("lang", lang() === "fr" ? "en" : "fr");
  }
  document.title = T("CMIR DAO — espace membres", "CMIR DAO — members' app");
  const title = document.querySelector("h1");
  if (title) title.textContent = T("Espace membres", "Members' app");
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = T("Aller au contenu", "Skip to content");
}

let rendering = 0;
async function render(): Promise<void> {
  const main = document.getElementById("main");
  if (!main) return;
  const ticket = ++rendering;
  renderChrome();
  const [path, arg] = currentPath();
  const route = path === "tx" ? { view: renderTx } : ROUTES.find((r) => r.path === path) ?? ROUTES[0];
  document.body.setAttribute("data-loaded", "false");
  main.setAttribute("aria-busy", "true");
  try {
    if (route) await route.view(main, arg);
  } catch (error) {
    if (ticket === rendering) fill(main, h("p", { class: "notice error", role: "alert" }, T("Cette vue n'a pas pu être chargée : ", "This view could not be loaded: ") + String((error as Error).message ?? error)));
  }
  if (ticket === rendering) {
    main.removeAttribute("aria-busy");
    document.body.setAttribute("data-view", path || "compte");
    document.body.setAttribute("data-loaded", "true");
  }
}

async function start(): Promise<void> {
  setLang(lang());
  document.getElementById("lang-switch")?.addEventListener("click", () => {
    setLang(lang() === "fr" ? "en" : "fr");
    void render();
  });
  try {
    const config = await loadConfig();
    startWallets(config);
  } catch (error) {
    const main = document.getElementById("main");
    if (main) fill(main, h("p", { class: "notice error", role: "alert" }, T("La configuration de l'application n'a pas pu être lue : ", "The app's configuration could not be read: ") + String(error)));
    return;
  }
  onSessionChange(() => void render());
  window.addEventListener("hashchange", () => {
    void render().then(() => document.getElementById("main")?.focus({ preventScroll: true }));
  });
  await resume().catch(() => undefined);
  await render();
}

void start();
