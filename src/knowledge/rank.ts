/**
 * Confidence of a finding: strength of the evidence, relevance to the symptom, position on the
 * packet path, and case history with smoothing. Pure functions, so the weights are testable.
 */
import type { SymptomCategory } from "../diagnosis/types.js";
import type { CaseRecord, Strength } from "./types.js";

export const BASE: Record<Strength, number> = {
  direct: 0.86,
  strong: 0.72,
  circumstantial: 0.42,
  inferred: 0.34,
};
/** A rule that does not explain the complaint keeps half its weight: real, but not the answer. */
export const IRRELEVANT_FACTOR = 0.5;
export const PATH_BONUS = 0.06;
export const OFF_PATH_PENALTY = 0.12;
export const WEAK_CAP = 0.49;
export const MAX = 0.99;

export interface ScoreInput {
  cause: string;
  strength: Strength;
  layer: number;
  symptoms: SymptomCategory[];
  categories: SymptomCategory[];
  /** A device of the finding is where a target's packet path breaks. */
  onBrokenHop: boolean;
  /** Targets were given, the finding concerns specific devices, and none of them is on a target path. */
  offPath: boolean;
}

export interface Score {
  confidence: number;
  why: string[];
}

/**
 * Case history as a Beta-smoothed rate: confirmed cases push up, rejected ones down, each weighted by
 * how close the case is (same host > same group > elsewhere) and whether the symptom matches. The
 * prior (2 pseudo-confirmations, 2 pseudo-rejections) keeps one case from dominating.
 */
export function historyDelta(cause: string, categories: SymptomCategory[], history: CaseRecord[]): number {
  let a = 0;
  let b = 0;
  for (const h of history) {
    if (h.cause !== cause) continue;
    const near = h.sameHost ? 1 : h.sameGroup ? 0.5 : 0.2;
    const sameSymptom =
      categories.length === 0 || h.categories.length === 0 || h.categories.some((c) => categories.includes(c))
        ? 1
        : 0.5;
    const w = near * sameSymptom;
    if (h.verdict === "confirmed") a += w;
    else b += w;
  }
  if (a === 0 && b === 0) return 0;
  const mean = (a + 2) / (a + b + 4);
  return Math.max(-0.12, Math.min(0.12, (mean - 0.5) * 0.5));
}

export function score(input: ScoreInput, history: CaseRecord[]): Score {
  const why: string[] = [];
  let c = BASE[input.strength];
  why.push(`${input.strength} ${c.toFixed(2)}`);
  if (input.categories.length > 0 && !input.symptoms.some((s) => input.categories.includes(s))) {
    c *= IRRELEVANT_FACTOR;
    why.push(`does not explain ${input.categories.join("/")}`);
  }
  if (input.onBrokenHop) {
    c += PATH_BONUS;
    why.push("where the packet path breaks");
  } else if (input.offPath) {
    c -= OFF_PATH_PENALTY;
    why.push("not on the path of the named targets");
  }
  c += (7 - input.layer) * 0.002;
  const h = historyDelta(input.cause, input.categories, history);
  if (h !== 0) {
    c += h;
    why.push(`case history ${h > 0 ? "+" : ""}${h.toFixed(3)}`);
  }
  const cap = input.strength === "circumstantial" || input.strength === "inferred" ? WEAK_CAP : MAX;
  c = Math.max(0, Math.min(cap, c));
  return { confidence: Math.round(c * 1000) / 1000, why };
}
