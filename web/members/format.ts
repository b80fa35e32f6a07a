// Amounts (two decimals and the token's symbol), dates and addresses, in the app's language.
import { formatUnits, parseUnits } from "viem";
import { lang } from "./i18n";

const locale = (): string => (lang() === "fr" ? "fr-FR" : "en-GB");

/** An amount in base units as people read it: two decimals (rounded half up) and the symbol. */
export function money(units: bigint | string, decimals: number, symbol: string): string {
  const value = typeof units === "string" ? BigInt(units) : units;
  const scale = 10n ** BigInt(Math.max(decimals - 2, 0));
  const cents = decimals >= 2 ? (value + scale / 2n) / scale : value * 10n ** BigInt(2 - decimals);
  const whole = cents / 100n;
  const frac = (cents % 100n).toString().padStart(2, "0");
  const grouped = new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(whole);
  const sep = lang() === "fr" ? "," : ".";
  return `${grouped}${sep}${frac}\u00a0${symbol}`;
}

/** Parse "25,50" or "25.50" into base units; null when it is not an amount. */
export function parseAmount(text: string, decimals: number): bigint | null {
  const cleaned = text.trim().replace(/\s/g, "").replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  try {
    return parseUnits(cleaned, decimals);
  } catch {
    return null;
  }
}

/** Exact decimal of base units (for inputs). */
export function plain(units: bigint, decimals: number): string {
  return formatUnits(units, decimals);
}

/** A date-time (ISO string or Unix seconds) in the app's language. */
export function when(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined || value === "" || value === 0 || value === 0n) return "—";
  const date = typeof value === "string" ? new Date(value) : new Date(Number(value) * 1000);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** 0x1234…abcd */
export function short(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A bytes32 reference back as text when it is padded text (as the CLI shows it), else hex. */
export function reference(raw: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) return raw;
  const bytes = (raw.slice(2).match(/../g) ?? []).map((b) => parseInt(b, 16));
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes.slice(0, end)));
    return end > 0 && /^[\P{C}]+$/u.test(text) ? text : raw;
  } catch {
    return raw;
  }
}

/** A count (points, votes) with grouping. */
export function count(value: bigint | string | number): string {
  return new Intl.NumberFormat(locale()).format(BigInt(value));
}
