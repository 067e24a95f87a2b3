import type { Reply, ReplySink } from "../../conversation/types.js";
import type { Language } from "../../diagnosis/types.js";
import type { Logger } from "../../log.js";
import { type SlackApi, SlackCallError } from "./api.js";
import { escapeMrkdwn, toMrkdwn, truncate } from "./blocks/mrkdwn.js";
import { renderReply } from "./blocks/reply.js";

export interface ThreadRef {
  channel: string;
  /** thread_ts of the incident's thread. */
  thread: string;
  /** Who the replies are for (ephemeral replies and failure notices go to them). */
  user: string;
}

/** Answers through a slash command's response_url, for when the bot may not post in the channel. */
export type Respond = (message: {
  response_type: "ephemeral";
  text: string;
  blocks?: unknown[];
}) => Promise<unknown>;

export interface SinkOptions {
  /** "ephemeral": every reply is shown to the user only (slash-command help and search). */
  mode?: "thread" | "ephemeral";
  respond?: Respond;
}

// Slack refused the message itself: send it as text and a file instead.
const BAD_MESSAGE = new Set([
  "invalid_blocks",
  "invalid_blocks_format",
  "msg_blocks_too_long",
  "msg_too_long",
  "invalid_arguments",
]);
// The bot cannot write where the request came from: tell the person in a DM.
const NO_PLACE = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
  "cannot_reply_to_message",
  "thread_not_found",
]);

const NOTICE = {
  en: "I could not post in <#{channel}> (Slack said `{error}`). The diagnosis is saved: find it with `/medic search HOST`, or invite me to the channel with `/invite @hostmedic` and ask again.",
  zh: "我无法在 <#{channel}> 中发消息（Slack 返回 `{error}`）。诊断已保存：可以用 `/medic search 主机` 找到它，或用 `/invite @hostmedic` 把我加入该频道后再问一次。",
} as const;

/**
 * The replies of one turn in one Slack thread. progress() posts one message and then edits it in
 * place (stale texts are skipped, not queued); post() turns that progress message into the reply
 * (chat.update) or adds a new one, and uploads what does not fit as a file in the thread. Slack's
 * refusals are logged and, where the person would otherwise hear nothing, told to them by DM; they
 * never propagate into the core, which has stored the incident before it posts.
 */
export class SlackReplySink implements ReplySink {
  private progressTs: string | undefined;
  private progressVersion = 0;
  private queue: Promise<void> = Promise.resolve();
  private noticeSent = false;
  /** Slack's reason when the thread cannot be written to at all; later replies are not tried. */
  private unreachable: string | undefined;
  private language: Language = "en";

  constructor(
    private readonly api: SlackApi,
    readonly where: ThreadRef,
    private readonly log: Logger,
    private readonly options: SinkOptions = {},
  ) {}

  /** Resolves when everything handed to the sink so far has been sent (or has failed). */
  flushed(): Promise<void> {
    return this.queue;
  }

  progress(text: string): Promise<void> {
    if (this.options.mode === "ephemeral") return Promise.resolve();
    const version = ++this.progressVersion;
    return this.serial(async () => {
      if (version !== this.progressVersion) return; // a newer text or the reply came first
      const body = truncate(toMrkdwn(text), 3000);
      const { channel, thread } = this.where;
      if (this.progressTs) {
        try {
          await this.api.call("chat.update", { channel, ts: this.progressTs, text: body }, channel);
          return;
        } catch (err) {
          if (!(err instanceof SlackCallError && err.slackError === "message_not_found")) throw err;
        }
      }
      const res = await this.api.call<{ ts?: string }>(
        "chat.postMessage",
        { channel, thread_ts: thread, text: body },
        channel,
      );
      this.progressTs = res.ts;
    });
  }

  post(reply: Reply): Promise<void> {
    this.progressVersion++; // progress texts still waiting are stale now
    if (reply.language) this.language = reply.language;
    return this.serial(() => this.send(reply));
  }

  private async send(reply: Reply): Promise<void> {
    const { channel, thread } = this.where;
    const msg = renderReply(reply);
    const ephemeral = reply.ephemeral || this.options.mode === "ephemeral";
    const body = { text: msg.text, blocks: msg.blocks };
    try {
      if (ephemeral) {
        await this.postEphemeral(body);
      } else if (this.progressTs) {
        await this.api.call("chat.update", { channel, ts: this.progressTs, ...body }, channel);
        this.progressTs = undefined;
      } else {
        await this.api.call(
          "chat.postMessage",
          { channel, thread_ts: thread, ...body, unfurl_links: false },
          channel,
        );
      }
    } catch (err) {
      if (!(err instanceof SlackCallError && BAD_MESSAGE.has(err.slackError)) || ephemeral) throw err;
      // Slack would not take the blocks: the text alone, and everything as a file below.
      this.log.warn(
        { channel, error: err.slackError },
        "reply refused by Slack; sending it as text and a file",
      );
      const text = truncate(escapeMrkdwn(reply.text), 3000);
      if (this.progressTs)
        await this.api.call("chat.update", { channel, ts: this.progressTs, text, blocks: [] }, channel);
      else await this.api.call("chat.postMessage", { channel, thread_ts: thread, text }, channel);
      this.progressTs = undefined;
      msg.overflow = {
        name: "reply.txt",
        title: reply.text.slice(0, 80),
        content: [
          reply.text,
          ...(reply.sections ?? []).map((s) => [s.title, s.text].filter(Boolean).join("\n")),
        ].join("\n\n"),
      };
    }
    if (ephemeral) return;
    for (const file of [msg.overflow, reply.file]) {
      if (!file) continue;
      await this.api.upload({
        channel_id: channel,
        thread_ts: thread,
        filename: file.name,
        title: file.title,
        content: file.content,
      });
      this.log.info(
        { channel, thread, file: file.name, bytes: Buffer.byteLength(file.content) },
        "file uploaded",
      );
    }
  }

  private async postEphemeral(body: { text: string; blocks: unknown[] }): Promise<void> {
    const { channel, thread, user } = this.where;
    try {
      await this.api.call(
        "chat.postEphemeral",
        { channel, user, ...body, ...(this.options.mode === "ephemeral" ? {} : { thread_ts: thread }) },
        channel,
      );
    } catch (err) {
      // Where the bot is not a member, a slash command can still answer through its response_url.
      if (!this.options.respond) throw err;
      await this.options.respond({ response_type: "ephemeral", ...body });
    }
  }

  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.queue
      .then(() => {
        if (this.unreachable) {
          this.log.debug(
            { channel: this.where.channel, error: this.unreachable },
            "reply skipped: thread unreachable",
          );
          return;
        }
        return job();
      })
      .catch((err) => this.failed(err));
    this.queue = run;
    return run;
  }

  private async failed(err: unknown): Promise<void> {
    const code = err instanceof SlackCallError ? err.slackError : "error";
    this.log.error(
      { err: err instanceof SlackCallError ? undefined : err, channel: this.where.channel, error: code },
      "a reply could not be delivered to Slack",
    );
    if (!NO_PLACE.has(code)) return;
    this.unreachable = code;
    if (this.noticeSent || this.where.channel.startsWith("D")) return;
    this.noticeSent = true;
    try {
      const dm = await this.api.call<{ channel?: { id?: string } }>("conversations.open", {
        users: this.where.user,
      });
      const id = dm.channel?.id;
      if (!id) return;
      const text = NOTICE[this.language].replace(/\{channel\}/g, this.where.channel).replace("{error}", code);
      await this.api.call("chat.postMessage", { channel: id, text }, id);
    } catch (e) {
      this.log.warn(
        { error: e instanceof SlackCallError ? e.slackError : String(e) },
        "could not tell the user by DM",
      );
    }
  }
}
