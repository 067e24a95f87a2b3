import { afterAll, beforeAll } from "vitest";
import { cleanupStalePrefix } from "../../src/lab/cleanup.js";
import { type Lab, type LabOptions, labUp } from "../../src/lab/lab.js";

/** Why lab tests cannot run here, or null when they can. Use with `describe.skipIf(labSkipReason())`. */
export function labSkipReason(): string | null {
  return process.getuid?.() === 0 ? null : "lab tests need root (network namespaces)";
}

/**
 * A lab for one test file: built in beforeAll, removed in afterAll (also when tests fail). The returned
 * object forwards to the running lab, so `lab.address` works inside tests.
 */
export function useLab(options: LabOptions & { prefix: string }): Lab {
  let current: Lab | null = null;
  beforeAll(async () => {
    if (labSkipReason()) return;
    // Leftovers of a crashed earlier run go; a lab whose owner still runs (the same file run twice at
    // once) stays, and labUp then says that the prefix is taken.
    cleanupStalePrefix(options.prefix);
    current = await labUp(options);
  });
  afterAll(async () => {
    await current?.down();
    current = null;
  });
  return new Proxy({} as Lab, {
    get(_target, key) {
      if (!current) throw new Error(`lab ${options.prefix} is not up (beforeAll failed or was skipped)`);
      const value = Reflect.get(current, key, current);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
}
