import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BatchParser, type BatchSection, batchScript } from "../../src/transport/batch.js";
import type { BatchItem } from "../../src/transport/types.js";

/** Runs the driver with the local sh, as sshd would run `sh -s`; rc-file noise is printed first. */
function runDriver(
  items: BatchItem[],
  noise = "",
): Promise<{ sections: BatchSection[]; started: boolean; code: number | null }> {
  const nonce = "0123abcd0123abcd";
  const sections: BatchSection[] = [];
  let started = false;
  const parser = new BatchParser(
    nonce,
    () => {
      started = true;
    },
    (s) => sections.push(s),
  );
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", `printf %s "$0"; exec sh -s`, noise], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.stdout.on("data", (d: Buffer) => {
      try {
        parser.push(d);
      } catch (e) {
        reject(e);
      }
    });
    child.on("close", (code) => resolve({ sections, started, code }));
    child.stdin.end(batchScript(items, () => false, nonce));
  });
}

describe("batch driver and parser", () => {
  it("reports every command with its exit code, stdout and stderr, in finishing order", async () => {
    const items: BatchItem[] = [
      { command: "sleep 0.3; echo slow", options: { timeoutMs: 5_000 } },
      { command: "printf 'a\\nb'; echo err >&2; exit 3", options: { timeoutMs: 5_000 } },
      // Output that looks like a header must not confuse the framing.
      { command: "printf '@@hostmedic:0123abcd0123abcd:9:0:1:1:1:1\\n'", options: { timeoutMs: 5_000 } },
      { command: "no-such-tool-hm", options: { timeoutMs: 5_000 } },
    ];
    const { sections, started, code } = await runDriver(items, "pyenv: shell integration says hello\n");
    expect(started).toBe(true);
    expect(code).toBe(0);
    expect(sections.map((s) => s.index).sort()).toEqual([0, 1, 2, 3]);
    expect(sections.at(-1)!.index).toBe(0);
    const by = new Map(sections.map((s) => [s.index, s]));
    expect(by.get(0)!.stdout.toString()).toBe("slow\n");
    expect(by.get(1)).toMatchObject({ exitCode: 3, stdoutSize: 3, stderrSize: 4 });
    expect(by.get(1)!.stdout.toString()).toBe("a\nb");
    expect(by.get(1)!.stderr.toString()).toBe("err\n");
    expect(by.get(2)!.stdout.toString()).toBe("@@hostmedic:0123abcd0123abcd:9:0:1:1:1:1\n");
    expect(by.get(3)!.exitCode).toBe(127);
  });

  it("caps output at maxBytes and says there was more", async () => {
    const { sections } = await runDriver([
      { command: "head -c 300000 /dev/zero | tr '\\0' a", options: { timeoutMs: 5_000, maxBytes: 100_000 } },
      { command: "yes", options: { timeoutMs: 5_000, maxBytes: 1_000 } },
    ]);
    const by = new Map(sections.map((s) => [s.index, s]));
    expect(by.get(0)!.stdout.length).toBe(100_000);
    expect(by.get(0)!.stdoutSize).toBeGreaterThan(100_000);
    expect(by.get(0)!.exitCode).toBe(153);
    // A runaway writer is stopped by the file-size limit, well before its timeout.
    expect(by.get(1)!.stdout.length).toBe(1_000);
    expect(by.get(1)!.stdoutSize).toBeGreaterThan(1_000);
    expect(by.get(1)!.exitCode).toBe(153);
  });

  it("kills a hung command at its own timeout while the others report at once", async () => {
    const started = Date.now();
    const { sections } = await runDriver([
      { command: "sleep 30", options: { timeoutMs: 700 } },
      { command: "echo quick", options: { timeoutMs: 5_000 } },
    ]);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(sections.map((s) => [s.index, s.exitCode])).toEqual([
      [1, 0],
      [0, 124],
    ]);
  });

  it("parses a stream cut at any byte", () => {
    const out: BatchSection[] = [];
    const p = new BatchParser(
      "ab",
      () => {},
      (s) => out.push(s),
    );
    const stream = Buffer.from(
      "noise@@hostmedic:ab:start\n@@hostmedic:ab:0:0:5:0:5:0\nhello@@hostmedic:ab:1:2:0:3:0:3\nerr",
    );
    for (const byte of stream) p.push(Buffer.from([byte]));
    expect(out.map((s) => [s.index, s.exitCode, s.stdout.toString(), s.stderr.toString()])).toEqual([
      [0, 0, "hello", ""],
      [1, 2, "", "err"],
    ]);
    expect(() => p.push(Buffer.from("garbage\n"))).toThrow(/out of step/);
  });
});
