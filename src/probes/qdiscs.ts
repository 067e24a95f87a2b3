import type { QdiscFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { jsonObjects, num, obj, str } from "./util.js";

const ID = "qdiscs";

/** netem loss as printed in JSON: a fraction (PRINT_PERCENT → value/UINT32_MAX, §4.9). */
function netemLoss(options: Record<string, unknown> | undefined): number | undefined {
  const random = options?.["loss-random"];
  if (typeof random === "object" && random !== null && "loss" in random) {
    const loss = (random as { loss: unknown }).loss;
    if (typeof loss === "number") return loss;
  }
  return undefined;
}

/** `tc -j -s qdisc show`: one object per qdisc with `dev`, `kind`, `options` and drop counters. */
export function parseQdiscs(stdout: string): QdiscFact[] {
  const out: QdiscFact[] = [];
  for (const o of jsonObjects(ID, stdout, true)) {
    const kind = str(o.kind);
    if (kind === undefined) continue;
    const fact: QdiscFact = {
      dev: str(o.dev) ?? "",
      kind,
      root: o.root === true,
      drops: num(o.drops) ?? 0,
    };
    const handle = str(o.handle);
    if (handle !== undefined) fact.handle = handle;
    const options = obj(o.options);
    if (options) {
      fact.options = options;
      const loss = kind === "netem" ? netemLoss(options) : undefined;
      if (loss !== undefined) fact.loss = loss;
    }
    out.push(fact);
  }
  return out;
}

export const qdiscs: Probe<QdiscFact[]> = {
  id: ID,
  command: () => "tc -j -s qdisc show",
  timeoutMs: 10_000,
  root: false,
  tool: "tc",
  parse: (stdout) => parseQdiscs(stdout),
};
