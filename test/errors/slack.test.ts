import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackApp, type SlackApp } from "../../src/chat/slack/app.js";
import { Conversation } from "../../src/conversation/core.js";
import { openDatabase } from "../../src/store/db.js";
import { BOT_TOKEN, mention, SECRET, textOf, threadMessages } from "../chat/slack/helpers.js";
import { capturedLogger, jsonFixture, recordedServices } from "../chat/slack/services.js";
import { eventBody, FakeSlack, interactionBody, sendToApp } from "../support/fake-slack.js";

/**
 * Slack sends more than hostmedic handles: events it did not subscribe to, clicks on buttons of
 * older versions, other apps' modals, shortcuts. Each is acknowledged (Slack shows an error and
 * retries otherwise), logged, and whoever clicked is told privately that hostmedic does not handle
 * it instead of silence. Nothing crashes; no secret reaches a log line or a message.
 */
describe("Slack payloads hostmedic does not handle (HTTP, signed, fake Web API)", () => {
  const FORM = "application/x-www-form-urlencoded" as const;
  const fake = new FakeSlack();
  const captured = capturedLogger();
  let dir: string;
  let db: Database.Database;
  let slack: SlackApp;
  let base: string;
  let url: string;

  beforeAll(async () => {
    await fake.start();
    dir = mkdtempSync(join(tmpdir(), "hmx-slack-"));
    db = openDatabase(join(dir, "medic.db"));
    const services = recordedServices(db, { stepMs: 10 });
    slack = createSlackApp(
      { slack: { botToken: BOT_TOKEN, signingSecret: SECRET, apiUrl: fake.apiUrl }, port: 0 },
      {
        conversation: new Conversation({ services, log: captured.log, source: "slack" }),
        db,
        log: captured.log,
      },
      { retries: 0, postIntervalMs: 10, host: "127.0.0.1" },
    );
    const { port } = await slack.start();
    base = `http://127.0.0.1:${port}`;
    url = `${base}/slack/events`;
  });

  afterAll(async () => {
    try {
      // No secret in any log line or anything sent to Slack (the bearer token header aside).
      const logs = JSON.stringify(captured.lines());
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(BOT_TOKEN);
      const sent = JSON.stringify([...fake.calls.map((c) => c.args), ...fake.responses.map((r) => r.body)]);
      expect(sent).not.toContain(SECRET);
      expect(sent).not.toContain(BOT_TOKEN);
    } finally {
      await slack?.stop();
      await fake.stop();
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** POSTs and measures: Slack gives up on a request after 3 s. */
  async function post(body: string, type: "application/json" | typeof FORM) {
    const started = Date.now();
    const res = await sendToApp(url, body, type, { secret: SECRET });
    return { ...res, ms: Date.now() - started };
  }

  const stillServing = async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  };

  const loggedAbout = (word: string) =>
    captured.lines().some((l) => JSON.stringify(l).includes(word) && l.level !== undefined);

  it("an event type it does not subscribe to is acknowledged and logged", async () => {
    const body = eventBody(
      {
        type: "reaction_added",
        user: "U0ALICE",
        reaction: "eyes",
        item: { type: "message", channel: "C0OPS", ts: "1.2" },
        event_ts: "1764460000.000100",
      },
      "Ev0UNHANDLED1",
    );
    const res = await post(body, "application/json");
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(2500);
    expect(loggedAbout("reaction_added")).toBe(true);
    await stillServing();
  });

  it("a click on a button it does not know: acked, logged, and the clicker is told privately", async () => {
    const payload = jsonFixture<Record<string, unknown>>("block_actions.json");
    payload.response_url = fake.responseUrl("unknown-action");
    payload.actions = [
      { action_id: "retired_button", block_id: "b9", type: "button", value: "x", action_ts: "1764460900.1" },
    ];
    const res = await post(interactionBody(payload), FORM);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(2500);
    const told = await fake.waitFor(
      () =>
        fake.responses.find((r) => r.id === "unknown-action") ??
        fake.callsOf("chat.postEphemeral").find((c) => c.args.user === "U0BOB" && /handle/i.test(textOf(c))),
      5_000,
      "a private answer to the click",
    );
    expect(JSON.stringify("body" in told ? told.body : told.args)).toMatch(/don't handle|do not handle/i);
    expect(loggedAbout("retired_button")).toBe(true);
    await stillServing();
  });

  it("a click on an unknown button in the App Home (no channel, no response_url): told by DM", async () => {
    const payload = {
      type: "block_actions",
      user: { id: "U0ERIN", username: "erin", name: "erin", team_id: "T0LAB" },
      api_app_id: "A0HOSTMEDIC",
      token: "unused",
      container: { type: "view", view_id: "V0HOME" },
      trigger_id: "1.2.5",
      team: { id: "T0LAB", domain: "lab" },
      view: { id: "V0HOME", type: "home", callback_id: "", blocks: [] },
      actions: [
        { action_id: "old_home_button", block_id: "h1", type: "button", value: "x", action_ts: "1.3" },
      ],
    };
    const res = await post(interactionBody(payload), FORM);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(2500);
    const opened = await fake.waitFor(
      () => fake.callsOf("conversations.open").find((c) => c.args.users === "U0ERIN"),
      5_000,
      "the DM opened",
    );
    const channel = (opened.response.channel as { id: string }).id;
    const told = await fake.waitFor(
      () =>
        fake
          .callsOf("chat.postMessage")
          .find((c) => c.args.channel === channel && /old_home_button/.test(textOf(c))),
      5_000,
      "the DM",
    );
    expect(textOf(told)).toMatch(/don't handle this button/);
    await stillServing();
  });

  it("a modal submission of an unknown callback_id: acked, logged, the submitter is told", async () => {
    const payload = jsonFixture<{ view: Record<string, unknown> }>("view_submission.json");
    payload.view.callback_id = "someone_elses_modal";
    const res = await post(interactionBody(payload), FORM);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(2500);
    const dmTold = await fake.waitFor(
      () =>
        fake
          .callsOf("chat.postMessage")
          .find((c) => /don't handle|do not handle/i.test(textOf(c)) && /form|modal/i.test(textOf(c))),
      5_000,
      "a DM saying the form is not handled",
    );
    expect(dmTold.status).toBe(200);
    expect(loggedAbout("someone_elses_modal")).toBe(true);
    await stillServing();
  });

  it("a global shortcut and a message shortcut: acked, logged, the user is told", async () => {
    const shortcut = {
      type: "shortcut",
      token: "unused",
      action_ts: "1764461000.1",
      team: { id: "T0LAB", domain: "lab" },
      user: { id: "U0CAROL", username: "carol", team_id: "T0LAB" },
      callback_id: "open_ticket",
      trigger_id: "1.2.3",
    };
    const res = await post(interactionBody(shortcut), FORM);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(2500);
    await fake.waitFor(
      () =>
        fake
          .callsOf("chat.postMessage")
          .find(
            (c) => /don't handle|do not handle/i.test(textOf(c)) && /open_ticket|shortcut/i.test(textOf(c)),
          ),
      5_000,
      "a DM saying the shortcut is not handled",
    );
    const messageShortcut = {
      ...shortcut,
      type: "message_action",
      callback_id: "summarize_thread",
      channel: { id: "C0OPS", name: "ops" },
      message: { type: "message", user: "U0ALICE", text: "hi", ts: "1764461000.000200" },
      message_ts: "1764461000.000200",
      response_url: fake.responseUrl("message-shortcut"),
    };
    const res2 = await post(interactionBody(messageShortcut), FORM);
    expect(res2.status).toBe(200);
    const told = await fake.waitFor(
      () => fake.responses.find((r) => r.id === "message-shortcut"),
      5_000,
      "an ephemeral answer to the message shortcut",
    );
    expect(JSON.stringify(told.body)).toMatch(/don't handle|do not handle/i);
    expect(told.body.response_type ?? "ephemeral").toBe("ephemeral");
    expect(loggedAbout("open_ticket")).toBe(true);
    expect(loggedAbout("summarize_thread")).toBe(true);
    await stillServing();
  });

  it("another app's slash command gets a private 'I don't handle' at once", async () => {
    const body = new URLSearchParams({
      token: "unused",
      team_id: "T0LAB",
      channel_id: "C0OPS",
      user_id: "U0DAVE",
      command: "/deploy",
      text: "prod",
      response_url: fake.responseUrl("other-command"),
      trigger_id: "1.2.4",
    }).toString();
    const res = await post(body, FORM);
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.text) as { response_type?: string; text?: string };
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toMatch(/don't handle the command \/deploy/);
    expect(loggedAbout("/deploy")).toBe(true);
  });

  it("a signed body that is not JSON is refused without crashing the app", async () => {
    const res = await post('{"type": "event_callback", "event": ', "application/json");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await stillServing();
  });

  it("after all of that a mention is still answered", async () => {
    const m = mention("kvm01 vm 198.51.100.10 cannot reach the host", { channel: "C0AFTER" });
    expect((await post(m.body, "application/json")).status).toBe(200);
    await fake.waitFor(
      () => threadMessages(fake, m.channel, m.ts).find((c) => /Diagnosis of/.test(String(c.args.text))),
      10_000,
      "the report",
    );
    await slack.idle();
  });
});
