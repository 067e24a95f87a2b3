import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN } from "../../support/cli.js";
import { FakeSlack, type RecordedCall, sendToApp } from "../../support/fake-slack.js";
import { labSkipReason, useLab } from "../../support/lab.js";
import {
  BOT_TOKEN,
  clickButton,
  expectAllWithinLimits,
  mention,
  type RunningMain,
  SECRET,
  startMain,
  textOf,
  threadMessages,
} from "./helpers.js";

const skip =
  labSkipReason() ?? (existsSync(MAIN) ? null : "dist/ is not built: run `npm run build` (npm test does it)");

/** The whole flow through `npm start` (built main.js, HTTP mode) against a lab host with a real fault. */
describe.skipIf(skip)(
  `npm start serves the whole Slack flow on a lab host${skip ? ` — skipped: ${skip}` : ""}`,
  () => {
    const lab = useLab({ prefix: "hms" });
    const fake = new FakeSlack();
    let dir: string;
    let main: RunningMain;
    let url: string;
    let report: RecordedCall;
    let thread: string;
    const dbFile = () => join(dir, "medic.db");

    beforeAll(async () => {
      await fake.start();
      dir = mkdtempSync(join(tmpdir(), "hostmedic-main-lab-"));
      main = await startMain(MAIN, dir, {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: fake.apiUrl,
        MEDIC_DB: dbFile(),
        MEDIC_INVENTORY: lab.inventoryFile,
        MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
        MEDIC_SSH_KEY: lab.keyFile,
        MEDIC_APPROVERS: "U0APPROVER",
      });
      url = `${main.base}/slack/events`;
    }, 60_000);

    afterAll(async () => {
      try {
        expect(expectAllWithinLimits(fake)).toBeGreaterThan(0);
        if (main) expect(await main.stop()).toBe(0);
      } finally {
        await fake.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    const query = <T>(sql: string, ...args: unknown[]): T[] => {
      const db = new Database(dbFile(), { readonly: true });
      try {
        return db.prepare(sql).all(...args) as T[];
      } finally {
        db.close();
      }
    };

    it("a mention gets progress in the thread, then the report with the injected cause; a retry runs nothing", async () => {
      await lab.fault("ip_forward_disabled");
      const m = mention(`${lab.hostName} vm 203.0.113.10 cannot reach the internet`, { channel: "C0MAIN" });
      expect((await sendToApp(url, m.body, "application/json", { secret: SECRET })).status).toBe(200);
      const progress = await fake.waitFor(() => threadMessages(fake, "C0MAIN", m.ts)[0], 5_000, "progress");
      expect(String(progress.args.text)).toContain(lab.hostName);
      report = await fake.waitFor(
        () => threadMessages(fake, "C0MAIN", m.ts).find((c) => /Diagnosis of/.test(String(c.args.text))),
        60_000,
        "the report",
      );
      thread = m.ts;
      expect(String(report.args.text)).toMatch(
        new RegExp(`${lab.hostName}: ip_forward_disabled \\(\\d+%\\)`),
      );
      expect(textOf(report)).toContain("net.ipv4.ip_forward");

      expect((await sendToApp(url, m.body, "application/json", { secret: SECRET, retryNum: 1 })).status).toBe(
        200,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(query("SELECT id FROM incidents WHERE thread = ?", m.ts).length).toBe(1);
    });

    const click = (action: string, user: string) =>
      clickButton(url, report, action, { user, channel: "C0MAIN", threadTs: thread });

    it("'This was it' is recorded as a confirmed case", async () => {
      expect((await click("feedback_confirm", "U0BOB")).status).toBe(200);
      await fake.waitFor(() =>
        threadMessages(fake, "C0MAIN", thread).find((c) => /recorded `ip_forward_disabled`/.test(textOf(c))),
      );
      expect(query("SELECT cause, verdict, decided_by FROM cases")).toContainEqual({
        cause: "ip_forward_disabled",
        verdict: "confirmed",
        decided_by: "U0BOB",
      });
    });

    it("'Show evidence' uploads the bundle into the thread", async () => {
      expect((await click("show_evidence", "U0BOB")).status).toBe(200);
      const done = await fake.waitFor(() =>
        fake
          .callsOf("files.completeUploadExternal")
          .find((c) => c.args.channel_id === "C0MAIN" && c.args.thread_ts === thread),
      );
      const id = (done.args.files as { id: string }[])[0]!.id;
      expect(fake.uploads.get(id)?.content).toContain("ip_forward");
    });

    it("'Run fix' by an approver fixes the host", async () => {
      expect((await click("run_fix", "U0APPROVER")).status).toBe(200);
      await fake.waitFor(
        () => threadMessages(fake, "C0MAIN", thread).find((c) => /verified/i.test(textOf(c))),
        90_000,
        "the verified fix",
      );
      const r = await lab.exec("host", ["sysctl", "-n", "net.ipv4.ip_forward"]);
      expect(r.stdout.trim()).toBe("1");
    });
  },
);
