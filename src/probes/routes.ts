import type { RouteFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { isObject, type JsonObject, jsonObjects, num, str, strings } from "./util.js";

const ID = "routes";

/** One route object of `ip -j route show|get`; shared with the route lookups. */
export function routeFromJson(o: JsonObject): RouteFact | undefined {
  const dst = str(o.dst);
  if (dst === undefined) return undefined;
  const r: RouteFact = { dst, flags: strings(o.flags), table: str(o.table) ?? "main" };
  const fields = [
    ["gateway", o.gateway],
    ["dev", o.dev],
    ["prefsrc", o.prefsrc],
    ["protocol", o.protocol],
    ["scope", o.scope],
    ["type", o.type],
  ] as const;
  for (const [k, v] of fields) {
    const s = str(v);
    if (s !== undefined) r[k] = s;
  }
  const metric = num(o.metric);
  if (metric !== undefined) r.metric = metric;
  if (Array.isArray(o.nexthops)) {
    r.nexthops = o.nexthops.filter(isObject).map((h) => {
      const hop: NonNullable<RouteFact["nexthops"]>[number] = { flags: strings(h.flags) };
      const gateway = str(h.gateway);
      if (gateway !== undefined) hop.gateway = gateway;
      const dev = str(h.dev);
      if (dev !== undefined) hop.dev = dev;
      return hop;
    });
  }
  return r;
}

/** `ip -4 -j route show table all`: every IPv4 table; main-table routes carry table "main". */
export function parseRoutes(stdout: string): RouteFact[] {
  const out: RouteFact[] = [];
  for (const o of jsonObjects(ID, stdout, true)) {
    const r = routeFromJson(o);
    if (r) out.push(r);
  }
  return out;
}

export const routes: Probe<RouteFact[]> = {
  id: ID,
  command: () => "ip -4 -j route show table all",
  timeoutMs: 10_000,
  root: false,
  tool: "ip",
  parse: (stdout) => parseRoutes(stdout),
};
