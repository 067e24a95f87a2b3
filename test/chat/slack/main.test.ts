import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN } from "../../support/cli.js";
import { commandBody, eventBody, FakeSlack, sendToApp } from "../../support/fake-slack.js";
import { BOT_TOKEN, type RunningMain, SECRET, startMain, textOf, threadMessages } from "./helpers.js";
import { fixture, jsonFixture } from "./services.js";

const notBuilt = existsSync(MAIN) ? null : "dist/ is not built: run `npm run build` (npm test does it)";

/** `npm start` in HTTP mode: the built main.js with Slack credentials and SLACK_API_URL, over real HTTP. */
describe.skipIf(notBuilt)(
  `npm start in HTTP mode (node dist/src/main.js)${notBuilt ? ` — skipped: ${notBuilt}` : ""}`,
  () => {
    const fake = new FakeSlack();
    let dir: string;
    let main: RunningMain;

    beforeAll(async () => {
      await fake.start();
      dir = mkdtempSync(join(tmpdir(), "hostmedic-main-"));
      writeFileSync(
        join(dir, "inventory.yml"),
        "all:\n  children:\n    kvm:\n      hosts:\n        kvm01:\n          ansible_host: 192.0.2.250\n          ansible_user: root\n",
      );
      writeFileSync(join(dir, "known_hosts"), "");
      main = await startMain(MAIN, dir, {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: fake.apiUrl,
        MEDIC_DB: join(dir, "medic.db"),
        MEDIC_INVENTORY: join(dir, "inventory.yml"),
        MEDIC_KNOWN_HOSTS: join(dir, "known_hosts"),
        LOG_LEVEL: "debug",
      });
    }, 60_000);

    afterAll(async () => {
      try {
        // A graceful stop on SIGTERM.
        if (main) expect(await main.stop()).toBe(0);
      } finally {
        await fake.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("serves GET /healthz", async () => {
      const res = await fetch(`${main.base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true });
    });

    it("answers url_verification and refuses a bad signature", async () => {
      const body = fixture("url_verification.json");
      const res = await sendToApp(`${main.base}/slack/events`, body, "application/json", { secret: SECRET });
      expect(res.status).toBe(200);
      expect(res.text).toContain(jsonFixture<{ challenge: string }>("url_verification.json").challenge);
      const bad = await sendToApp(`${main.base}/slack/events`, body, "application/json", {
        secret: SECRET,
        signWith: "x",
      });
      expect(bad.status).toBe(401);
    });

    it("answers /medic help and a mention in its thread", async () => {
      const form = Object.fromEntries(new URLSearchParams(fixture("slash_command.form").trim()));
      const cmd = await sendToApp(
        `${main.base}/slack/events`,
        commandBody({ ...form, text: "help" }),
        "application/x-www-form-urlencoded",
        { secret: SECRET },
      );
      expect(cmd.status).toBe(200);
      const help = await fake.waitFor(() => fake.callsOf("chat.postEphemeral")[0]);
      expect(textOf(help)).toContain("search QUERY");

      const base0 = jsonFixture<{ event: Record<string, unknown> }>("app_mention.json");
      const ts = "1764469999.000001";
      const event = { ...base0.event, text: "<@U0BOT> search kvm01", ts, event_ts: ts };
      const res = await sendToApp(
        `${main.base}/slack/events`,
        eventBody(event, "Ev0MAIN01"),
        "application/json",
        {
          secret: SECRET,
        },
      );
      expect(res.status).toBe(200);
      const reply = await fake.waitFor(() => threadMessages(fake, "C0OPS", ts)[0]);
      expect(reply.token).toBe(BOT_TOKEN);
    });

    it("never writes the credentials to its output", () => {
      expect(main.output()).not.toContain(BOT_TOKEN);
      expect(main.output()).not.toContain(SECRET);
    });
  },
);
