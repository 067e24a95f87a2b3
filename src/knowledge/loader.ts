/** Reads rules/*.json, reporting JSON syntax errors with their line, then validates each rule. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonErrorOffset, lineColumn } from "./jsonpos.js";
import { validateRule } from "./schema.js";
import { type LoadedRule, RuleError, type RuleFile } from "./types.js";

/** rules/ at the package root, from src/knowledge or dist/src/knowledge. */
export const RULES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes("/dist/") ? "../../.." : "../..",
  "rules",
);

export interface LoadResult {
  rules: LoadedRule[];
  errors: RuleError[];
}

function jsonErrorWhere(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset < 0) return "an unknown place";
  const { line, column } = lineColumn(text, offset);
  return `line ${line} column ${column}`;
}

export function parseRuleText(
  text: string,
  file: string,
): { rule?: RuleFile; rawId?: string; errors: RuleError[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    return {
      errors: [new RuleError(file, "", `invalid JSON at ${jsonErrorWhere(text)}: ${msg.split("\n")[0]}`)],
    };
  }
  const id = basename(file).replace(/\.json$/, "");
  const errors = validateRule(raw, file, id);
  const rawId = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : undefined;
  const out: { rule?: RuleFile; rawId?: string; errors: RuleError[] } = { errors };
  if (rawId !== undefined) out.rawId = rawId;
  if (!errors.length) out.rule = raw as RuleFile;
  return out;
}

/** Loads every *.json in dir. Files with errors are left out and reported; duplicate ids are errors. */
export function loadRules(dir: string = RULES_DIR, label = (f: string) => f): LoadResult {
  const rules: LoadedRule[] = [];
  const errors: RuleError[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort();
  } catch (e) {
    return {
      rules,
      errors: [new RuleError(dir, "", `cannot read the rules directory: ${(e as Error).message}`)],
    };
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const file = label(path);
    const body = readFileSync(path, "utf8");
    const { rule, rawId, errors: errs } = parseRuleText(body, file);
    errors.push(...errs);
    if (rawId !== undefined) {
      const other = seen.get(rawId);
      if (other) {
        errors.push(new RuleError(file, "id", `duplicate id "${rawId}" (also in ${other})`));
        continue;
      }
      seen.set(rawId, file);
    }
    if (!rule) continue;
    rules.push({ rule, file, body, sha256: createHash("sha256").update(body).digest("hex") });
  }
  return { rules, errors };
}
