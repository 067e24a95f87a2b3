import { type LoadedRule, loadRules } from "../knowledge/index.js";
import type { CauseTitles } from "../store/incidents.js";

/** A title template without its {{parameters}}, for search and for the other language's column. */
const plain = (template: string) =>
  template
    .replace(/\{\{\s*\w+\s*\}\}/g, "")
    .replace(/\s+/g, " ")
    .trim();

/** Cause titles in English and Chinese from the loaded rules, parameters left out. */
export function causeTitlesFrom(rules: readonly LoadedRule[]): CauseTitles {
  const map = new Map(
    rules.map((r) => [r.rule.id, { en: plain(r.rule.title.en), zh: plain(r.rule.title.zh) }]),
  );
  return (id) => map.get(id);
}

/** The same from a rules directory; a broken rule file only costs its title here. */
export function loadCauseTitles(dir: string): CauseTitles {
  return causeTitlesFrom(loadRules(dir).rules);
}
