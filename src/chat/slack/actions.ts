import type { App, BlockAction } from "@slack/bolt";
import type { Action } from "../../conversation/types.js";
import { type HandlerDeps, sinkFor } from "./deps.js";

/** Action ids of the buttons the core handles; a ":N" suffix keeps repeated ones unique in a block. */
export const CORE_ACTION = /^(feedback_confirm|feedback_reject|show_evidence|run_fix|rollback_fix)(?::\d+)?$/;

/** Where a clicked button lives: its channel and the thread_ts of its incident thread. */
export function threadOf(body: BlockAction): { channel: string; thread: string } | undefined {
  const channel = body.channel?.id ?? body.container?.channel_id;
  const container = body.container as { thread_ts?: string; message_ts?: string } | undefined;
  const thread = body.message?.thread_ts ?? container?.thread_ts ?? body.message?.ts ?? container?.message_ts;
  return channel && thread ? { channel, thread } : undefined;
}

/** Button clicks on reports: feedback, evidence, fixes. Acknowledged first, then the core acts. */
export function register(app: App, deps: HandlerDeps): void {
  app.action<BlockAction>(CORE_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    if (action.type !== "button") return;
    const name = CORE_ACTION.exec(action.action_id)?.[1] as Action["action"] | undefined;
    const at = threadOf(body);
    if (!name || !at) {
      deps.log.warn({ action: action.action_id }, "a button was clicked outside a message thread; ignored");
      return;
    }
    const where = { ...at, user: body.user.id };
    const click: Action = { action: name, value: action.value ?? "", user: body.user.id, ...at };
    deps.log.info(
      { action: name, user: click.user, channel: at.channel, thread: at.thread },
      "button clicked",
    );
    deps.work.run(name, async () => {
      const sink = sinkFor(deps, where, { respond: (m) => respond(m) });
      await deps.conversation.handleAction(click, sink);
      await sink.flushed();
    });
  });
}
