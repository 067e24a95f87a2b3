import { createKnowledge, type Knowledge } from "./engine.js";
import { loadRules, RULES_DIR } from "./loader.js";
import { RuleError } from "./types.js";

export { CAUSE_IDS } from "./causes.js";
export { createKnowledge, distinguish, type Knowledge } from "./engine.js";
export { loadRules, RULES_DIR } from "./loader.js";
export { buildHostModel } from "./model/build.js";
export type { HostModel } from "./model/fields.js";
export { syncRules } from "./sync.js";
export type {
  CaseRecord,
  EvaluateRequest,
  Evaluation,
  LoadedRule,
  RankedFinding,
  RuleFile,
} from "./types.js";
export { RuleError } from "./types.js";

/** Loads and validates rules/ and builds the engine once; throws with every rule error listed. */
export function loadKnowledge(dir: string = RULES_DIR): Knowledge {
  const { rules, errors } = loadRules(dir);
  if (errors.length > 0) {
    const first = errors[0] as RuleError;
    throw new RuleError(
      first.file,
      first.field,
      `${errors.length} rule error(s):\n${errors.map((e) => e.message).join("\n")}`,
    );
  }
  return createKnowledge(rules);
}
