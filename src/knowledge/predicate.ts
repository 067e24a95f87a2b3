/**
 * A compiled, synchronous twin of a rule's json-rules-engine conditions (same operators, same
 * semantics as json-rules-engine 7's defaults). It only decides which items are worth handing to
 * json-rules-engine: on a healthy host no item is, so a diagnosis costs the model and a few
 * comparisons. json-rules-engine stays the authority on what fires (test/knowledge/predicate.test.ts
 * checks that both agree on every rule and item of the fixtures).
 */
import type { Condition } from "./types.js";

export type Facts = Record<string, unknown>;
export type Predicate = (facts: Facts) => boolean;

const num = (v: unknown) => Number.parseFloat(String(v)).toString() !== "NaN";

const OPS: Record<string, (a: unknown, b: unknown) => boolean> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => Array.isArray(b) && b.indexOf(a) > -1,
  notIn: (a, b) => Array.isArray(b) && b.indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
  lessThan: (a, b) => num(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => num(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => num(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => num(a) && (a as number) >= (b as number),
};

export function compile(c: Condition): Predicate {
  if ("all" in c) {
    const parts = c.all.map(compile);
    return (f) => parts.every((p) => p(f));
  }
  if ("any" in c) {
    const parts = c.any.map(compile);
    return (f) => parts.some((p) => p(f));
  }
  if ("not" in c) {
    const inner = compile(c.not);
    return (f) => !inner(f);
  }
  const op = OPS[c.operator];
  if (!op) throw new Error(`unknown operator ${c.operator}`);
  const { fact, path, value } = c;
  return (f) => {
    const v = f[fact];
    const x = path === undefined ? v : v !== null && typeof v === "object" ? (v as Facts)[path] : undefined;
    return op(x, value);
  };
}
