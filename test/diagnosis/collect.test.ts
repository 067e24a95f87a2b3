import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collect } from "../../src/diagnosis/collect.js";
import type { EvidenceBundle, Probe } from "../../src/probes/types.js";
import { localTransport } from "../../src/transport/local.js";
import { BundleError, checkBundle, loadBundle, replayTransport } from "../../src/transport/replay.js";
import { commandProbe } from "../support/probes.js";

const PROBES: Probe[] = [
  commandProbe("hello", "echo hello"),
  commandProbe("missing", "no-such-tool-hm --json", { tool: "no-such-tool-hm" }),
  commandProbe("missingInPipe", "no-such-tool-hm -a | cat", { tool: "no-such-tool-hm" }),
  commandProbe("fails", "echo 'RTNETLINK answers: No such device' >&2; exit 2", { tool: "echo" }),
  commandProbe("hangs", "sleep 30", { timeoutMs: 600 }),
  commandProbe("arping", "echo should-not-run", { active: true }),
  commandProbe("bad", "", {
    command: () => {
      throw new Error("interface name 'a b' is not valid");
    },
  }),
  commandProbe("target", "", { command: (ctx) => `echo ${ctx.targets.join(",")}` }),
];

const dir = mkdtempSync(join(tmpdir(), "hm-collect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("collect", () => {
  it("runs every probe and gives each evidence its status; one failure never stops the others", async () => {
    const local = localTransport();
    const progress: string[] = [];
    const bundle = await collect(local, {
      probes: PROBES,
      ctx: { targets: [] },
      onProgress: (p) => progress.push(`${p.done}/${p.total}`),
    });
    await local.close();
    expect(bundle).toMatchObject({ version: 1, host: "localhost", targets: [] });
    expect(Date.parse(bundle.time)).not.toBeNaN();
    const by = Object.fromEntries(bundle.evidence.map((e) => [e.probe, e]));
    expect(bundle.evidence.map((e) => e.probe)).toEqual(PROBES.map((p) => p.id));
    expect(by.hello).toMatchObject({ status: "ok", stdout: "hello\n", exitCode: 0, command: "echo hello" });
    expect(by.missing).toMatchObject({
      status: "missing_tool",
      note: "no-such-tool-hm is not installed",
      exitCode: 127,
    });
    expect(by.missingInPipe).toMatchObject({ status: "missing_tool", exitCode: 0 });
    expect(by.fails).toMatchObject({
      status: "failed",
      exitCode: 2,
      stderr: "RTNETLINK answers: No such device\n",
      note: "exited with 2: RTNETLINK answers: No such device",
    });
    expect(by.hangs).toMatchObject({ status: "timeout", exitCode: null });
    expect(by.arping).toMatchObject({ status: "skipped", command: "" });
    expect(by.bad).toMatchObject({
      status: "failed",
      note: "cannot build the command: interface name 'a b' is not valid",
    });
    expect(by.target).toMatchObject({ status: "ok", stdout: "\n" });
    expect(progress).toHaveLength(PROBES.length);
    expect(progress.at(-1)).toBe(`${PROBES.length}/${PROBES.length}`);
  });

  it("runs active probes when the request names targets", async () => {
    const local = localTransport();
    const bundle = await collect(local, {
      probes: PROBES.filter((p) => ["arping", "target"].includes(p.id)),
      ctx: { targets: ["198.51.100.10"] },
    });
    await local.close();
    expect(bundle.targets).toEqual(["198.51.100.10"]);
    expect(bundle.evidence.map((e) => [e.status, e.stdout])).toEqual([
      ["ok", "should-not-run\n"],
      ["ok", "198.51.100.10\n"],
    ]);
  });

  it("round-trips a bundle through JSON and the replay transport", async () => {
    const local = localTransport();
    const original = await collect(local, { probes: PROBES, ctx: { targets: [] } });
    await local.close();
    const file = join(dir, "bundle.json");
    writeFileSync(file, JSON.stringify(original));
    const loaded = loadBundle(file);
    expect(loaded).toEqual(original);

    const extra = commandProbe("notRecorded", "echo never-recorded");
    const replayed = await collect(replayTransport(loaded), {
      probes: [...PROBES, extra],
      ctx: { targets: [] },
    });
    const strip = (b: EvidenceBundle) => b.evidence.map(({ durationMs: _d, ...rest }) => rest);
    expect(strip(replayed).slice(0, PROBES.length)).toEqual(strip(original));
    expect(replayed.host).toBe("localhost");
    expect(replayed.evidence.at(-1)).toMatchObject({ probe: "notRecorded", status: "skipped" });
  });
});

describe("loadBundle", () => {
  const good = {
    version: 1,
    host: "kvm01",
    time: "2026-11-30T01:00:00.000Z",
    targets: ["198.51.100.10"],
    evidence: [
      {
        probe: "links",
        command: "ip -j link",
        stdout: "[]",
        stderr: "",
        exitCode: 0,
        durationMs: 5,
        truncated: false,
        status: "ok",
      },
    ],
  };
  const bad = (patch: (b: typeof good & Record<string, unknown>) => void) => {
    const b = structuredClone(good) as typeof good & Record<string, unknown>;
    patch(b);
    return () => checkBundle(b, "b.json");
  };

  it("accepts a well-formed bundle", () => {
    expect(checkBundle(good, "b.json")).toEqual(good);
  });

  it.each([
    [
      bad((b) => {
        b.version = 2;
      }),
      "b.json: version must be 1, got 2",
    ],
    [
      bad((b) => {
        b.host = "";
      }),
      "b.json: host must be a non-empty string",
    ],
    [
      bad((b) => {
        b.time = "yesterday";
      }),
      "b.json: time must be an ISO 8601 date",
    ],
    [
      bad((b) => {
        b.targets = [1] as never;
      }),
      "b.json: targets must be an array of strings",
    ],
    [
      bad((b) => {
        b.evidence[0]!.exitCode = "0" as never;
      }),
      "b.json: evidence[0].exitCode must be an integer or null",
    ],
    [
      bad((b) => {
        b.evidence[0]!.status = "great";
      }),
      "b.json: evidence[0].status must be one of ok, missing_tool, permission_denied, timeout, failed, parse_error, skipped",
    ],
    [
      bad((b) => {
        delete (b.evidence[0] as Record<string, unknown>).stdout;
      }),
      "b.json: evidence[0].stdout must be a string",
    ],
    [
      bad((b) => {
        b.evidence = {} as never;
      }),
      "b.json: evidence must be an array",
    ],
  ])("names the bad field (%#)", (fn, message) => {
    expect(fn).toThrow(BundleError);
    expect(fn).toThrow(message);
  });

  it("says when the file is not JSON or missing", () => {
    const file = join(dir, "garbage.json");
    writeFileSync(file, "{not json");
    expect(() => loadBundle(file)).toThrow(/not valid JSON/);
    expect(() => loadBundle(join(dir, "nope.json"))).toThrow(`${join(dir, "nope.json")}: no such file`);
  });
});
