/**
 * How fast evidence collection is over SSH, against real sshd in lab namespaces:
 * - floor: one bare `ssh host true` (process start, key exchange, login, one command);
 * - full: our transport, one connection, the real probe registry in parallel (passive probes);
 * - naive: one `ssh host COMMAND` process per probe, in sequence (what a shell script would do);
 * - fleet: 20 lab hosts collected at once vs one host, and the process's peak RSS.
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { collect } from "../src/diagnosis/collect.js";
import { loadInventory } from "../src/inventory/index.js";
import type { InventoryHost } from "../src/inventory/types.js";
import { cleanupPrefix } from "../src/lab/cleanup.js";
import { type Lab, labUp } from "../src/lab/lab.js";
import { probes } from "../src/probes/index.js";
import type { ProbeContext } from "../src/probes/types.js";
import { connectSsh } from "../src/transport/ssh.js";
import { type BenchOut, type BenchSection, median, ms, peakRss, ratio, timed } from "./section.js";

const FLEET = 20;
const ctx: ProbeContext = { targets: [] };

function sshArgs(lab: Lab): string[] {
  return [
    "-F",
    "/dev/null",
    "-i",
    lab.keyFile,
    "-o",
    `UserKnownHostsFile=${lab.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ControlMaster=no",
    "-o",
    "ControlPath=none",
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(lab.port),
    `${lab.user}@${lab.address}`,
  ];
}

function ssh(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      // 255 is ssh's own failure (connection, key): the figure would be meaningless.
      if (code === 255) reject(new Error(`ssh failed: ${stderr.trim()}`));
      else resolve(code ?? -1);
    });
  });
}

function hostOf(lab: Lab): InventoryHost {
  return loadInventory(lab.inventoryFile).resolve(lab.hostName)[0]!;
}

/** One full collection: connect, every passive probe, close. Returns how many evidence came back ok. */
async function collectOnce(lab: Lab): Promise<{ ok: number; total: number }> {
  const t = await connectSsh(hostOf(lab), { knownHostsFile: lab.knownHostsFile, connectTimeoutMs: 15_000 });
  try {
    const bundle = await collect(t, { probes, ctx });
    return { ok: bundle.evidence.filter((e) => e.status === "ok").length, total: bundle.evidence.length };
  } finally {
    await t.close();
  }
}

async function withLabs<T>(prefixes: string[], fn: (labs: Lab[]) => Promise<T>): Promise<T> {
  const labs: Lab[] = [];
  try {
    // A few at a time: building a lab is mostly ip/sshd processes, and this machine has 2 cores.
    for (let i = 0; i < prefixes.length; i += 4) {
      const batch = prefixes.slice(i, i + 4);
      await Promise.all(batch.map((p) => cleanupPrefix(p)));
      const built = await Promise.allSettled(batch.map((prefix) => labUp({ prefix })));
      for (const r of built) if (r.status === "fulfilled") labs.push(r.value);
      const failed = built.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    return await fn(labs);
  } finally {
    await Promise.allSettled(labs.map((l) => l.down()));
  }
}

async function single(out: BenchOut, lab: Lab): Promise<void> {
  const args = sshArgs(lab);
  const commands = probes.filter((p) => !p.active).map((p) => p.command(ctx));
  // Warm-up: page cache, sshd's first fork, our module loading.
  await ssh([...args, "true"]);
  const first = await collectOnce(lab);
  out.line(
    `probes: ${first.total} in the registry, ${commands.length} passive; ${first.ok} came back ok from the lab`,
  );

  const floor = median(await timed(out.runs, () => ssh([...args, "true"])));
  const full = median(await timed(out.runs, () => collectOnce(lab)));
  const naive = median(
    await timed(Math.max(1, Math.ceil(out.runs / 2)), async () => {
      for (const c of commands) await ssh([...args, c]);
    }),
  );
  out.line();
  out.table([
    ["measure", "median", "vs floor", "goal"],
    ["floor: ssh host true", ms(floor), ratio(1), ""],
    [
      "full collection (ours)",
      ms(full),
      ratio(full / floor),
      `≤ 2× floor: ${full <= 2 * floor ? "met" : "NOT met"}`,
    ],
    [`naive: ${commands.length} × ssh in sequence`, ms(naive), ratio(naive / floor), ""],
    ["naive / full", ratio(naive / full), "", `≥ 5×: ${naive / full >= 5 ? "met" : "NOT met"}`],
  ]);
}

async function fleet(out: BenchOut, one: Lab): Promise<void> {
  const prefixes = Array.from({ length: FLEET }, (_, i) => `hmb${String(i).padStart(2, "0")}`);
  const t0 = performance.now();
  await withLabs(prefixes, async (labs) => {
    out.line();
    out.line(`${labs.length} labs built in ${ms(performance.now() - t0)}`);
    await Promise.all(labs.map((l) => collectOnce(l))); // warm-up
    const oneRun = await peakRss(() => cpuAndWall(out.runs, () => collectOnce(one)));
    const manyRun = await peakRss(() =>
      cpuAndWall(out.runs, async () => {
        const results = await Promise.all(labs.map((l) => collectOnce(l)));
        const short = results.filter((r) => r.ok !== results[0]!.ok);
        if (short.length > 0)
          throw new Error(`${short.length} hosts collected fewer ok evidence than the first`);
      }),
    );
    // What the machine itself allows: the lab's hosts run on this machine's CPUs, not their own.
    const floorOne = median(await timed(out.runs, () => ssh([...sshArgs(one), "true"])));
    const floorMany = median(
      await timed(out.runs, () => Promise.all(labs.map((l) => ssh([...sshArgs(l), "true"])))),
    );
    const r = manyRun.result.wall / oneRun.result.wall;
    out.line();
    out.table([
      ["measure", "median wall", "our CPU", "peak RSS", "goal"],
      ["one host", ms(oneRun.result.wall), ms(oneRun.result.cpu), `${oneRun.peakMiB.toFixed(0)} MiB`, ""],
      [
        `${labs.length} hosts at once`,
        ms(manyRun.result.wall),
        ms(manyRun.result.cpu),
        `${manyRun.peakMiB.toFixed(0)} MiB`,
        `≤ 2× one: ${r <= 2 ? "met" : "NOT met"} (${ratio(r)})`,
      ],
      ["floor, one: ssh host true", ms(floorOne), "", "", ""],
      [
        `floor, ${labs.length} at once`,
        ms(floorMany),
        "",
        "",
        `machine bound: ${ratio(floorMany / floorOne)}`,
      ],
    ]);
    out.line(
      `this machine: ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)}; every lab host's sshd and probes run on them,`,
    );
    out.line(
      "so the wall-time ratio is bound by the machine (see the floor rows); our CPU shows the client's own cost.",
    );
    out.line(
      `process peak RSS over the whole run (resourceUsage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
  });
}

/** Median wall time and median CPU time of this process (user + system) over n runs. */
async function cpuAndWall(n: number, fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpu) };
}

const section: BenchSection = {
  name: "collect",
  title: "evidence collection over SSH: floor, ours, naive; 20 hosts at once",
  skipReason: () => (process.getuid?.() === 0 ? null : "needs root (the lab's network namespaces)"),
  async run(out) {
    await withLabs(["hmb"], async ([lab]) => {
      await single(out, lab!);
      if (process.env.BENCH_FLEET !== "0") await fleet(out, lab!);
    });
  },
};

export default section;
