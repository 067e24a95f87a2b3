import type { App, BlockAction, ViewSubmitAction } from "@slack/bolt";
import { languageOf } from "../../conversation/messages.js";
import {
  diagnosisModal,
  HOST_BLOCK,
  homeView,
  MODAL_CALLBACK,
  START_ACTION,
  SYMPTOM_BLOCK,
} from "./blocks/home.js";
import { escapeMrkdwn } from "./blocks/mrkdwn.js";
import { openDm } from "./commands.js";
import { converse, type HandlerDeps } from "./deps.js";

const HOST_NAME = /^[A-Za-z0-9_.:@-]{1,253}$/;

/**
 * App Home (recent and open incidents, "Start diagnosis") and the modal it opens; a submitted
 * modal starts an incident thread in the user's DM with the bot.
 */
export function register(app: App, deps: HandlerDeps): void {
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    deps.work.run("app_home_opened", async () => {
      const view = homeView(await deps.conversation.overview(10), deps.workspace.url);
      await deps.api.call("views.publish", { user_id: event.user, view });
    });
  });

  app.action<BlockAction>(new RegExp(`^${START_ACTION}(?::\\d+)?$`), async ({ ack, body }) => {
    await ack();
    deps.work.run("views.open", async () => {
      await deps.api.call("views.open", {
        trigger_id: body.trigger_id,
        view: diagnosisModal(deps.conversation.hostNames()),
      });
    });
  });

  app.view<ViewSubmitAction>(MODAL_CALLBACK, async ({ ack, body, view }) => {
    const values = view.state.values;
    const hostInput = values[HOST_BLOCK]?.[HOST_BLOCK];
    const host = (hostInput?.selected_option?.value ?? hostInput?.value ?? "").trim();
    const symptom = (values[SYMPTOM_BLOCK]?.[SYMPTOM_BLOCK]?.value ?? "").trim();
    if (!HOST_NAME.test(host)) {
      await ack({ response_action: "errors", errors: { [HOST_BLOCK]: "Choose a host from the inventory." } });
      return;
    }
    await ack();
    const user = body.user.id;
    deps.work.run("view_submission", async () => {
      const channel = await openDm(deps, user);
      const text = `${host} ${symptom}`.trim();
      const intro =
        languageOf(text) === "zh"
          ? `从主页发起的诊断：*${escapeMrkdwn(host)}* ${escapeMrkdwn(symptom)}`
          : `Diagnosis requested from the App Home: *${escapeMrkdwn(host)}* ${escapeMrkdwn(symptom)}`;
      const res = await deps.api.call<{ ts: string }>(
        "chat.postMessage",
        { channel, text: intro.trim() },
        channel,
      );
      await converse(deps, { channel, thread: res.ts, user }, text);
    });
  });
}
