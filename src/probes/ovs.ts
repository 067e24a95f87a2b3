import type { OvsFacts } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { isObject, type Json, parseJson, requireTool, sections } from "./util.js";

const ID = "ovs";

/** OVSDB JSON cells: plain values, or ["set", [...]] / ["uuid", "..."] pairs; an empty set = no value. */
function cell(v: Json | undefined): Json | undefined {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string") {
    if (v[0] === "set") return Array.isArray(v[1]) && v[1].length > 0 ? cell(v[1][0]) : undefined;
    if (v[0] === "uuid" || v[0] === "named-uuid") return v[1];
  }
  return v;
}

/** `ovs-vsctl --format=json ... list Interface`, then `list-ports` per bridge under `### bridge NAME`. */
export function parseOvs(stdout: string): OvsFacts {
  const facts: OvsFacts = { bridges: [], interfaces: [] };
  const parts = sections(stdout);
  const ifaces = parts.find((p) => p.name === "interfaces");
  if (!ifaces) throw new ParseError(ID, `${ID}: no interfaces section`);
  const data = parseJson(ID, ifaces.body);
  if (!isObject(data) || !Array.isArray(data.headings) || !Array.isArray(data.data)) {
    throw new ParseError(ID, `${ID}: expected {"headings":[...],"data":[...]}`);
  }
  const headings = data.headings.map(String);
  for (const row of data.data) {
    if (!Array.isArray(row)) throw new ParseError(ID, `${ID}: interface row is not an array`);
    const get = (h: string) => cell(row[headings.indexOf(h)]);
    const name = get("name");
    if (typeof name !== "string") continue;
    const ofport = get("ofport");
    const iface: OvsFacts["interfaces"][number] = { name, ofport: typeof ofport === "number" ? ofport : -1 };
    const error = get("error");
    if (typeof error === "string") iface.error = error;
    const linkState = get("link_state");
    if (typeof linkState === "string") iface.linkState = linkState;
    facts.interfaces.push(iface);
  }
  for (const part of parts) {
    if (!part.name.startsWith("bridge ")) continue;
    const ports = part.body
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    facts.bridges.push({ name: part.name.slice("bridge ".length), ports });
  }
  return facts;
}

export const ovs: Probe<OvsFacts> = {
  id: ID,
  command: () =>
    `${requireTool("ovs-vsctl")}; echo "### interfaces"; ` +
    "ovs-vsctl --timeout=5 --format=json --columns=name,ofport,error,link_state list Interface; " +
    'for b in $(ovs-vsctl --timeout=5 list-br); do echo "### bridge $b"; ovs-vsctl --timeout=5 list-ports "$b"; done; true',
  timeoutMs: 15_000,
  root: true,
  tool: "ovs-vsctl",
  parse: (stdout) => parseOvs(stdout),
};
