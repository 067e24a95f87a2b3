import type { IncidentSummary } from "../../../conversation/services.js";
import { LIMITS } from "./limits.js";
import { toMrkdwn, truncate } from "./mrkdwn.js";
import type { SlackBlock } from "./reply.js";

export const START_ACTION = "start_diagnosis";
export const MODAL_CALLBACK = "start_diagnosis_modal";
export const HOST_BLOCK = "host";
export const SYMPTOM_BLOCK = "symptom";

/** A message's permalink (https://WORKSPACE.slack.com/archives/CHANNEL/pTS) when the workspace is known. */
export function permalink(workspaceUrl: string | undefined, channel: string, ts: string): string | undefined {
  if (!workspaceUrl || !/^https:\/\/[^\s<>|]+\/$/.test(workspaceUrl)) return undefined;
  if (!/^[CDG][A-Z0-9]+$/.test(channel) || !/^\d+\.\d+$/.test(ts)) return undefined;
  return `${workspaceUrl}archives/${channel}/p${ts.replace(".", "")}`;
}

function incidentLine(i: IncidentSummary, workspaceUrl?: string): string {
  const when = i.created_at.slice(0, 16).replace("T", " ");
  const link = i.channel && i.thread ? permalink(workspaceUrl, i.channel, i.thread) : undefined;
  const id = link ? `<${link}|#${i.id}>` : `#${i.id}`;
  const where = i.channel && /^[CG]/.test(i.channel) ? ` · <#${i.channel}>` : "";
  const causes = i.causes.length ? ` → \`${i.causes.slice(0, 3).join("`, `")}\`` : "";
  return `• *${id}* ${when} *${toMrkdwn(i.hosts.join(", ") || "—")}* — ${toMrkdwn(
    truncate(i.symptom || "—", 120),
  )}${causes} _(${i.status})_${where}`;
}

function listBlocks(
  title: string,
  incidents: IncidentSummary[],
  empty: string,
  workspaceUrl?: string,
): SlackBlock[] {
  const lines = incidents.map((i) => incidentLine(i, workspaceUrl));
  let text = "";
  for (const l of lines) {
    if (text.length + l.length + 1 > LIMITS.sectionText) break;
    text += `${text ? "\n" : ""}${l}`;
  }
  return [
    { type: "header", text: { type: "plain_text", text: title } },
    { type: "section", text: { type: "mrkdwn", text: text || `_${empty}_` } },
  ];
}

/** The App Home tab: a button to start a diagnosis, open incidents, recent ones. */
export function homeView(
  overview: { recent: IncidentSummary[]; open: IncidentSummary[] },
  workspaceUrl?: string,
): SlackBlock {
  return {
    type: "home",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "hostmedic" } },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: "I troubleshoot connectivity between KVM hosts and their VMs. Mention me with `@hostmedic HOST SYMPTOM`, use `/medic`, or start here.",
        },
      },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            action_id: START_ACTION,
            text: { type: "plain_text", text: "Start diagnosis" },
            style: "primary",
            value: "home",
          },
        ],
      },
      { type: "divider" },
      ...listBlocks("Open incidents", overview.open, "No open incidents.", workspaceUrl),
      ...listBlocks("Recent incidents", overview.recent, "No incidents yet.", workspaceUrl),
    ],
  };
}

/** The modal that starts a diagnosis: a host picker (typed when there are too many) and a symptom. */
export function diagnosisModal(hosts: string[]): SlackBlock {
  const options = hosts.slice(0, LIMITS.options).filter((h) => h.length <= LIMITS.optionValue);
  const picker =
    options.length && hosts.length <= LIMITS.options
      ? {
          type: "static_select",
          action_id: HOST_BLOCK,
          placeholder: { type: "plain_text", text: "Choose a host" },
          options: options.map((h) => ({
            text: { type: "plain_text", text: truncate(h, LIMITS.optionText) },
            value: h,
          })),
        }
      : {
          type: "plain_text_input",
          action_id: HOST_BLOCK,
          placeholder: { type: "plain_text", text: "Host or group name from the inventory" },
        };
  return {
    type: "modal",
    callback_id: MODAL_CALLBACK,
    title: { type: "plain_text", text: "Start a diagnosis" },
    submit: { type: "plain_text", text: "Diagnose" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "input", block_id: HOST_BLOCK, label: { type: "plain_text", text: "Host" }, element: picker },
      {
        type: "input",
        block_id: SYMPTOM_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Symptom" },
        element: {
          type: "plain_text_input",
          action_id: SYMPTOM_BLOCK,
          multiline: true,
          max_length: 1000,
          placeholder: { type: "plain_text", text: "e.g. vm 198.51.100.10 cannot reach the host" },
        },
      },
    ],
  };
}
