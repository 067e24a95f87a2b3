/**
 * The compiled predicates only pre-select items for json-rules-engine; they must agree with it on
 * every rule and every item, or a rule could be skipped. Checked on all replay bundles and on
 * hand-built hosts with faults.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Engine } from "json-rules-engine";
import { describe, expect, it } from "vitest";
import { buildFacts } from "../../src/facts/build.js";
import type { HostFacts } from "../../src/facts/types.js";
import { withRequires } from "../../src/knowledge/engine.js";
import { buildHostModel, loadRules } from "../../src/knowledge/index.js";
import { SUBJECT_FACT } from "../../src/knowledge/model/fields.js";
import { compile } from "../../src/knowledge/predicate.js";
import type { Condition } from "../../src/knowledge/types.js";
import { healthyHost, LAB_LIKE, linkOf, OTHER_NAMES, pingFails, setFlags } from "./support/facts.js";

const DIR = join(import.meta.dirname, "../fixtures/replay");
const rules = loadRules().rules.map((r) => r.rule);

function hosts(): HostFacts[] {
  const out = readdirSync(DIR).map((f) => buildFacts(JSON.parse(readFileSync(join(DIR, f), "utf8"))));
  const a = healthyHost(LAB_LIKE, ["198.51.100.10", "203.0.113.10"]);
  setFlags(linkOf(a, "vnet0"), false, false);
  pingFails(a, "198.51.100.10");
  a.parsed.sysctls!["net.ipv4.ip_forward"] = "0";
  const b = healthyHost(OTHER_NAMES, ["203.0.113.70"]);
  delete linkOf(b, "tap3").master;
  linkOf(b, "tap4").mtu = 9000;
  b.parsed.iptables!.chains.find((c) => c.name === "FORWARD")!.policy = "DROP";
  return [...out, a, b, healthyHost()];
}

describe("compiled predicates agree with json-rules-engine", () => {
  it("on every rule × item of the fixtures", async () => {
    let compared = 0;
    let fired = 0;
    for (const facts of hosts()) {
      const model = buildHostModel(facts, { targets: facts.parsed.routeLookups?.map((r) => r.target) ?? [] });
      for (const rule of rules) {
        const conditions = withRequires(rule);
        const predicate = compile(conditions as Condition);
        const engine = new Engine([], {
          pathResolver: (v: unknown, p: string) => (v as Record<string, unknown>)?.[p],
        });
        engine.addRule({ conditions: conditions as never, event: { type: rule.id } });
        const items = (rule.subject === "host" ? [model.host] : model[rule.subject]) as unknown as Record<
          string,
          unknown
        >[];
        for (const item of items) {
          const f = { probes: facts.status, host: model.host, [SUBJECT_FACT[rule.subject]]: item };
          const { events } = await engine.run(f);
          expect(predicate(f), `${rule.id} on ${JSON.stringify(item).slice(0, 80)}`).toBe(events.length > 0);
          compared++;
          if (events.length > 0) fired++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(fired).toBeGreaterThan(10);
  });
});
