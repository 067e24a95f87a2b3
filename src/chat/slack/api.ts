import type { webApi } from "@slack/bolt";
import type { Logger } from "../../log.js";

type WebClient = webApi.WebClient;
type FilesUploadV2Arguments = webApi.FilesUploadV2Arguments;

/** A Slack Web API call that did not succeed, with Slack's error code ("not_in_channel"). */
export class SlackCallError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` field for ok:false; "ratelimited", "http_NNN" or "request_failed" otherwise. */
    readonly slackError: string,
    cause?: unknown,
  ) {
    super(`Slack ${method} failed: ${slackError}`, { cause });
    this.name = "SlackCallError";
  }
}

export interface SlackApiOptions {
  /** Least time between two writes to one channel (Slack allows about one message a second). */
  postIntervalMs: number;
  /** How many 429 answers in a row one call sits out before giving up. */
  maxRateLimitWaits: number;
}

export const DEFAULT_API_OPTIONS: SlackApiOptions = { postIntervalMs: 1000, maxRateLimitWaits: 5 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function codeOf(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number };
  if (e.code === "slack_webapi_platform_error" && e.data?.error) return e.data.error;
  if (e.code === "slack_webapi_rate_limited_error") return "ratelimited";
  if (e.code === "slack_webapi_http_error") return `http_${e.statusCode ?? "error"}`;
  return "request_failed";
}

/**
 * The Web API as the adapter uses it: writes are paced per channel, a 429 is waited out for as
 * long as Retry-After says (the WebClient is built with rejectRateLimitedCalls, so the wait is
 * ours, in tests and in production alike), and every failure is logged with Slack's error code.
 */
export class SlackApi {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly lastWrite = new Map<string, number>();

  constructor(
    readonly client: WebClient,
    private readonly log: Logger,
    private readonly options: SlackApiOptions = DEFAULT_API_OPTIONS,
  ) {}

  /** Calls a Web API method; with `channel`, the call waits its turn among that channel's writes. */
  async call<T = Record<string, unknown>>(
    method: string,
    args: Record<string, unknown>,
    channel?: string,
  ): Promise<T> {
    const run = () => this.withRateLimit(method, channel, () => this.client.apiCall(method, args));
    return (await (channel ? this.paced(channel, run) : run())) as T;
  }

  /** Uploads a file into a channel or thread (files.getUploadURLExternal, upload, complete). */
  async upload(args: FilesUploadV2Arguments & { channel_id: string }): Promise<void> {
    await this.paced(args.channel_id, () =>
      this.withRateLimit("files.uploadV2", args.channel_id, () => this.client.filesUploadV2(args)),
    );
  }

  private async withRateLimit<T>(
    method: string,
    channel: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retryAfter = (err as { retryAfter?: number }).retryAfter;
        if (
          codeOf(err) === "ratelimited" &&
          typeof retryAfter === "number" &&
          attempt < this.options.maxRateLimitWaits
        ) {
          this.log.info({ method, channel, retryAfter }, "Slack rate limit: waiting as Retry-After says");
          await sleep(Math.min(Math.max(retryAfter, 0), 300) * 1000);
          continue;
        }
        const code = codeOf(err);
        this.log.warn({ method, channel, error: code }, `Slack ${method} failed: ${code}`);
        throw new SlackCallError(method, code, err);
      }
    }
  }

  private paced<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    const next = previous.then(async () => {
      const wait = (this.lastWrite.get(channel) ?? 0) + this.options.postIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return await fn();
      } finally {
        this.lastWrite.set(channel, Date.now());
      }
    });
    const settled = next.catch(() => undefined);
    this.queues.set(channel, settled);
    // Forget idle channels so the maps do not grow with every DM ever seen.
    settled.then(() => {
      if (this.queues.get(channel) === settled) {
        this.queues.delete(channel);
        setTimeout(() => {
          if (!this.queues.has(channel)) this.lastWrite.delete(channel);
        }, this.options.postIntervalMs).unref();
      }
    });
    return next;
  }
}
