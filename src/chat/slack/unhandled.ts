import type { App, BlockAction, RespondFn } from "@slack/bolt";
import { CORE_ACTION } from "./actions.js";
import { MODAL_CALLBACK, START_ACTION } from "./blocks/home.js";
import { COMMAND, openDm } from "./commands.js";
import type { HandlerDeps } from "./deps.js";

/** Event types a listener of events.ts or views.ts handles; every other one is only logged. */
export const HANDLED_EVENTS = ["app_mention", "message", "app_home_opened"] as const;

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Matches what no other listener matches (Bolt runs every matching listener: one ack each). */
const not = (handled: string) => new RegExp(`^(?!(?:${handled})$)`);
const OTHER_EVENT = not(HANDLED_EVENTS.map(literal).join("|"));
const OTHER_ACTION = not(
  `(?:${CORE_ACTION.source.replace(/^\^|\$$/g, "")})|${literal(START_ACTION)}(?::\\d+)?`,
);
const OTHER_VIEW = not(literal(MODAL_CALLBACK));
const OTHER_COMMAND = not(literal(COMMAND));

export function notHandledText(what: string): string {
  return `Sorry, I don't handle ${what}. Type \`${COMMAND} help\` to see what I can do.`;
}

/**
 * Everything Slack may send that hostmedic has no listener for: events it is not subscribed to,
 * buttons of older report versions, other modals, shortcuts, other slash commands, select-menu
 * options. Without these listeners Bolt answers 404 after 3 s and Slack shows the person an error
 * (and retries events). Each is acknowledged at once and logged; a person who clicked or typed is
 * told privately that hostmedic does not handle it. Register last.
 */
export function register(app: App, deps: HandlerDeps): void {
  const log = deps.log.child({ handler: "unhandled" });

  app.event(OTHER_EVENT, async ({ event }) => {
    log.info({ event_type: event.type }, "Slack event not handled; ignored");
  });

  app.action<BlockAction>(
    { type: "block_actions", action_id: OTHER_ACTION },
    async ({ ack, body, action, respond }) => {
      await ack();
      const id = "action_id" in action ? action.action_id : "?";
      log.warn({ action: id, user: body.user.id }, "button or menu not handled");
      const text = notHandledText(`this button (\`${id}\`)`);
      deps.work.run("unhandled action", async () => {
        if (body.response_url) return void (await ephemeral(respond, text));
        const channel = body.channel?.id ?? body.container?.channel_id;
        if (channel) await deps.api.call("chat.postEphemeral", { channel, user: body.user.id, text });
        else await direct(deps, body.user.id, text);
      });
    },
  );

  app.view({ type: "view_submission", callback_id: OTHER_VIEW }, async ({ ack, body, view }) => {
    await ack();
    log.warn({ callback_id: view.callback_id, user: body.user.id }, "modal submission not handled");
    deps.work.run("unhandled view", () =>
      direct(deps, body.user.id, notHandledText(`this form (\`${view.callback_id}\`)`)),
    );
  });
  app.view({ type: "view_closed", callback_id: OTHER_VIEW }, async ({ ack, view }) => {
    await ack();
    log.info({ callback_id: view.callback_id }, "modal closed; not handled");
  });

  app.shortcut(/.*/, async ({ ack, shortcut, respond }) => {
    await ack();
    log.warn(
      { callback_id: shortcut.callback_id, type: shortcut.type, user: shortcut.user.id },
      "shortcut not handled",
    );
    const text = notHandledText(`the shortcut \`${shortcut.callback_id}\``);
    deps.work.run("unhandled shortcut", async () => {
      if (shortcut.type === "message_action") await ephemeral(respond, text);
      else await direct(deps, shortcut.user.id, text);
    });
  });

  app.command(OTHER_COMMAND, async ({ ack, command }) => {
    log.warn({ command: command.command, user: command.user_id }, "slash command not handled");
    await ack({ response_type: "ephemeral", text: notHandledText(`the command ${command.command}`) });
  });

  app.options(/.*/, async ({ ack, body }) => {
    log.info({ type: body.type }, "options request not handled; no options offered");
    await ack({ options: [] });
  });
}

async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: "ephemeral", replace_original: false, text });
}

/** A message in the person's DM with the bot: where a shortcut or a modal has no thread to answer in. */
async function direct(deps: HandlerDeps, user: string, text: string): Promise<void> {
  const channel = await openDm(deps, user);
  await deps.api.call("chat.postMessage", { channel, text });
}
