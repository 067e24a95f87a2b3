import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackApp, type SlackApp } from "../../../src/chat/slack/app.js";
import { Conversation } from "../../../src/conversation/core.js";
import { openDatabase } from "../../../src/store/db.js";
import {
  commandBody,
  eventBody,
  FakeSlack,
  interactionBody,
  type RecordedCall,
  sendToApp,
} from "../../support/fake-slack.js";
import {
  BOT_TOKEN,
  clickButton,
  expectAllWithinLimits,
  mention,
  SECRET,
  textOf,
  threadMessages,
} from "./helpers.js";
import { capturedLogger, fixture, jsonFixture, recordedServices } from "./services.js";

const FORM = "application/x-www-form-urlencoded" as const;
const JSON_TYPE = "application/json" as const;

describe("Slack app over HTTP (signed requests in Slack's wire formats, fake Web API)", () => {
  const fake = new FakeSlack();
  const captured = capturedLogger();
  let dir: string;
  let db: Database.Database;
  let services: ReturnType<typeof recordedServices>;
  let slack: SlackApp;
  let url: string;
  let base: string;

  const makeApp = () =>
    createSlackApp(
      { slack: { botToken: BOT_TOKEN, signingSecret: SECRET, apiUrl: fake.apiUrl }, port: 0 },
      {
        conversation: new Conversation({ services, log: captured.log, source: "slack" }),
        db,
        log: captured.log,
      },
      { retries: 0, postIntervalMs: 40, host: "127.0.0.1" },
    );

  const event = (body: string, extra: { retryNum?: number } = {}) =>
    sendToApp(url, body, JSON_TYPE, { secret: SECRET, ...extra });

  const command = (text: string, fields: Record<string, string> = {}) => {
    const form = Object.fromEntries(new URLSearchParams(fixture("slash_command.form").trim()));
    return sendToApp(url, commandBody({ ...form, text, ...fields }), FORM, { secret: SECRET });
  };

  /** Sends a mention and waits until its report replaced the progress message. */
  async function diagnoseByMention(text: string, options: Parameters<typeof mention>[1] = {}) {
    const m = mention(text, options);
    const res = await event(m.body);
    expect(res.status).toBe(200);
    const thread = options.threadTs ?? m.ts;
    const report = await fake.waitFor(
      () =>
        threadMessages(fake, m.channel, thread).find((c) =>
          /Diagnosis of|诊断结果/.test(String(c.args.text)),
        ),
      15_000,
      "the report",
    );
    await slack.idle();
    return { ...m, thread, report };
  }

  beforeAll(async () => {
    await fake.start();
    dir = mkdtempSync(join(tmpdir(), "hostmedic-slack-"));
    db = openDatabase(join(dir, "medic.db"));
    services = recordedServices(db, { stepMs: 30 });
    slack = makeApp();
    const { port } = await slack.start();
    base = `http://127.0.0.1:${port}`;
    url = `${base}/slack/events`;
  });

  afterAll(async () => {
    try {
      // Every message and view hostmedic sent in this file is within Block Kit's limits.
      expect(expectAllWithinLimits(fake)).toBeGreaterThan(10);
    } finally {
      await slack?.stop();
      await fake.stop();
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks the bot token with auth.test on start, sending it only as a bearer token", () => {
    const auth = fake.callsOf("auth.test");
    expect(auth.length).toBe(1);
    expect(auth[0]!.status).toBe(200);
    expect(auth[0]!.token).toBe(BOT_TOKEN);
    expect(JSON.stringify(captured.lines())).not.toContain(BOT_TOKEN);
    expect(JSON.stringify(captured.lines())).not.toContain(SECRET);
  });

  it("refuses to start with a token Slack rejects, naming Slack's error; waits out a 429 on auth.test", async () => {
    fake.fail("auth.test", { error: "invalid_auth" });
    const refused = makeApp();
    await expect(refused.start()).rejects.toThrow(/SLACK_BOT_TOKEN.*invalid_auth/);
    fake.fail("auth.test", { retryAfter: 1 });
    const patient = makeApp();
    const t0 = Date.now();
    await patient.start();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    await patient.stop();
  });

  it("answers url_verification with the challenge", async () => {
    const body = fixture("url_verification.json");
    const res = await event(body);
    expect(res.status).toBe(200);
    expect(res.text).toContain(jsonFixture<{ challenge: string }>("url_verification.json").challenge);
  });

  it("serves GET /healthz", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("refuses a bad signature and a stale timestamp with 401, and runs nothing", async () => {
    const before = fake.calls.length;
    const m = mention("kvm01 vm 198.51.100.10 cannot reach the host");
    const forged = await sendToApp(url, m.body, JSON_TYPE, { secret: SECRET, signWith: "not-the-secret" });
    expect(forged.status).toBe(401);
    const stale = await sendToApp(url, m.body, JSON_TYPE, {
      secret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    const tampered = await sendToApp(url, fixture("url_verification.json"), JSON_TYPE, {
      secret: SECRET,
      signWith: `${SECRET}x`,
    });
    expect(tampered.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls.length).toBe(before);
    expect(services.diagnoses).toBe(0);
  });

  it("answers a mention in its thread: progress first, updated in place, then the report with the cause", async () => {
    const before = services.diagnoses;
    const { ts, channel, report } = await diagnoseByMention("kvm01 vm 198.51.100.10 cannot reach the host");
    expect(services.diagnoses).toBe(before + 1);
    const msgs = threadMessages(fake, channel, ts);
    const first = msgs[0]!;
    expect(first.method).toBe("chat.postMessage");
    expect(first.args.thread_ts).toBe(ts);
    expect(String(first.args.text)).toMatch(/Checking kvm01/);
    // The progress message is edited in place and finally becomes the report.
    const progressTs = String(first.response.ts);
    expect(report.method).toBe("chat.update");
    expect(report.args.ts).toBe(progressTs);
    expect(
      msgs.filter((c) => c.method === "chat.update" && /probes|Evaluating/.test(String(c.args.text))).length,
    ).toBeGreaterThan(0);
    expect(textOf(report)).toContain("tap_not_enslaved");
    expect(textOf(report)).toContain("ip link set vnet0 master br0");
    // Run fix asks first, naming the host and the exact command.
    const blocks = JSON.stringify(report.args.blocks);
    expect(blocks).toContain('"style":"danger"');
    expect(blocks).toMatch(/"confirm":\{"title".*kvm01:\\nip link set vnet0 master br0/);
    // The incident is stored with its thread.
    const row = db.prepare("SELECT * FROM incidents WHERE channel = ? AND thread = ?").get(channel, ts) as
      | { hosts: string; requested_by: string; source: string }
      | undefined;
    expect(row).toMatchObject({ hosts: '["kvm01"]', requested_by: "U0ALICE", source: "slack" });
    // Nothing was posted outside the thread.
    const stray = fake
      .callsOf("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.at >= first.at && c.args.thread_ts !== ts);
    expect(stray).toEqual([]);
  });

  it("runs one diagnosis for an event Slack delivers again, also after a restart", async () => {
    const m = mention("kvm02 guest cannot ping the host");
    expect((await event(m.body)).status).toBe(200);
    await fake.waitFor(() =>
      threadMessages(fake, m.channel, m.ts).find((c) => /Diagnosis of/.test(String(c.args.text))),
    );
    await slack.idle();
    const diagnoses = services.diagnoses;
    const posts = fake.calls.length;
    expect((await event(m.body, { retryNum: 1 })).status).toBe(200);
    // A restarted hostmedic on the same database ignores the retry too.
    await slack.stop();
    slack = makeApp();
    const { port } = await slack.start();
    url = `http://127.0.0.1:${port}/slack/events`;
    base = `http://127.0.0.1:${port}`;
    expect((await event(m.body, { retryNum: 2 })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    await slack.idle();
    expect(services.diagnoses).toBe(diagnoses);
    expect(fake.calls.slice(posts).filter((c) => c.method.startsWith("chat."))).toEqual([]);
    expect(
      db.prepare("SELECT COUNT(*) AS n FROM processed_events WHERE event_id = ?").get(m.eventId),
    ).toEqual({ n: 1 });
  });

  it("runs one diagnosis when Slack's retry arrives while the first delivery is still being handled", async () => {
    const before = services.diagnoses;
    const m = mention("kvm01 guest has no network");
    const [a, b] = await Promise.all([event(m.body), event(m.body, { retryNum: 1 })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await fake.waitFor(() =>
      threadMessages(fake, m.channel, m.ts).find((c) => /Diagnosis of/.test(String(c.args.text))),
    );
    await slack.idle();
    expect(services.diagnoses).toBe(before + 1);
    expect(threadMessages(fake, m.channel, m.ts).filter((c) => c.method === "chat.postMessage").length).toBe(
      1,
    );
  });

  it("continues the incident for a follow-up in the same thread", async () => {
    const first = await diagnoseByMention("kvm01 vm 198.51.100.10 cannot reach the host");
    const incidentsBefore = (db.prepare("SELECT COUNT(*) AS n FROM incidents").get() as { n: number }).n;
    const follow = await diagnoseByMention("and 198.51.100.11?", { threadTs: first.ts });
    expect(follow.report.args.channel).toBe(first.channel);
    expect(textOf(follow.report)).toContain("kvm01");
    const rows = db.prepare("SELECT hosts FROM incidents WHERE thread = ?").all(first.ts) as {
      hosts: string;
    }[];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((r) => r.hosts === '["kvm01"]')).toBe(true);
    expect(
      (db.prepare("SELECT COUNT(*) AS n FROM incidents").get() as { n: number }).n,
    ).toBeGreaterThanOrEqual(incidentsBefore);
  });

  it("continues an incident for a thread reply without a mention, and ignores chatter there", async () => {
    const first = await diagnoseByMention("kvm01 vm 198.51.100.10 cannot reach the host");
    const reply = (text: string, n: number, threadTs = first.ts) => {
      const ts = `${first.ts.split(".")[0]}.9${String(n).padStart(5, "0")}`;
      return event(
        eventBody(
          {
            type: "message",
            channel: first.channel,
            channel_type: "channel",
            user: "U0BOB",
            text,
            ts,
            thread_ts: threadTs,
          },
          `Ev0THREAD${n}${Date.now().toString(36)}`,
        ),
      );
    };
    // People talking to each other in the thread: no answer, no diagnosis.
    const before = services.diagnoses;
    expect((await reply("thanks, looking at it now", 1)).status).toBe(200);
    // A reply in a thread that holds no incident is not ours either.
    expect((await reply("and 198.51.100.11?", 2, "1764400000.000001")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await slack.idle();
    expect(services.diagnoses).toBe(before);
    // A follow-up naming a target continues the incident in the same thread.
    expect((await reply("and 198.51.100.11?", 3)).status).toBe(200);
    await fake.waitFor(() => (services.diagnoses > before ? true : undefined), 15_000, "a second diagnosis");
    await slack.idle();
    const reports = threadMessages(fake, first.channel, first.ts).filter((c) =>
      /Diagnosis of/.test(String(c.args.text)),
    );
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(services.diagnoses).toBe(before + 1);
  });

  it("answers a mention of an unknown host with the close matches, without diagnosing", async () => {
    const before = services.diagnoses;
    const m = mention("kvm1 vm 198.51.100.10 cannot reach the host");
    expect((await event(m.body)).status).toBe(200);
    const answer = await fake.waitFor(() => threadMessages(fake, m.channel, m.ts)[0]);
    expect(textOf(answer)).toMatch(/kvm1/);
    expect(textOf(answer)).toMatch(/did you mean kvm01/);
    await slack.idle();
    expect(services.diagnoses).toBe(before);
  });

  it("/medic search QUERY shows past incidents to the asker", async () => {
    const res = await command("search tap_not_enslaved", { trigger_id: "trig-search-1" });
    expect(res.status).toBe(200);
    const answer = await fake.waitFor(
      () =>
        fake.callsOf("chat.postEphemeral").find((c) => /Past incidents matching/.test(String(c.args.text))),
      10_000,
      "search results",
    );
    expect(answer.args).toMatchObject({ channel: "C0OPS", user: "U0ALICE" });
    const ids = (db.prepare("SELECT id FROM incidents").all() as { id: number }[]).map((r) => r.id);
    expect(ids.some((id) => textOf(answer).includes(`#${id}`))).toBe(true);
    expect(textOf(answer)).toContain("kvm01");
  });

  it("/medic help explains the commands", async () => {
    const res = await command("help", { trigger_id: "trig-help-1" });
    expect(res.status).toBe(200);
    const answer = await fake.waitFor(() =>
      fake
        .callsOf("chat.postEphemeral")
        .find((c) => /search QUERY/.test(textOf(c)) && c.args.user === "U0ALICE"),
    );
    expect(textOf(answer)).toContain("HOST [SYMPTOM]");
  });

  it("/medic HOST SYMPTOM opens an incident thread in the channel", async () => {
    const before = services.diagnoses;
    const res = await command("kvm02 vm 198.51.100.11 has no network", {
      channel_id: "C0NET",
      trigger_id: "trig-d-1",
    });
    expect(res.status).toBe(200);
    const parent = await fake.waitFor(() =>
      fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "C0NET" && c.args.thread_ts === undefined),
    );
    expect(String(parent.args.text)).toContain("/medic kvm02 vm 198.51.100.11 has no network");
    const thread = String(parent.response.ts);
    await fake.waitFor(() =>
      threadMessages(fake, "C0NET", thread).find((c) => /Diagnosis of kvm02/.test(String(c.args.text))),
    );
    await slack.idle();
    expect(services.diagnoses).toBe(before + 1);
  });

  it("/medic where the bot is not a member moves the thread to the DM and says so", async () => {
    fake.fail("chat.postMessage", { error: "not_in_channel" });
    const res = await command("kvm01 bridge problem", {
      channel_id: "C0PRIVATE",
      trigger_id: "trig-d-2",
      response_url: fake.responseUrl("cmd-private"),
    });
    expect(res.status).toBe(200);
    const notice = await fake.waitFor(() => fake.responses.find((r) => r.id === "cmd-private"));
    expect(notice.body).toMatchObject({ response_type: "ephemeral" });
    expect(String(notice.body.text)).toMatch(/direct messages/);
    const parent = await fake.waitFor(() =>
      fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "D0ALICE" && /kvm01 bridge problem/.test(String(c.args.text))),
    );
    await fake.waitFor(() =>
      threadMessages(fake, "D0ALICE", String(parent.response.ts)).find((c) =>
        /Diagnosis of kvm01/.test(String(c.args.text)),
      ),
    );
    await slack.idle();
  });

  it("/medic tells the asker when Slack refuses the thread for another reason, and runs nothing", async () => {
    const before = services.diagnoses;
    fake.fail("chat.postMessage", { error: "fatal_error" });
    const res = await command("kvm01 bridge problem", {
      channel_id: "C0BROKEN",
      trigger_id: "trig-d-3",
      response_url: fake.responseUrl("cmd-broken"),
    });
    expect(res.status).toBe(200);
    const notice = await fake.waitFor(() => fake.responses.find((r) => r.id === "cmd-broken"));
    expect(String(notice.body.text)).toContain("fatal_error");
    await slack.idle();
    expect(services.diagnoses).toBe(before);
  });

  describe("buttons on the report", () => {
    let report: RecordedCall;
    let ts: string;
    let incident: number;

    beforeAll(async () => {
      const r = await diagnoseByMention("kvm01 vm 198.51.100.10 cannot reach the host", { channel: "C0BTN" });
      report = r.report;
      ts = r.ts;
      incident = (db.prepare("SELECT id FROM incidents WHERE thread = ?").get(ts) as { id: number }).id;
    });

    const click = (action: string, user = "U0BOB") =>
      clickButton(url, report, action, { user, channel: "C0BTN", threadTs: ts });

    it("records 'This was it' and 'Not it' in the case history and answers in the thread", async () => {
      expect((await click("feedback_confirm")).status).toBe(200);
      await fake.waitFor(() =>
        threadMessages(fake, "C0BTN", ts).find((c) =>
          /recorded `tap_not_enslaved` as the cause/.test(String(c.args.text)),
        ),
      );
      await slack.idle();
      expect(
        db.prepare("SELECT cause, verdict, decided_by FROM cases WHERE incident_id = ?").all(incident),
      ).toContainEqual({
        cause: "tap_not_enslaved",
        verdict: "confirmed",
        decided_by: "U0BOB",
      });
      expect((await click("feedback_reject", "U0CAROL")).status).toBe(200);
      await fake.waitFor(() =>
        threadMessages(fake, "C0BTN", ts).find((c) => /was not the cause/.test(String(c.args.text))),
      );
      await slack.idle();
      expect(
        db
          .prepare("SELECT verdict, decided_by FROM cases WHERE incident_id = ? AND verdict = 'rejected'")
          .all(incident),
      ).toEqual([{ verdict: "rejected", decided_by: "U0CAROL" }]);
    });

    it("'Show evidence' uploads the evidence bundle as a file in the thread", async () => {
      expect((await click("show_evidence")).status).toBe(200);
      const done = await fake.waitFor(() =>
        fake
          .callsOf("files.completeUploadExternal")
          .find((c) => c.args.channel_id === "C0BTN" && c.args.thread_ts === ts),
      );
      const fileId = (done.args.files as { id: string }[])[0]!.id;
      const upload = fake.uploads.get(fileId);
      expect(upload?.content).toContain('"probe": "links"');
      expect(upload?.content).toContain("vnet0");
      const asked = fake.callsOf("files.getUploadURLExternal").at(-1)!;
      expect(asked.args.filename).toBe(`incident-${incident}-evidence.json`);
      await slack.idle();
    });

    it("'Run fix' without a fixes module tells the clicker only", async () => {
      expect((await click("run_fix")).status).toBe(200);
      const eph = await fake.waitFor(() =>
        fake.callsOf("chat.postEphemeral").find((c) => c.args.channel === "C0BTN" && c.args.user === "U0BOB"),
      );
      expect(eph.args.thread_ts).toBe(ts);
      await slack.idle();
    });
  });

  it("waits out a 429 as long as Retry-After says, then posts", async () => {
    fake.fail("chat.postMessage", { retryAfter: 1 });
    const dm = jsonFixture<{ event: Record<string, unknown> }>("message_im.json");
    const ts = "1764460999.000900";
    const body = JSON.stringify({
      ...dm,
      event_id: "Ev0RATE001",
      event: { ...dm.event, text: "help", ts, event_ts: ts },
    });
    expect((await event(body)).status).toBe(200);
    const limited = await fake.waitFor(() => fake.callsOf("chat.postMessage").find((c) => c.status === 429));
    const posted = await fake.waitFor(() =>
      fake.callsOf("chat.postMessage").find((c) => c.status === 200 && c.args.thread_ts === ts),
    );
    expect(posted.at - limited.at).toBeGreaterThanOrEqual(950);
    expect(textOf(posted)).toContain("search QUERY");
    const attempts = fake.callsOf("chat.postMessage").filter((c) => c.args.thread_ts === ts);
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(captured.lines().some((l) => l.retryAfter === 1)).toBe(true);
    await slack.idle();
  });

  it("logs ok:false with Slack's error code, tells the user by DM, and keeps the incident", async () => {
    fake.fail("chat.postMessage", { error: "channel_not_found" }, 1);
    const m = mention("kvm01 vm 198.51.100.10 cannot reach the host", { channel: "C0GONE", user: "U0DAVE" });
    expect((await event(m.body)).status).toBe(200);
    const dm = await fake.waitFor(() =>
      fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "D0DAVE" && /channel_not_found/.test(String(c.args.text))),
    );
    expect(String(dm.args.text)).toContain("C0GONE");
    await slack.idle();
    expect(
      captured.lines().some((l) => l.error === "channel_not_found" && l.method === "chat.postMessage"),
    ).toBe(true);
    const row = db.prepare("SELECT id FROM incidents WHERE channel = ? AND thread = ?").get("C0GONE", m.ts);
    expect(row).toBeDefined();
    // After Slack said the channel is gone, the rest of the turn is not sent there.
    expect(fake.calls.filter((c) => c.args.channel === "C0GONE").map((c) => c.method)).toEqual([
      "chat.postMessage",
    ]);
  });

  it("App Home lists incidents; its button opens the modal; submitting runs a diagnosis in the DM", async () => {
    const home = jsonFixture("app_home_opened.json");
    expect((await event(JSON.stringify({ ...home, event_id: "Ev0HOME002" }))).status).toBe(200);
    const published = await fake.waitFor(() => fake.callsOf("views.publish").at(-1));
    expect(published.args.user_id).toBe("U0ALICE");
    const view = published.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe("home");
    const anyIncident = (
      db.prepare("SELECT id FROM incidents ORDER BY id DESC LIMIT 1").get() as { id: number }
    ).id;
    expect(JSON.stringify(view.blocks)).toContain(`#${anyIncident}`);
    expect(JSON.stringify(view.blocks)).toContain('"action_id":"start_diagnosis"');
    // Incidents link to their threads (permalinks on the workspace URL auth.test gave).
    const links = [
      ...JSON.stringify(view.blocks).matchAll(
        /<https:\/\/lab\.slack\.example\/archives\/([A-Z0-9]+)\/p(\d+)\|#(\d+)>/g,
      ),
    ];
    expect(links.length).toBeGreaterThan(3);
    for (const [, channel, ts, id] of links) {
      const row = db.prepare("SELECT channel, thread FROM incidents WHERE id = ?").get(Number(id)) as {
        channel: string;
        thread: string;
      };
      expect(row.channel).toBe(channel);
      expect(row.thread.replace(".", "")).toBe(ts);
    }

    const payload = jsonFixture<Record<string, unknown>>("block_actions.json");
    payload.container = { type: "view", view_id: "V0HOME" };
    delete payload.channel;
    delete payload.message;
    payload.actions = [
      { action_id: "start_diagnosis", block_id: "h1", type: "button", value: "home", action_ts: "1" },
    ];
    expect((await sendToApp(url, interactionBody(payload), FORM, { secret: SECRET })).status).toBe(200);
    const opened = await fake.waitFor(() => fake.callsOf("views.open").at(-1));
    expect(opened.args.trigger_id).toBe(payload.trigger_id);
    const modal = opened.args.view as { callback_id: string; blocks: unknown[] };
    expect(JSON.stringify(modal.blocks)).toContain('"value":"kvm02"');

    const before = services.diagnoses;
    const submit = jsonFixture("view_submission.json");
    const res = await sendToApp(url, interactionBody(submit), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    const parent = await fake.waitFor(() =>
      fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "D0ALICE" && /App Home/.test(String(c.args.text))),
    );
    await fake.waitFor(() =>
      threadMessages(fake, "D0ALICE", String(parent.response.ts)).find((c) =>
        /Diagnosis of kvm01/.test(String(c.args.text)),
      ),
    );
    await slack.idle();
    expect(services.diagnoses).toBe(before + 1);
  });

  it("a modal without a host is refused with a field error", async () => {
    const submit = jsonFixture<{ view: { state: { values: Record<string, unknown> } } }>(
      "view_submission.json",
    );
    submit.view.state.values.host = { host: { type: "static_select", selected_option: null } };
    const res = await sendToApp(url, interactionBody(submit), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      response_action: "errors",
      errors: { host: expect.any(String) },
    });
  });

  it("ignores its own and other bots' DMs, and message edits", async () => {
    const dm = jsonFixture<{ event: Record<string, unknown> }>("message_im.json");
    const before = fake.calls.length;
    const edits = [
      { ...dm.event, subtype: "message_changed", ts: "1764461111.000001" },
      { ...dm.event, bot_id: "B0OTHER", ts: "1764461111.000002" },
      { ...dm.event, subtype: "bot_message", bot_id: "B0BOT", user: undefined, ts: "1764461111.000003" },
    ];
    for (const [i, e] of edits.entries())
      expect((await event(JSON.stringify({ ...dm, event_id: `Ev0IGN${i}`, event: e }))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await slack.idle();
    expect(fake.calls.slice(before)).toEqual([]);
  });

  it("answers a DM in Chinese in Chinese", async () => {
    const dm = jsonFixture<{ event: Record<string, unknown> }>("message_im.json");
    const ts = "1764461222.000001";
    const body = JSON.stringify({
      ...dm,
      event_id: "Ev0ZH001",
      event: { ...dm.event, text: "帮助", ts, event_ts: ts },
    });
    expect((await event(body)).status).toBe(200);
    const answer = await fake.waitFor(() => threadMessages(fake, "D0ALICE", ts)[0]);
    expect(textOf(answer)).toContain("排查");
    await slack.idle();
  });

  it("paces writes to one channel", () => {
    const byChannel = new Map<string, number[]>();
    for (const c of fake.calls)
      if (c.method.startsWith("chat.") && typeof c.args.channel === "string")
        byChannel.set(c.args.channel, [...(byChannel.get(c.args.channel) ?? []), c.at]);
    let pairs = 0;
    for (const times of byChannel.values())
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(35);
        pairs++;
      }
    expect(pairs).toBeGreaterThan(5);
  });
});
