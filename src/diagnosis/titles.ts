import { type LoadedRule, loadRules } from "../knowledge/index.js";
import type { CauseTitles } from "../store/incidents.js";

/** Cause titles in English and Chinese from the loaded rules (templates stay as written). */
export function causeTitlesFrom(rules: readonly LoadedRule[]): CauseTitles {
  const map = new Map(rules.map((r) => [r.rule.id, { en: r.rule.title.en, zh: r.rule.title.zh }]));
  return (id) => map.get(id);
}

/** The same from a rules directory; a broken rule file only costs its title here. */
export function loadCauseTitles(dir: string): CauseTitles {
  return causeTitlesFrom(loadRules(dir).rules);
}
