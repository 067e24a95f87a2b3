import type { RouteLookup } from "../facts/types.js";
import { routeFromJson } from "./routes.js";
import { ParseError, type Probe, type ProbeContext } from "./types.js";
import { checkTargets, isIPv4, isObject, requireTool, sections } from "./util.js";

const ID = "routeLookups";

/** The kernel's route choice for each target (sends nothing); one script for all targets. */
export function routeLookupsCommand(ctx: ProbeContext): string {
  const targets = checkTargets(ctx.targets);
  // With no targets the loop is `for t in ; do ... done`: valid in dash and bash, and does nothing.
  return `${requireTool("ip")}; for t in ${targets.join(" ")}; do echo "### $t"; ip -j route get "$t" 2>&1; done; true`;
}

export function parseRouteLookups(stdout: string): RouteLookup[] {
  const out: RouteLookup[] = [];
  for (const { name, body } of sections(stdout)) {
    if (name === "") throw new ParseError(ID, `${ID}: output before the first target marker`);
    if (!isIPv4(name)) throw new ParseError(ID, `${ID}: bad target marker "${name}"`);
    const text = body.trim();
    if (!text.startsWith("[")) {
      // "RTNETLINK answers: Network is unreachable"
      const error = text.replace(/^RTNETLINK answers:\s*/, "").split("\n")[0] || "no answer";
      out.push({ target: name, error });
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ParseError(ID, `${ID}: lookup of ${name} is not JSON (truncated?)`);
    }
    const first = Array.isArray(data) ? data[0] : undefined;
    const route = isObject(first) ? routeFromJson(first) : undefined;
    if (!route) throw new ParseError(ID, `${ID}: lookup of ${name} has no route object`);
    const lookup: RouteLookup = { target: name, flags: route.flags };
    if (route.dev !== undefined) lookup.dev = route.dev;
    if (route.gateway !== undefined) lookup.gateway = route.gateway;
    if (route.prefsrc !== undefined) lookup.prefsrc = route.prefsrc;
    if (route.type !== undefined) lookup.type = route.type;
    const metrics = (first as { metrics?: unknown }).metrics;
    const mtu = Array.isArray(metrics)
      ? metrics.find((m) => isObject(m) && typeof m.mtu === "number")?.mtu
      : undefined;
    if (typeof mtu === "number") lookup.mtu = mtu;
    out.push(lookup);
  }
  return out;
}

export const routeLookups: Probe<RouteLookup[]> = {
  id: ID,
  command: routeLookupsCommand,
  timeoutMs: 10_000,
  root: false,
  tool: "ip",
  parse: (stdout) => parseRouteLookups(stdout),
};
