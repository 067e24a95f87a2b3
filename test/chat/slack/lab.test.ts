import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackApp, type SlackApp } from "../../../src/chat/slack/app.js";
import { composeServices } from "../../../src/compose.js";
import { loadConfig } from "../../../src/config.js";
import { Conversation } from "../../../src/conversation/core.js";
import { openDatabase } from "../../../src/store/db.js";
import { FakeSlack, type RecordedCall, sendToApp } from "../../support/fake-slack.js";
import { labSkipReason, useLab } from "../../support/lab.js";
import {
  BOT_TOKEN,
  buttonIn,
  clickButton,
  expectAllWithinLimits,
  mention,
  SECRET,
  textOf,
  threadMessages,
} from "./helpers.js";
import { capturedLogger } from "./services.js";

const APPROVER = "U0APPROVER";
const GROUP = "S0MEDICS";

/** The whole Slack flow against a lab KVM host (network namespaces, real sshd) with a real fault. */
describe.skipIf(labSkipReason())(
  `Slack flow on a lab host with a real fault${labSkipReason() ? ` — skipped: ${labSkipReason()}` : ""}`,
  () => {
    const lab = useLab({ prefix: "hms" });
    const fake = new FakeSlack();
    const captured = capturedLogger();
    let dir: string;
    let db: Database.Database;
    let slack: SlackApp;
    let url: string;

    beforeAll(async () => {
      await fake.start();
      fake.userGroups.set(GROUP, [APPROVER]);
      dir = mkdtempSync(join(tmpdir(), "hostmedic-slack-lab-"));
      const config = loadConfig(
        {
          MEDIC_DB: join(dir, "medic.db"),
          MEDIC_INVENTORY: lab.inventoryFile,
          MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
          MEDIC_SSH_KEY: lab.keyFile,
          MEDIC_APPROVERS: GROUP,
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_API_URL: fake.apiUrl,
          PORT: "3000",
        },
        null,
      );
      db = openDatabase(config.db);
      const app = composeServices(config, db, captured.log);
      const conversation = new Conversation({
        services: app.services,
        fixes: app.fixes("slack"),
        log: captured.log,
        source: "slack",
      });
      slack = createSlackApp(
        { ...config, port: 0 },
        { conversation, db, log: captured.log, approvers: app.approvers },
        { retries: 0, postIntervalMs: 200, host: "127.0.0.1" },
      );
      const { port } = await slack.start();
      url = `http://127.0.0.1:${port}/slack/events`;
    });

    afterAll(async () => {
      try {
        if (slack) expect(expectAllWithinLimits(fake)).toBeGreaterThan(0);
      } finally {
        await slack?.stop();
        await fake.stop();
        db?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    let report: RecordedCall;
    let thread: string;

    it("a mention about the host: progress in the thread within a second, updated, then the report naming the cause", async () => {
      await lab.fault("tap_not_enslaved");
      const m = mention(`${lab.hostName} vm 198.51.100.10 cannot reach the host`, { channel: "C0LAB" });
      const sent = Date.now();
      expect((await sendToApp(url, m.body, "application/json", { secret: SECRET })).status).toBe(200);
      const progress = await fake.waitFor(
        () => threadMessages(fake, "C0LAB", m.ts)[0],
        5_000,
        "the progress message",
      );
      expect(progress.at - sent).toBeLessThan(1_000);
      expect(String(progress.args.text)).toContain(`Checking ${lab.hostName}`);
      report = await fake.waitFor(
        () => threadMessages(fake, "C0LAB", m.ts).find((c) => /Diagnosis of/.test(String(c.args.text))),
        60_000,
        "the report",
      );
      await slack.idle();
      thread = m.ts;
      // The report replaced the progress message, after at least one progress update with probe counts.
      expect(report.args.ts).toBe(progress.response.ts);
      const updates = threadMessages(fake, "C0LAB", m.ts).filter(
        (c) => c.method === "chat.update" && c !== report,
      );
      expect(updates.some((c) => /probes|Evaluating/.test(String(c.args.text)))).toBe(true);
      // The top cause is the injected one, with its fix command filled in from the facts.
      expect(String(report.args.text)).toMatch(new RegExp(`${lab.hostName}: tap_not_enslaved \\(\\d+%\\)`));
      expect(textOf(report)).toContain("vnet0");
      expect(textOf(report)).toMatch(/ip link set (dev )?vnet0 master br0/);
      expect(buttonIn(report, "run_fix")).toBeDefined();
    });

    const click = (action: string, user: string) =>
      clickButton(url, report, action, { user, channel: "C0LAB", threadTs: thread });

    const master = async () => {
      const r = await lab.exec("host", ["ip", "-j", "link", "show", "vnet0"]);
      return (JSON.parse(r.stdout) as { master?: string }[])[0]?.master;
    };

    it("'Run fix' from someone outside MEDIC_APPROVERS changes nothing and is told so privately", async () => {
      expect(await master()).toBeUndefined();
      expect((await click("run_fix", "U0BYSTANDER")).status).toBe(200);
      const refusal = await fake.waitFor(() =>
        fake
          .callsOf("chat.postEphemeral")
          .find((c) => c.args.user === "U0BYSTANDER" && c.args.channel === "C0LAB"),
      );
      expect(textOf(refusal)).toMatch(/approver/i);
      await slack.idle();
      expect(await master()).toBeUndefined();
    });

    it("'Run fix' from a member of the approver user group runs the fix on the host", async () => {
      expect((await click("run_fix", APPROVER)).status).toBe(200);
      await fake.waitFor(() => fake.callsOf("usergroups.users.list").find((c) => c.args.usergroup === GROUP));
      await fake.waitFor(
        () =>
          threadMessages(fake, "C0LAB", thread).find((c) => /verified|cause is gone|已验证/i.test(textOf(c))),
        90_000,
        "the verified fix",
      );
      await slack.idle();
      expect(await master()).toBe("br0");
    });
  },
);
