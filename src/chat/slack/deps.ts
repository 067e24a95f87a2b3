import type { Conversation } from "../../conversation/core.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import { type SinkOptions, SlackReplySink, type ThreadRef } from "./sink.js";
import type { Work } from "./work.js";

/** What every surface's handlers get from app.ts. */
export interface HandlerDeps {
  conversation: Pick<
    Conversation,
    "handleMessage" | "handleAction" | "overview" | "hostNames" | "hasIncident"
  >;
  api: SlackApi;
  log: Logger;
  work: Work;
  /** The workspace's URL from auth.test ("https://lab.slack.com/"), for permalinks; set on start. */
  workspace: { url?: string };
}

export function sinkFor(deps: HandlerDeps, where: ThreadRef, options?: SinkOptions): SlackReplySink {
  return new SlackReplySink(
    deps.api,
    where,
    deps.log.child({ channel: where.channel, thread: where.thread }),
    options,
  );
}

/** Runs one turn of the conversation and waits until its replies have left. */
export async function converse(
  deps: HandlerDeps,
  where: ThreadRef,
  text: string,
  options?: SinkOptions & { addressed?: boolean },
): Promise<void> {
  const sink = sinkFor(deps, where, options);
  await deps.conversation.handleMessage(
    { text, user: where.user, thread: where.thread, channel: where.channel, addressed: options?.addressed },
    sink,
  );
  await sink.flushed();
}
