import { readFileSync } from "node:fs";
import * as path from "node:path";

/** A message of the catalogue (`locales/<lang>/<namespace>.json`), by its dotted path: tests
 * look for the words the page is meant to show in that language, so a translation changed in
 * the catalogue needs no change here, and a key the page forgot to use fails. */
export function msg(lang: "en" | "ar", namespace: string, key: string, vars: Record<string, string> = {}): string {
  const file = path.join(__dirname, "..", "..", "locales", lang, `${namespace}.json`);
  const json = JSON.parse(readFileSync(file, "utf8"));
  let value: unknown = json;
  for (const part of key.split(".")) {
    value = (value as Record<string, unknown> | undefined)?.[part];
  }
  if (typeof value !== "string") {
    throw new Error(`no message ${lang}/${namespace}:${key}`);
  }
  return value.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name] ?? `{{ ${name} }}`);
}

export const ar = (namespace: string, key: string, vars: Record<string, string> = {}) => msg("ar", namespace, key, vars);

/** Arabic-Indic digits (U+0660..U+0669). */
export const ARABIC_DIGITS = /[\u0660-\u0669]/;
/** Western digits. */
export const WESTERN_DIGITS = /[0-9]/;

/** Writes ASCII digits as Arabic-Indic ones: what a cashier with an Arabic keyboard types. */
export function arabicDigits(s: string): string {
  return s.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))).replace(".", "\u066B");
}
