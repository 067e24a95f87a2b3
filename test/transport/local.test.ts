import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { isPermissionDenied, OutputCap, shQuote, wrapCommand } from "../../src/transport/exec-common.js";
import { localTransport } from "../../src/transport/local.js";

const local = localTransport();
afterAll(() => local.close());

function running(pattern: string): boolean {
  try {
    execFileSync("pgrep", ["-f", pattern]);
    return true;
  } catch {
    return false;
  }
}

describe("local transport", () => {
  it("runs a command and returns its output, exit code and duration", async () => {
    const r = await local.exec("printf 'a\\nb'; echo oops >&2; exit 3", { timeoutMs: 5_000 });
    expect(r).toMatchObject({
      stdout: "a\nb",
      stderr: "oops\n",
      exitCode: 3,
      truncated: false,
      timedOut: false,
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("passes quotes and shell characters through untouched", async () => {
    const r = await local.exec(`echo "it's" '$HOME' \`echo x\``, { timeoutMs: 5_000 });
    expect(r.stdout).toBe("it's $HOME x\n");
  });

  it("kills a hung command and its children at the timeout", async () => {
    const marker = "61.4242";
    const started = Date.now();
    const r = await local.exec(`sleep ${marker} & sleep ${marker}; echo never`, { timeoutMs: 800 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.stdout).toBe("");
    expect(Date.now() - started).toBeLessThan(6_000);
    // `timeout` kills the whole process group, the background sleep included.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running(`sleep ${marker}`)).toBe(false);
  });

  it("caps output, marks it truncated and does not wait for the rest", async () => {
    const started = Date.now();
    const r = await local.exec("yes aaaaaaaaaaaaaaaaaaaaaaa", { timeoutMs: 20_000, maxBytes: 100_000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(100_000);
    expect(r.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("says exit 127 for a missing tool", async () => {
    const r = await local.exec("no-such-tool-hostmedic --version", { timeoutMs: 5_000 });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/no-such-tool-hostmedic: (command )?not found/);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "runs root probes through sudo -n when told it is not root (as root, sudo -n lets it through)",
    async () => {
      const asUser = localTransport({ isRoot: false });
      const r = await asUser.exec("id -u; ps -o comm= -p $PPID", { timeoutMs: 5_000, root: true });
      expect(r.stdout).toBe("0\ntimeout\n");
      expect(r.permissionDenied).toBe(false);
      await asUser.close();
    },
  );

  it("runs commands in parallel, at most maxParallel at once", async () => {
    const t = localTransport({ maxParallel: 2 });
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => t.exec("date +%s%6N; sleep 1; date +%s%6N", { timeoutMs: 10_000 })),
    );
    await t.close();
    // Sweep over start/end times: how many ran at the same moment.
    const events = results.flatMap((r) => {
      const [start, end] = r.stdout.trim().split("\n").map(Number) as [number, number];
      return [
        [start, 1],
        [end, -1],
      ] as Array<[number, number]>;
    });
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, delta] of events) {
      running += delta;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
  });
});

describe("command wrapping", () => {
  it("quotes for sh and wraps in timeout, with sudo -n when asked", () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(wrapCommand("ip -j link", 1500, false)).toBe("exec timeout -k 2 1.5 sh -c 'ip -j link'");
    expect(wrapCommand("ip -j link", 10_000, true)).toBe("exec sudo -n timeout -k 2 10 sh -c 'ip -j link'");
  });

  it("recognises sudo refusals and kernel refusals", () => {
    expect(isPermissionDenied("sudo: a password is required\n", 1)).toBe(true);
    expect(isPermissionDenied("sudo: a terminal is required to read the password\n", 1)).toBe(true);
    expect(isPermissionDenied("medic is not in the sudoers file.\n", 1)).toBe(false);
    expect(isPermissionDenied("sudo: medic is not in the sudoers file.\n", 1)).toBe(true);
    expect(isPermissionDenied("iptables v1.8.9: Permission denied (you must be root)\n", 4)).toBe(true);
    expect(isPermissionDenied("Permission denied\n", 0)).toBe(false);
  });

  it("cuts output at the cap across chunks", () => {
    const cap = new OutputCap(5);
    expect(cap.push(Buffer.from("abc"))).toBe(true);
    expect(cap.push(Buffer.from("defg"))).toBe(false);
    expect(cap.push(Buffer.from("h"))).toBe(false);
    expect(cap.text()).toBe("abcde");
    expect(cap.truncated).toBe(true);
  });
});
