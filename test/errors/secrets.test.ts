import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { buildCli } from "../cli/support.js";
import { MAIN, runNode } from "../support/cli.js";

/** Start-up problems with Slack: said plainly, and no token, secret or password in what is printed. */

const BOT_TOKEN = "xoxb-9999-8888-hmxsecrettoken";
const SIGNING_SECRET = "hmx0signing0secret0do0not0print";

let dir: string;
beforeAll(() => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), "hmx-secrets-"));
  writeFileSync(
    join(dir, "inventory.yml"),
    "all:\n  children:\n    kvm:\n      hosts:\n        kvm01:\n          ansible_host: 192.0.2.5\n",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (env: Record<string, string>) =>
  runNode(MAIN, [], {
    env: {
      MEDIC_DB: join(dir, "medic.db"),
      MEDIC_INVENTORY: join(dir, "inventory.yml"),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: "38119",
      LOG_LEVEL: "debug",
      ...env,
    },
    cwd: dir,
    input: "",
    timeoutMs: 90_000,
  });

describe("Slack start-up errors keep secrets out", () => {
  it("SLACK_API_URL with user:password@ is refused without printing it", () => {
    let problems: string[] = [];
    try {
      loadConfig({ SLACK_API_URL: "https://proxyuser:hunter2@proxy.example/api/" }, null);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^SLACK_API_URL: must not contain user:password@/)]);
    expect(problems.join("\n")).not.toContain("hunter2");
  });

  it("Slack's Web API cannot be reached: says so (not 'token refused'), exit ≠ 0, no secret even at debug level", async () => {
    // Port 9 on the loopback: nothing listens.
    const r = await start({ SLACK_API_URL: "http://127.0.0.1:9/api/" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /hostmedic: cannot reach Slack's Web API at http:\/\/127\.0\.0\.1:9\/api\/ \(auth\.test: request_failed\); check the network/,
    );
    expect(r.stderr).not.toMatch(/did not accept SLACK_BOT_TOKEN/);
    const all = `${r.stdout}${r.stderr}`;
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain(SIGNING_SECRET);
  });
});
