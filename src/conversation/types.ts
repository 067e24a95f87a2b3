import type { Language } from "../diagnosis/types.js";

/** A chat message as any adapter (Slack, console) hands it to the conversation core. */
export interface IncomingMessage {
  text: string;
  /** Chat user id (Slack U…, or "console"). */
  user: string;
  /** Stable id of the conversation thread; one incident lives in one thread. */
  thread: string;
  /** Channel or DM id; "console" in the terminal. */
  channel: string;
  /**
   * false for a reply in an incident's thread that did not mention the bot: people also talk to
   * each other there, so it continues the incident only when it names a host, a target or a symptom.
   */
  addressed?: boolean;
}

export interface Button {
  /** What the click means; the adapter routes it back as an Action. */
  action:
    | "feedback_confirm"
    | "feedback_reject"
    | "show_evidence"
    | "run_fix"
    | "rollback_fix"
    | "start_diagnosis";
  label: string;
  /** Opaque to adapters: what the core needs to act (incident id, cause id, fix id). */
  value: string;
  style?: "primary" | "danger";
  /** Ask before acting (Slack confirm dialog; console y/N). */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export interface Section {
  /** Short heading (cause title, host). */
  title?: string;
  /** Markdown-ish text: *bold*, `code`, ```blocks```, bullet lines. */
  text: string;
  /** Extra lines shown small. */
  context?: string[];
  buttons?: Button[];
}

/** One message the core wants shown; adapters decide how (Block Kit, terminal text). */
export interface Reply {
  /** Plain-text fallback, always present (notifications, console). */
  text: string;
  sections?: Section[];
  /** Long material (an evidence bundle) for adapters that can attach files. */
  file?: { name: string; title: string; content: string };
  /** Visible only to the person who clicked (Slack ephemeral). */
  ephemeral?: boolean;
  language?: Language;
}

/** A button click, routed back to the core. */
export interface Action {
  action: Button["action"];
  value: string;
  user: string;
  thread: string;
  channel: string;
}

/**
 * Where the core writes: a progress message that is updated in place, then final replies.
 * Adapters implement it (Slack: chat.postMessage/chat.update; console: print lines).
 */
export interface ReplySink {
  post(reply: Reply): Promise<void>;
  /** Post or update the single progress message of this turn. */
  progress(text: string): Promise<void>;
}
