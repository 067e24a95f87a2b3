import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN } from "../../support/cli.js";
import { commandBody, eventBody, FakeSlack, sendToApp } from "../../support/fake-slack.js";
import { BOT_TOKEN, SECRET, textOf, threadMessages } from "./helpers.js";
import { fixture, jsonFixture } from "./services.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const notBuilt = existsSync(MAIN) ? null : "dist/ is not built: run `npm run build` (npm test does it)";

/** `npm start` in HTTP mode: the built main.js with Slack credentials and SLACK_API_URL, over real HTTP. */
describe.skipIf(notBuilt)(
  `npm start in HTTP mode (node dist/src/main.js)${notBuilt ? ` — skipped: ${notBuilt}` : ""}`,
  () => {
    const fake = new FakeSlack();
    let dir: string;
    let child: ChildProcess;
    let output = "";
    let base: string;
    let exited: Promise<number | null>;

    beforeAll(async () => {
      await fake.start();
      dir = mkdtempSync(join(tmpdir(), "hostmedic-main-"));
      writeFileSync(
        join(dir, "inventory.yml"),
        "all:\n  children:\n    kvm:\n      hosts:\n        kvm01:\n          ansible_host: 192.0.2.250\n          ansible_user: root\n",
      );
      writeFileSync(join(dir, "known_hosts"), "");
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, [MAIN], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dir,
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_API_URL: fake.apiUrl,
          PORT: String(port),
          MEDIC_DB: join(dir, "medic.db"),
          MEDIC_INVENTORY: join(dir, "inventory.yml"),
          MEDIC_KNOWN_HOSTS: join(dir, "known_hosts"),
          LOG_LEVEL: "debug",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (d) => {
        output += d;
      });
      child.stderr?.on("data", (d) => {
        output += d;
      });
      exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}:\n${output}`);
        try {
          if ((await fetch(`${base}/healthz`)).ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`main.js did not serve /healthz within 30 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 60_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill("SIGTERM");
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
        if (code === "timeout") child.kill("SIGKILL");
        expect(code).toBe(0);
      }
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("serves GET /healthz", async () => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true });
    });

    it("answers url_verification and refuses a bad signature", async () => {
      const body = fixture("url_verification.json");
      const res = await sendToApp(`${base}/slack/events`, body, "application/json", { secret: SECRET });
      expect(res.status).toBe(200);
      expect(res.text).toContain(jsonFixture<{ challenge: string }>("url_verification.json").challenge);
      const bad = await sendToApp(`${base}/slack/events`, body, "application/json", {
        secret: SECRET,
        signWith: "x",
      });
      expect(bad.status).toBe(401);
    });

    it("answers /medic help and a mention in its thread", async () => {
      const form = Object.fromEntries(new URLSearchParams(fixture("slash_command.form").trim()));
      const cmd = await sendToApp(
        `${base}/slack/events`,
        commandBody({ ...form, text: "help" }),
        "application/x-www-form-urlencoded",
        { secret: SECRET },
      );
      expect(cmd.status).toBe(200);
      const help = await fake.waitFor(() => fake.callsOf("chat.postEphemeral")[0]);
      expect(textOf(help)).toContain("search QUERY");

      const base0 = jsonFixture<{ event: Record<string, unknown> }>("app_mention.json");
      const event = {
        ...base0.event,
        text: "<@U0BOT> search kvm01",
        ts: "1764469999.000001",
        event_ts: "1764469999.000001",
      };
      const res = await sendToApp(`${base}/slack/events`, eventBody(event, "Ev0MAIN01"), "application/json", {
        secret: SECRET,
      });
      expect(res.status).toBe(200);
      const reply = await fake.waitFor(() => threadMessages(fake, "C0OPS", "1764469999.000001")[0]);
      expect(reply.token).toBe(BOT_TOKEN);
    });

    it("never writes the credentials to its output", () => {
      expect(output).not.toContain(BOT_TOKEN);
      expect(output).not.toContain(SECRET);
    });
  },
);
