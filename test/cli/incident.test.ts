import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, hostmedic, scratch } from "./support.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "diagnosis");

let s: ReturnType<typeof scratch>;
let tapIncident: number;
let zhIncident: number;
const run = (args: string[]) => hostmedic(args, s.env, s.dir);

beforeAll(async () => {
  buildCli();
  s = scratch();
  const a = await run([
    "diagnose",
    "--replay",
    join(FIXTURES, "tap_not_enslaved.json"),
    "--json",
    "vm 198.51.100.10 cannot reach the host",
  ]);
  tapIncident = JSON.parse(a.stdout).incident;
  const b = await run([
    "diagnose",
    "--replay",
    join(FIXTURES, "healthy.json"),
    "--json",
    "虚拟机无法上网，时断时续",
  ]);
  zhIncident = JSON.parse(b.stdout).incident;
});
afterAll(() => s?.close());

describe("hostmedic search", () => {
  it("finds incidents by cause id, by Chinese cause title and by Chinese symptom", async () => {
    const byId = await run(["search", "tap_not_enslaved", "--json"]);
    expect(byId.code).toBe(0);
    const hits = JSON.parse(byId.stdout) as { incident: number; causes: string[]; score: number }[];
    expect(hits[0]!.incident).toBe(tapIncident);
    expect(hits[0]!.causes).toContain("tap_not_enslaved");
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(JSON.parse((await run(["search", "网桥", "--json"])).stdout)[0].incident).toBe(tapIncident);
    expect(
      JSON.parse((await run(["search", "无法上网", "--json"])).stdout).map(
        (h: { incident: number }) => h.incident,
      ),
    ).toEqual([zhIncident]);
  });

  it("prints readable lines, says when nothing matches, and refuses an empty query", async () => {
    const r = await run(["search", "cannot", "reach"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`#${tapIncident}`);
    expect((await run(["search", "zzqqxx"])).stdout).toContain('no past incident matches "zzqqxx"');
    expect((await run(["search"])).code).toBe(2);
    expect((await run(["search", "x", "--limit", "0"])).code).toBe(2);
    expect((await run(["search", "--help"])).code).toBe(0);
  });
});

describe("hostmedic incident", () => {
  it("lists and shows incidents", async () => {
    const list = await run(["incident", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((i: { id: number }) => i.id)).toEqual([zhIncident, tapIncident]);
    const show = await run(["incident", "show", String(tapIncident)]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`incident #${tapIncident}`);
    expect(show.stdout).toContain("tap_not_enslaved");
    expect(show.stdout).toMatch(/evidence bundle sha256 [0-9a-f]{64}/);
  });

  it("confirm resolves the incident and makes a case; reject and note are recorded", async () => {
    const c = await run([
      "incident",
      "confirm",
      String(tapIncident),
      "tap_not_enslaved",
      "--note",
      "re-attached",
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain("confirmed");
    const r = await run(["incident", "reject", String(zhIncident), "ip_forward_disabled"]);
    expect(r.code, r.stderr).toBe(0);
    const n = await run(["incident", "note", String(zhIncident), "交换机端口被限速"]);
    expect(n.code, n.stderr).toBe(0);
    const tap = JSON.parse((await run(["incident", "show", String(tapIncident), "--json"])).stdout);
    expect(tap.incident.status).toBe("resolved");
    expect(tap.cases).toEqual([expect.objectContaining({ cause: "tap_not_enslaved", verdict: "confirmed" })]);
    const zh = JSON.parse((await run(["incident", "show", String(zhIncident), "--json"])).stdout);
    expect(zh.incident.status).toBe("diagnosed");
    expect(zh.cases[0]).toMatchObject({ cause: "ip_forward_disabled", verdict: "rejected" });
    expect(zh.notes[0].text).toBe("交换机端口被限速");
    expect(JSON.parse((await run(["search", "限速", "--json"])).stdout)[0].incident).toBe(zhIncident);
    expect(
      JSON.parse((await run(["incident", "list", "--open", "--json"])).stdout).map(
        (i: { id: number }) => i.id,
      ),
    ).toEqual([zhIncident]);
  });

  it("exits 2 on bad usage or an unknown cause, and 1 on an unknown incident", async () => {
    for (const args of [
      [],
      ["frob"],
      ["show"],
      ["show", "x"],
      ["confirm", "1"],
      ["note", "1"],
      ["list", "3"],
      ["list", "--bogus"],
    ])
      expect((await run(["incident", ...args])).code, args.join(" ")).toBe(2);
    const missing = await run(["incident", "show", "999"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no incident #999");
    const bad = await run(["incident", "confirm", String(tapIncident), "tap_not_enslavd"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"tap_not_enslavd" is not a known cause id; causes found in incident');
    expect(bad.stderr).toContain("tap_not_enslaved");
    expect((await run(["incident", "--help"])).code).toBe(0);
  });
});
