// French first, English on request: each text is written in both, side by side, where it is used
// (`T("Payer", "Pay")`); switching re-renders the current view. The choice is kept in localStorage.
export type Lang = "fr" | "en";
const KEY = "cmir.app.lang";

let current: Lang = readStored();

function readStored(): Lang {
  try {
    return localStorage.getItem(KEY) === "en" ? "en" : "fr";
  } catch {
    return "fr";
  }
}

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    /* private mode: the choice lasts for the page */
  }
}

/** The text in the current language. */
export function T(fr: string, en: string): string {
  return current === "fr" ? fr : en;
}
