import { ParseError, type Probe } from "./types.js";
import { isObject, parseJson } from "./util.js";

const ID = "nstat";

/** `nstat --json`: `{"kernel":{"IpInAddrErrors":2,...}}` → counter name → value. */
export function parseNstat(stdout: string): Record<string, number> {
  const data = parseJson(ID, stdout);
  const kernel = isObject(data) ? data.kernel : undefined;
  if (!isObject(kernel)) throw new ParseError(ID, `${ID}: no "kernel" object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(kernel)) {
    if (typeof v === "number") out[k] = v;
  }
  return out;
}

export const nstat: Probe<Record<string, number>> = {
  id: ID,
  // -a: absolute values (ignore history); -s: do not update the history file; -z: zeros too.
  command: () => "nstat -asz --json",
  timeoutMs: 10_000,
  root: false,
  tool: "nstat",
  parse: (stdout) => parseNstat(stdout),
};
