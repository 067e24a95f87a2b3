import type { Button, Reply, Section } from "../../../conversation/types.js";
import type { Language } from "../../../diagnosis/types.js";
import { blockTextLength, LIMITS } from "./limits.js";
import { splitMrkdwn, toMrkdwn, truncate } from "./mrkdwn.js";

/** A Block Kit block as sent to Slack (plain JSON; checked by checkBlockLimits). */
export type SlackBlock = Record<string, unknown>;

export interface RenderedMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: SlackBlock[];
  /** What did not fit in the message, to upload as a file in the thread. */
  overflow?: { name: string; title: string; content: string };
}

// Headroom under Slack's limits for the note that says where the rest went.
const BLOCK_BUDGET = LIMITS.messageBlocks - 1;
const CHAR_BUDGET = LIMITS.messageChars - 600;
const FALLBACK_TEXT = 3000;

const WORDS = {
  en: {
    more: "The rest did not fit in one message; it is in the attached file *{file}*{titles}.",
    continued: "… (continued in the attached file)",
    fileTitle: "The full reply",
  },
  zh: {
    more: "其余内容放不进一条消息，已放在附件 *{file}* 中{titles}。",
    continued: "…（其余内容见附件）",
    fileTitle: "完整回复",
  },
} as const;

const ACTION_ID = /^[a-z_]+$/;

function plain(text: string, max: number): { type: "plain_text"; text: string; emoji: true } {
  return { type: "plain_text", text: truncate(text.trim() || "…", max), emoji: true };
}

function buttonElement(b: Button, actionId: string): SlackBlock | undefined {
  // An opaque value cut short would mean something else to the core: drop the button instead.
  if (b.value.length > LIMITS.buttonValue || !ACTION_ID.test(b.action)) return undefined;
  const el: SlackBlock = {
    type: "button",
    action_id: actionId,
    text: plain(b.label, LIMITS.buttonText),
    value: b.value,
  };
  if (b.style) el.style = b.style;
  if (b.confirm) {
    el.confirm = {
      title: plain(b.confirm.title, LIMITS.confirmTitle),
      text: plain(b.confirm.text, LIMITS.confirmText),
      confirm: plain(b.confirm.confirm, LIMITS.confirmButton),
      deny: plain(b.confirm.deny, LIMITS.confirmButton),
      ...(b.style === "danger" ? { style: "danger" } : {}),
    };
  }
  return el;
}

/** Buttons as an actions block; an action repeated in one block gets a suffix (":2") to stay unique. */
export function actionsBlock(buttons: Button[]): SlackBlock | undefined {
  const seen = new Map<string, number>();
  const elements = buttons
    .slice(0, LIMITS.actionsElements)
    .map((b) => {
      const n = (seen.get(b.action) ?? 0) + 1;
      seen.set(b.action, n);
      return buttonElement(b, n === 1 ? b.action : `${b.action}:${n}`);
    })
    .filter((e): e is SlackBlock => e !== undefined);
  return elements.length ? { type: "actions", elements } : undefined;
}

function sectionBlock(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text } };
}

function contextBlock(lines: string[]): SlackBlock | undefined {
  const texts = lines.map((l) => l.trim()).filter(Boolean);
  if (!texts.length) return undefined;
  const head = texts.slice(0, LIMITS.contextElements - 1);
  const tail = texts.slice(LIMITS.contextElements - 1);
  if (tail.length) head.push(tail.join(" · "));
  return {
    type: "context",
    elements: head.map((t) => ({ type: "mrkdwn", text: truncate(toMrkdwn(t), LIMITS.contextText) })),
  };
}

interface Rendered {
  full: SlackBlock[];
  /** The same section cut to its heading, a first piece of text and its buttons. */
  short: (chars: number) => SlackBlock[];
}

function renderSection(s: Section, first: boolean, lang: Language): Rendered {
  const head: SlackBlock[] = [];
  const body = s.text.trim() ? toMrkdwn(s.text) : "";
  let titleLine = "";
  if (s.title && first) head.push({ type: "header", text: plain(s.title, LIMITS.headerText) });
  else if (s.title) {
    head.push({ type: "divider" });
    titleLine = `*${truncate(toMrkdwn(s.title.trim()), 300)}*`;
  }
  const whole = [titleLine, body].filter(Boolean).join("\n");
  const chunks = whole ? splitMrkdwn(whole, LIMITS.sectionText) : [];
  const ctx = s.context ? contextBlock(s.context) : undefined;
  const actions = s.buttons ? actionsBlock(s.buttons) : undefined;
  const tail = [ctx, actions].filter((b): b is SlackBlock => b !== undefined);
  return {
    full: [...head, ...chunks.map(sectionBlock), ...tail],
    short: (chars) => {
      // The title, context and buttons always; as much of the text as there is room for.
      const note = WORDS[lang].continued;
      const room = Math.min(LIMITS.sectionText, chars) - titleLine.length - note.length - 16;
      const piece = body && room > 80 ? splitMrkdwn(body, room)[0] : undefined;
      const text = [titleLine, piece, body ? note : ""].filter(Boolean).join("\n");
      return [...head, ...(text ? [sectionBlock(text)] : []), ...tail];
    },
  };
}

function sectionAsText(s: Section): string {
  return [s.title ? `## ${s.title}` : "", s.text.trim(), ...(s.context ?? [])].filter(Boolean).join("\n\n");
}

/**
 * A reply as Block Kit within Slack's limits: the first section's title as a header, each section's
 * text split into ≤3000-character blocks, context lines, and its buttons. What does not fit in
 * 50 blocks / ~12k characters is cut short (buttons kept) and goes whole into an overflow file.
 */
export function renderReply(reply: Reply): RenderedMessage {
  const lang: Language = reply.language ?? "en";
  const sections: Section[] = reply.sections?.length ? reply.sections : [{ text: reply.text }];
  const blocks: SlackBlock[] = [];
  const spilled: Section[] = [];
  const omittedTitles: string[] = [];
  let chars = 0;
  // Each section whole if it fits, else cut short with its buttons, else left to the file; a
  // section that does not fit does not keep the smaller ones after it (the evidence button) out.
  sections.forEach((s, i) => {
    const r = renderSection(s, i === 0, lang);
    const fits = (bs: SlackBlock[]) =>
      blocks.length + bs.length <= BLOCK_BUDGET && chars + blockTextLength(bs) <= CHAR_BUDGET;
    if (fits(r.full)) {
      blocks.push(...r.full);
      chars += blockTextLength(r.full);
      return;
    }
    spilled.push(s);
    const short = r.short(CHAR_BUDGET - chars - 200);
    if (short.length && fits(short)) {
      blocks.push(...short);
      chars += blockTextLength(short);
      return;
    }
    omittedTitles.push(s.title ?? truncate(s.text.split("\n")[0] ?? "", 60));
  });
  const text = truncate(toMrkdwn(reply.text), FALLBACK_TEXT);
  if (!spilled.length) return { text, blocks };
  const file = `reply-${lang}.txt`;
  const titles = omittedTitles.filter(Boolean).length
    ? `: ${truncate(omittedTitles.filter(Boolean).join("; "), 400)}`
    : "";
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: WORDS[lang].more.replace("{file}", file).replace("{titles}", toMrkdwn(titles)),
      },
    ],
  });
  return {
    text,
    blocks,
    overflow: {
      name: file,
      title: WORDS[lang].fileTitle,
      content: `${reply.text}\n\n${spilled.map(sectionAsText).join("\n\n")}\n`,
    },
  };
}
