import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackApp, type SlackApp } from "../../../src/chat/slack/app.js";
import { Conversation } from "../../../src/conversation/core.js";
import { openDatabase } from "../../../src/store/db.js";
import { FakeSlack } from "../../support/fake-slack.js";
import { BOT_TOKEN, expectAllWithinLimits, textOf, threadMessages } from "./helpers.js";
import { capturedLogger, fixture, jsonFixture, recordedServices } from "./services.js";

const APP_TOKEN = "xapp-1-A0HOSTMEDIC-1234-socketmodetest";

describe("Slack app in Socket Mode (local WebSocket server, as the Slack SDK tests itself)", () => {
  const fake = new FakeSlack();
  const captured = capturedLogger();
  let dir: string;
  let db: Database.Database;
  let slack: SlackApp;
  let port: number;

  beforeAll(async () => {
    await fake.start();
    fake.helloOnConnect = jsonFixture("socket_hello.json");
    dir = mkdtempSync(join(tmpdir(), "hostmedic-socket-"));
    db = openDatabase(join(dir, "medic.db"));
    const services = recordedServices(db, { stepMs: 20 });
    slack = createSlackApp(
      { slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: fake.apiUrl }, port: 0 },
      {
        conversation: new Conversation({ services, log: captured.log, source: "slack" }),
        db,
        log: captured.log,
      },
      { retries: 0, postIntervalMs: 20, host: "127.0.0.1" },
    );
    port = (await slack.start()).port!;
  });

  afterAll(async () => {
    try {
      expect(expectAllWithinLimits(fake)).toBeGreaterThan(0);
    } finally {
      await slack?.stop();
      await fake.stop();
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("opens the connection with the app-level token and is connected after hello", () => {
    expect(slack.mode).toBe("socket");
    const open = fake.callsOf("apps.connections.open");
    expect(open.length).toBe(1);
    expect(open[0]!.token).toBe(APP_TOKEN);
    expect(fake.socketClients).toBe(1);
  });

  it("acks an events_api envelope with its envelope_id, then answers in the thread", async () => {
    const envelope = jsonFixture<{ envelope_id: string; payload: { event: { ts: string } } }>(
      "socket_events_api.json",
    );
    const ack = fake.nextSocketFrame((f) => f.envelope_id === envelope.envelope_id);
    fake.sendSocket(envelope);
    expect(await ack).toMatchObject({ envelope_id: envelope.envelope_id });
    const reply = await fake.waitFor(() => threadMessages(fake, "C0OPS", envelope.payload.event.ts)[0]);
    expect(textOf(reply)).toContain("search QUERY");
    await slack.idle();
  });

  it("ignores a redelivered envelope of the same event", async () => {
    const envelope = jsonFixture<Record<string, unknown>>("socket_events_api.json");
    const again = {
      ...envelope,
      envelope_id: "0a1b2c3d-redelivery",
      retry_attempt: 1,
      retry_reason: "timeout",
    };
    const before = fake.calls.length;
    const ack = fake.nextSocketFrame((f) => f.envelope_id === again.envelope_id);
    fake.sendSocket(again);
    await ack;
    await new Promise((r) => setTimeout(r, 300));
    await slack.idle();
    expect(fake.calls.slice(before)).toEqual([]);
  });

  it("acks a slash command envelope and runs the diagnosis in a new thread", async () => {
    const form = Object.fromEntries(new URLSearchParams(fixture("slash_command.form").trim()));
    const envelope = {
      envelope_id: "5f2e1d0c-slash",
      type: "slash_commands",
      accepts_response_payload: true,
      payload: { ...form, text: "kvm01 vm 198.51.100.10 cannot reach the host", channel_id: "C0SOCK" },
    };
    const ack = fake.nextSocketFrame((f) => f.envelope_id === envelope.envelope_id);
    fake.sendSocket(envelope);
    await ack;
    const parent = await fake.waitFor(() =>
      fake
        .callsOf("chat.postMessage")
        .find((c) => c.args.channel === "C0SOCK" && c.args.thread_ts === undefined),
    );
    const report = await fake.waitFor(() =>
      threadMessages(fake, "C0SOCK", String(parent.response.ts)).find((c) =>
        /Diagnosis of kvm01/.test(String(c.args.text)),
      ),
    );
    expect(textOf(report)).toContain("tap_not_enslaved");
    await slack.idle();
  });

  it("serves /healthz on PORT beside the socket", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });

  it("still connects when PORT is taken, saying that /healthz is not served", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const taken = (busy.address() as { port: number }).port;
    const other = createSlackApp(
      { slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: fake.apiUrl }, port: taken },
      {
        conversation: new Conversation({
          services: recordedServices(db),
          log: captured.log,
          source: "slack",
        }),
        db,
        log: captured.log,
      },
      { retries: 0, host: "127.0.0.1" },
    );
    try {
      expect(await other.start()).toEqual({ port: undefined });
      expect(
        captured.lines().some((l) => l.msg === "GET /healthz not served" && l.error === "EADDRINUSE"),
      ).toBe(true);
    } finally {
      await other.stop();
      await new Promise((r) => busy.close(r));
    }
  });
});
