/** Does every cause have a rule, and does every rule name a test that exists (lab fault or replay bundle)? */
import { existsSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { CAUSE_IDS } from "./causes.js";
import { type LoadedRule, RuleError } from "./types.js";

export interface CoverageInput {
  rules: LoadedRule[];
  /** Ids of src/lab/faults, or null when the registry could not be loaded. */
  labFaults: Set<string> | null;
  /** Package root that replay paths are relative to. */
  root: string;
  /** Label of the rules directory for messages ("rules"). */
  dirLabel: string;
  /** Rule files that failed validation still count as present. */
  presentIds: Set<string>;
}

export function checkCoverage(input: CoverageInput): RuleError[] {
  const errors: RuleError[] = [];
  for (const id of CAUSE_IDS)
    if (!input.presentIds.has(id))
      errors.push(new RuleError(`${input.dirLabel}/${id}.json`, "", `missing: cause ${id} has no rule file`));
  for (const { rule, file } of input.rules) {
    const t = rule.test as { lab?: string; replay?: string };
    if (t.lab !== undefined) {
      if (input.labFaults === null)
        errors.push(
          new RuleError(file, "test.lab", "the lab fault registry (src/lab/faults) could not be loaded"),
        );
      else if (!input.labFaults.has(t.lab))
        errors.push(new RuleError(file, "test.lab", `no lab fault "${t.lab}" in src/lab/faults`));
      else if (t.lab !== rule.id)
        errors.push(
          new RuleError(
            file,
            "test.lab",
            `the lab test injects fault "${t.lab}" but expects cause ${rule.id}: name the fault after the cause`,
          ),
        );
    }
    if (t.replay !== undefined) {
      const path = isAbsolute(t.replay) ? t.replay : join(input.root, t.replay);
      if (!existsSync(path)) {
        errors.push(new RuleError(file, "test.replay", `replay bundle ${t.replay} does not exist`));
        continue;
      }
      if (basename(path) !== `${rule.id}.json`)
        errors.push(
          new RuleError(
            file,
            "test.replay",
            `the replay test expects the bundle to be named ${rule.id}.json`,
          ),
        );
      try {
        const b = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown; evidence?: unknown };
        if (b.version !== 1 || !Array.isArray(b.evidence))
          errors.push(
            new RuleError(
              file,
              "test.replay",
              `${t.replay} is not an EvidenceBundle (version 1, evidence[])`,
            ),
          );
      } catch (e) {
        errors.push(
          new RuleError(file, "test.replay", `${t.replay} is not valid JSON: ${(e as Error).message}`),
        );
      }
    }
  }
  return errors;
}
