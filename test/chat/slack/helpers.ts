import { expect } from "vitest";
import { checkBlockLimits } from "../../../src/chat/slack/blocks/limits.js";
import {
  eventBody,
  type FakeSlack,
  interactionBody,
  type RecordedCall,
  sendToApp,
} from "../../support/fake-slack.js";
import { jsonFixture } from "./services.js";

export const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const BOT_TOKEN = "xoxb-1111-2222-hostmedictest";

let counter = 0;

/** A fresh app_mention delivery from the recorded fixture, with its own ids. */
export function mention(
  text: string,
  options: { channel?: string; user?: string; threadTs?: string } = {},
): { body: string; eventId: string; ts: string; channel: string } {
  counter += 1;
  const base = jsonFixture<{ event: Record<string, unknown> }>("app_mention.json");
  const ts = `17644607${String(counter).padStart(2, "0")}.${String(100 + counter).padStart(6, "0")}`;
  const eventId = `Ev0M${Date.now().toString(36).toUpperCase()}${counter}`;
  const channel = options.channel ?? "C0OPS";
  const event = {
    ...base.event,
    text: `<@U0BOT> ${text}`,
    ts,
    event_ts: ts,
    channel,
    user: options.user ?? "U0ALICE",
    ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
  };
  delete (event as { blocks?: unknown }).blocks;
  return { body: eventBody(event, eventId), eventId, ts, channel };
}

/** Messages the app sent (posted, updated, ephemeral) to one thread, in order. */
export function threadMessages(fake: FakeSlack, channel: string, threadTs: string): RecordedCall[] {
  const ownTs = new Set<string>();
  const out: RecordedCall[] = [];
  for (const c of fake.calls) {
    if (c.args.channel !== channel || c.status !== 200 || c.response.ok !== true) continue;
    if (c.method === "chat.postMessage" && c.args.thread_ts === threadTs) {
      ownTs.add(String(c.response.ts));
      out.push(c);
    } else if (c.method === "chat.update" && ownTs.has(String(c.args.ts))) out.push(c);
    else if (c.method === "chat.postEphemeral" && c.args.thread_ts === threadTs) out.push(c);
  }
  return out;
}

/** All text of a recorded message: its text and every text in its blocks. */
export function textOf(call: RecordedCall): string {
  return `${String(call.args.text ?? "")}\n${JSON.stringify(call.args.blocks ?? [])}`;
}

/** The button with this action in a recorded message. */
export function buttonIn(
  call: RecordedCall,
  action: string,
): { action_id: string; value: string } | undefined {
  for (const b of (call.args.blocks as {
    type: string;
    elements?: { type: string; action_id: string; value: string }[];
  }[]) ?? []) {
    const el =
      b.type === "actions" ? b.elements?.find((e) => e.action_id.split(":")[0] === action) : undefined;
    if (el) return el;
  }
  return undefined;
}

/** Clicks the `action` button of a report in an incident thread, as Slack delivers it (block_actions). */
export function clickButton(
  url: string,
  report: RecordedCall,
  action: string,
  where: { user: string; channel: string; threadTs: string },
): Promise<{ status: number; text: string }> {
  const button = buttonIn(report, action);
  if (!button) throw new Error(`no ${action} button in the report`);
  const { user, channel, threadTs } = where;
  const payload = jsonFixture<Record<string, unknown>>("block_actions.json");
  const ts = String(report.args.ts);
  payload.user = { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T0LAB" };
  payload.channel = { id: channel, name: channel.toLowerCase() };
  payload.container = {
    type: "message",
    message_ts: ts,
    channel_id: channel,
    is_ephemeral: false,
    thread_ts: threadTs,
  };
  payload.message = { type: "message", user: "U0BOT", text: report.args.text, ts, thread_ts: threadTs };
  payload.actions = [{ ...button, block_id: "b1", type: "button", action_ts: `${Date.now() / 1000}` }];
  return sendToApp(url, interactionBody(payload), "application/x-www-form-urlencoded", { secret: SECRET });
}

/** Every message and view the fake received stays within Block Kit's limits. */
export function expectAllWithinLimits(fake: FakeSlack): number {
  let checked = 0;
  for (const c of fake.calls) {
    if (
      ["chat.postMessage", "chat.update", "chat.postEphemeral"].includes(c.method) &&
      c.args.blocks !== undefined
    ) {
      expect(checkBlockLimits(c.args.blocks), `${c.method} ${JSON.stringify(c.args).slice(0, 200)}`).toEqual(
        [],
      );
      checked++;
    }
    if (c.method === "views.publish" || c.method === "views.open") {
      const view = c.args.view as { blocks: unknown[] };
      expect(checkBlockLimits(view.blocks, { surface: "view" })).toEqual([]);
      checked++;
    }
  }
  for (const r of fake.responses) {
    if (r.body.blocks) expect(checkBlockLimits(r.body.blocks)).toEqual([]);
  }
  return checked;
}

export interface RunningMain {
  base: string;
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL and "timeout" after 10 s). */
  stop(): Promise<number | null | "timeout">;
}

/** Starts the built `npm start` entry point (dist/src/main.js) and waits until GET /healthz answers. */
export async function startMain(
  mainJs: string,
  cwd: string,
  env: Record<string, string>,
): Promise<RunningMain> {
  const { spawn } = await import("node:child_process");
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [mainJs], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000)),
    ]);
    if (code === "timeout") child.kill("SIGKILL");
    return code;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`main.js did not serve /healthz within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, output: () => output, stop };
}
