import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtOrSkipReason, MAIN, ROOT, runNode } from "../../support/cli.js";

function env(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "hm-console-"));
  return { MEDIC_DB: join(dir, "hm.db"), MEDIC_INVENTORY: join(dir, "inventory.yml") };
}

describe.skipIf(builtOrSkipReason())("console (a real child process, piped stdin)", () => {
  it("says it is the console, answers help and an unknown message, and leaves on end of input", async () => {
    const r = await runNode(MAIN, [], { env: env(), input: "help\nwhat is the weather like\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hostmedic console — no Slack credentials are set/);
    expect(r.stdout).toMatch(/SLACK_BOT_TOKEN/);
    // help
    expect(r.stdout).toMatch(/search QUERY/);
    expect(r.stdout).toMatch(/HOST \[SYMPTOM\]/);
    // the unknown message gets a reply saying what it can do
    expect(r.stdout).toMatch(/I can diagnose a host from the inventory/);
  });

  it("answers in Chinese when spoken to in Chinese", async () => {
    const r = await runNode(MAIN, [], { env: env(), input: "帮助\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/排查 KVM 宿主机与虚拟机之间的网络问题/);
  });

  it("creates and migrates the database on start", async () => {
    const e = env();
    await runNode(MAIN, [], { env: e, input: "" });
    const r = await runNode(join(ROOT, "dist", "src", "cli.js"), ["migrate"], { env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is at schema version \d+/);
  });

  it("closes cleanly on SIGTERM while waiting for input", async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, ...env() },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    await new Promise<void>((resolve) => {
      const check = () => (out.includes("Ctrl-D") ? resolve() : setTimeout(check, 50));
      check();
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
  });

  it("stops start-up with a clear message on a bad variable", async () => {
    const r = await runNode(MAIN, [], { env: { ...env(), PORT: "eighty" }, input: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PORT: expected a TCP port number/);
  });
});
