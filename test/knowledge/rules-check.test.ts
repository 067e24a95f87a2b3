import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../../src/cli/rules.js";
import { createKnowledge, loadRules } from "../../src/knowledge/index.js";
import { checkParam } from "../../src/knowledge/patterns.js";
import { render } from "../../src/knowledge/template.js";
import { healthyHost, linkOf } from "./support/facts.js";

const GOOD = JSON.parse(readFileSync(join(import.meta.dirname, "../../rules/tap_admin_down.json"), "utf8"));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hm-rules-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function put(name: string, body: unknown): void {
  writeFileSync(join(dir, name), typeof body === "string" ? body : JSON.stringify(body, null, 2));
}
const clone = () => structuredClone(GOOD);
const messages = () => loadRules(dir).errors.map((e) => e.message);

describe("rule validation names the file and the field", () => {
  it("accepts a good rule", () => {
    put("tap_admin_down.json", GOOD);
    expect(messages()).toEqual([]);
  });

  it("bad JSON, with its line", () => {
    put("tap_admin_down.json", '{\n  "id": "tap_admin_down",\n  "title": ,\n}');
    const [m] = messages();
    expect(m).toMatch(/tap_admin_down\.json: invalid JSON at line 3/);
  });

  it("missing field", () => {
    const r = clone();
    delete r.strength;
    put("tap_admin_down.json", r);
    expect(messages()).toContain(`${join(dir, "tap_admin_down.json")}: strength: missing field`);
  });

  it("unknown top-level field and bad type", () => {
    const r = clone();
    r.colour = "red";
    r.risky = "yes";
    put("tap_admin_down.json", r);
    const m = messages().join("\n");
    expect(m).toContain("tap_admin_down.json: colour: unknown field");
    expect(m).toContain("tap_admin_down.json: risky: must be true or false");
  });

  it("unknown fact and unknown field of a fact", () => {
    const r = clone();
    r.conditions = {
      all: [
        { fact: "bridge", path: "adminUp", operator: "equal", value: false },
        { fact: "tap", path: "adminUpp", operator: "equal", value: false },
      ],
    };
    put("tap_admin_down.json", r);
    const m = messages().join("\n");
    expect(m).toContain('tap_admin_down.json: conditions.all[0].fact: unknown fact "bridge"');
    expect(m).toContain(
      'tap_admin_down.json: conditions.all[1].path: unknown field "adminUpp" of fact "tap"',
    );
  });

  it("unknown operator and a value of the wrong type", () => {
    const r = clone();
    r.conditions = {
      all: [
        { fact: "tap", path: "adminUp", operator: "equals", value: false },
        { fact: "tap", path: "mtu", operator: "greaterThan", value: "1500" },
      ],
    };
    put("tap_admin_down.json", r);
    const m = messages().join("\n");
    expect(m).toContain('tap_admin_down.json: conditions.all[0].operator: unknown operator "equals"');
    expect(m).toContain("tap_admin_down.json: conditions.all[1].value: must be a number");
  });

  it("duplicate id, and an id that does not match its file", () => {
    put("tap_admin_down.json", GOOD);
    put("bridge_down.json", GOOD);
    const m = messages().join("\n");
    expect(m).toContain('tap_admin_down.json: id: duplicate id "tap_admin_down" (also in');
  });

  it("id not in the catalog", () => {
    const r = clone();
    r.id = "gremlins";
    put("gremlins.json", r);
    expect(messages().join("\n")).toContain('gremlins.json: id: "gremlins" is not a cause id of the catalog');
  });

  it("unknown template parameter, unbound parameter, missing language", () => {
    const r = clone();
    r.commands.fix = ["ip link set {{tapp}} up"];
    r.params.extra = "ifname";
    delete r.title.zh;
    put("tap_admin_down.json", r);
    const m = messages().join("\n");
    expect(m).toContain("tap_admin_down.json: commands.fix[0]: unknown parameter {{tapp}}");
    expect(m).toContain("tap_admin_down.json: params.extra: declared but not bound to a fact (bind)");
    expect(m).toContain("tap_admin_down.json: title.zh: missing or empty text");
  });

  it("a command the catalog marks wrong is refused", () => {
    const r = clone();
    r.commands.check = ["bridgectl show"];
    put("tap_admin_down.json", r);
    expect(messages().join("\n")).toContain(
      "tap_admin_down.json: commands.check[0]: forbidden command: bridgectl does not exist",
    );
  });

  it("free-text parameters may not reach commands", () => {
    const r = clone();
    r.params.why = "text";
    r.bind.why = "tap.expectedFrom";
    r.commands.fix = ["echo {{why}}"];
    put("tap_admin_down.json", r);
    expect(messages().join("\n")).toContain(
      "commands.fix[0]: parameter {{why}} is free text and may not appear in a command",
    );
  });

  it("`rules check` exits 1 naming file and field, and lists missing causes", async () => {
    const r = clone();
    r.commands.fix = ["ip link set {{bridg}} up"];
    put("tap_admin_down.json", r);
    const err: string[] = [];
    const code = await run(["check", dir], { out: () => {}, err: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(err.join("\n")).toMatch(
      /tap_admin_down\.json: commands\.fix\[0\]: unknown parameter \{\{bridg\}\}/,
    );
    expect(err.join("\n")).toMatch(/bridge_down\.json: missing: cause bridge_down has no rule file/);
  });

  it("`rules check` with bad usage exits 2", async () => {
    expect(await run(["lint"], { out: () => {}, err: () => {} })).toBe(2);
  });
});

describe("parameters never carry injection into commands", () => {
  it("patterns reject shell metacharacters", () => {
    for (const bad of ["vnet0; reboot", "vnet0;reboot", "$(reboot)", "vnet0`id`", "a b", "x".repeat(16), ""])
      expect(checkParam("ifname", bad)).toBe(false);
    expect(checkParam("ipv4", "198.51.100.300")).toBe(false);
    expect(checkParam("cidr", "198.51.100.0/24; reboot")).toBe(false);
    expect(checkParam("mac", "52:54:00:00:00:01 ")).toBe(false);
    expect(checkParam("ifname", "vnet0")).toBe(true);
    expect(render("ip link set {{tap}} up", { tap: "vnet0; reboot" }, { tap: "ifname" })).toEqual({
      ok: false,
      param: "tap",
      value: "vnet0; reboot",
    });
  });

  it("a hostile interface name from facts drops the command and never reaches the text", async () => {
    const kb = createKnowledge(loadRules().rules);
    const f = healthyHost();
    const l = linkOf(f, "vnet1");
    l.ifname = "vnet1;reboot";
    l.adminUp = false;
    l.flags = ["BROADCAST", "MULTICAST"];
    const ev = await kb.diagnose(f, { categories: ["host_guest"], targets: [], language: "en" });
    const finding = ev.findings.find((x) => x.id === "tap_admin_down");
    expect(finding).toBeDefined();
    const all = JSON.stringify(finding);
    expect(all).not.toContain("reboot");
    expect(finding?.fix).toEqual([]);
    expect(ev.notes.join("\n")).toMatch(/tap_admin_down: fix command left out: \{\{tap\}\}/);
  });
});

describe("the shipped knowledge base", () => {
  it("passes `rules check`: 49 rules, each tested by a lab fault or a replay bundle", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(["check"], { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^49 rules OK in /);
  });
});
