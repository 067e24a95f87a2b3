import type { App } from "@slack/bolt";
import { languageOf } from "../../conversation/messages.js";
import { SlackCallError } from "./api.js";
import { escapeMrkdwn, truncate } from "./blocks/mrkdwn.js";
import { converse, type HandlerDeps } from "./deps.js";
import type { Respond } from "./sink.js";
import { fromSlackText, isPersonalCommand } from "./text.js";

export const COMMAND = "/medic";

const WORDS = {
  en: {
    asked: "<@{user}> asked: `{command} {text}`",
    movedToDm:
      "I am not a member of this conversation, so I started the diagnosis in our direct messages. Invite me with `/invite @hostmedic` to answer here.",
    failed: "I could not start the diagnosis: Slack said `{error}`. Nothing ran; try again in a moment.",
  },
  zh: {
    asked: "<@{user}> 请求：`{command} {text}`",
    movedToDm: "我不在这个会话中，所以在私信里开始了诊断。用 `/invite @hostmedic` 邀请我之后可以在这里回答。",
    failed: "无法开始诊断：Slack 返回 `{error}`。没有执行任何操作，请稍后再试。",
  },
} as const;

// The bot cannot post where the command was typed (a channel it is not in, someone else's DM).
const CANNOT_POST = new Set(["not_in_channel", "channel_not_found", "is_archived", "restricted_action"]);

/**
 * `/medic HOST [SYMPTOM]` opens an incident thread in the channel (in the asker's DM when the bot
 * cannot post there); `/medic help` and `/medic search QUERY` answer the asker only.
 */
export function register(app: App, deps: HandlerDeps): void {
  app.command(COMMAND, async ({ command, ack, respond }) => {
    await ack();
    const text = fromSlackText(command.text ?? "").trim();
    const user = command.user_id;
    const reply: Respond = (m) => respond(m);
    if (isPersonalCommand(text)) {
      const where = { channel: command.channel_id, thread: `command:${command.trigger_id}`, user };
      deps.work.run("command", () => converse(deps, where, text, { mode: "ephemeral", respond: reply }));
      return;
    }
    deps.work.run("command", async () => {
      const lang = languageOf(text);
      const asked = WORDS[lang].asked
        .replace("{user}", user)
        .replace("{command}", COMMAND)
        .replace("{text}", truncate(escapeMrkdwn(text), 2000));
      let thread: { channel: string; thread: string };
      try {
        thread = await openThread(deps, command.channel_id, user, asked, async () => {
          await reply({ response_type: "ephemeral", text: WORDS[lang].movedToDm });
        });
      } catch (err) {
        // Nowhere to post: the command's own response_url is the last way to tell the asker.
        const code = err instanceof SlackCallError ? err.slackError : "error";
        deps.log.error({ error: code }, "could not open a thread for /medic");
        await reply({ response_type: "ephemeral", text: WORDS[lang].failed.replace("{error}", code) }).catch(
          () => {},
        );
        return;
      }
      await converse(deps, { ...thread, user }, text);
    });
  });
}

/**
 * Posts the message an incident thread hangs from. Where the bot may not post, the thread opens
 * in the user's DM instead (after telling them so); throws SlackCallError when neither works.
 */
export async function openThread(
  deps: HandlerDeps,
  channel: string,
  user: string,
  text: string,
  onMoved?: () => Promise<void>,
): Promise<{ channel: string; thread: string }> {
  try {
    const res = await deps.api.call<{ ts: string; channel?: string }>(
      "chat.postMessage",
      { channel, text },
      channel,
    );
    return { channel: res.channel ?? channel, thread: res.ts };
  } catch (err) {
    if (!(err instanceof SlackCallError && CANNOT_POST.has(err.slackError))) throw err;
  }
  const dm = await openDm(deps, user);
  await onMoved?.().catch((err) =>
    deps.log.warn({ err }, "could not tell the user the thread moved to the DM"),
  );
  const res = await deps.api.call<{ ts: string }>("chat.postMessage", { channel: dm, text }, dm);
  return { channel: dm, thread: res.ts };
}

export async function openDm(deps: HandlerDeps, user: string): Promise<string> {
  const res = await deps.api.call<{ channel?: { id?: string } }>("conversations.open", { users: user });
  const id = res.channel?.id;
  if (!id) throw new SlackCallError("conversations.open", "no_channel_in_answer");
  return id;
}
