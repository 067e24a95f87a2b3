import type { App } from "@slack/bolt";
import { converse, type HandlerDeps } from "./deps.js";
import { fromSlackText } from "./text.js";

/**
 * Messages addressed to the bot: @mentions in channels and direct messages. The reply goes into
 * the thread of the message (a top-level message starts one), so one incident is one thread and a
 * follow-up in the thread continues it.
 */
export function register(app: App, deps: HandlerDeps): void {
  app.event("app_mention", async ({ event }) => {
    if (!event.user) return;
    const where = { channel: event.channel, thread: event.thread_ts ?? event.ts, user: event.user };
    deps.work.run("app_mention", () => converse(deps, where, fromSlackText(event.text)));
  });

  app.event("message", async ({ event, context }) => {
    // Edits, joins and other bots' posts carry a subtype; only what a person wrote is a request.
    if (event.subtype !== undefined) return;
    if ("bot_id" in event && event.bot_id) return;
    const text = event.text ?? "";
    const threadTs = "thread_ts" in event ? event.thread_ts : undefined;
    if (event.channel_type === "im") {
      const where = { channel: event.channel, thread: threadTs ?? event.ts, user: event.user };
      deps.work.run("message.im", () => converse(deps, where, fromSlackText(text)));
      return;
    }
    // In a channel, a reply in an incident's thread continues it without a new mention ("and
    // 198.51.100.11?"). A message that mentions the bot also arrives as app_mention: answer once.
    if (!threadTs || threadTs === event.ts) return;
    if (context.botUserId && text.includes(`<@${context.botUserId}>`)) return;
    if (!deps.conversation.hasIncident(event.channel, threadTs)) return;
    const where = { channel: event.channel, thread: threadTs, user: event.user };
    deps.work.run("message.thread", () => converse(deps, where, fromSlackText(text), { addressed: false }));
  });
}
