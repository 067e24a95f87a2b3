import { expect } from "vitest";
import { checkBlockLimits } from "../../../src/chat/slack/blocks/limits.js";
import { eventBody, type FakeSlack, type RecordedCall } from "../../support/fake-slack.js";
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
