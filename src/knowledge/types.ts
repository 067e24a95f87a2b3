import type { Finding, Language, SymptomCategory } from "../diagnosis/types.js";
import type { Subject } from "./model/fields.js";
import type { ParamKind } from "./patterns.js";

export type Strength = "direct" | "strong" | "circumstantial" | "inferred";

export interface Text {
  en: string;
  zh: string;
}

/** json-rules-engine condition tree restricted to plain fact/path/operator/value leaves. */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { fact: string; path?: string; operator: string; value: unknown };

/** One rules/<id>.json file (see rules/README.md). */
export interface RuleFile {
  id: string;
  title: Text;
  explanation: Text;
  symptoms: SymptomCategory[];
  strength: Strength;
  layer: number;
  requires: string[];
  subject: Subject;
  conditions: Condition;
  params: Record<string, ParamKind | "text">;
  bind: Record<string, string>;
  devices?: string[];
  evidence: string[];
  commands: { check: string[]; fix: string[]; rollback: string[]; verify: string[] };
  risky: boolean;
  test: { lab: string } | { replay: string };
  note?: string;
}

export interface LoadedRule {
  rule: RuleFile;
  file: string;
  /** The file's bytes as read, for the content hash. */
  body: string;
  sha256: string;
}

/** A past decision about a cause, as the incidents store reports it. */
export interface CaseRecord {
  cause: string;
  verdict: "confirmed" | "rejected";
  host: string;
  sameHost: boolean;
  sameGroup: boolean;
  categories: SymptomCategory[];
}

export interface EvaluateRequest {
  categories: SymptomCategory[];
  targets: string[];
  language: Language;
}

/** A finding plus what ranking used, for reports and tests. */
export interface RankedFinding extends Finding {
  /** Strength of the rule that fired. */
  strength: Strength;
  /** Devices the finding concerns. */
  devices: string[];
  /** Why the confidence is what it is, in short words (for --explain and tests). */
  why: string[];
  /** Commands that were dropped because a value failed its pattern. */
  dropped?: string[];
}

export interface Evaluation {
  findings: RankedFinding[];
  /** When the top two are within 0.1: the check that tells them apart. */
  distinguish?: string;
  /** Where each target's packet path breaks, in words. */
  paths: string[];
  notes: string[];
}

export class RuleError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${message}`);
    this.name = "RuleError";
  }
}
