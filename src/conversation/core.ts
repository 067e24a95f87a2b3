import type { DiagnosisRequest, Language, ProgressEvent } from "../diagnosis/types.js";
import type { Logger } from "../log.js";
import { describeDbError, StoreError } from "../store/db.js";
import { languageOf, t } from "./messages.js";
import { decodeValue, renderDiagnosis } from "./report.js";
import type { ConversationServices, IncidentSummary, RequestMeta } from "./services.js";
import type { Action, IncomingMessage, Reply, ReplySink } from "./types.js";

export interface ConversationDeps {
  services: ConversationServices;
  /** Handles "Run fix" / "Roll back" clicks; absent until fixes are wired. */
  fixes?: { handleAction(action: Action, sink: ReplySink, language: Language): Promise<void> };
  log: Logger;
  source: RequestMeta["source"];
}

/** What went wrong, in words; a database failure means the incident itself was not kept. */
function failure(err: unknown, lang: Language): string {
  const code = String((err as { code?: string }).code ?? "");
  if (err instanceof StoreError || code.startsWith("SQLITE_"))
    return t("failedNotKept", lang, { error: describeDbError(err) });
  return t("failed", lang, { error: (err as Error).message });
}

const HELP = /^(help|\?|usage|帮助|幫助|怎么用|用法)$/i;
const SEARCH = /^(?:search|find|搜索|查找|搜)\s*(.*)$/is;

/**
 * The chat-agnostic core: a message or a click in, replies out. Slack and the console both drive
 * it, so they behave alike. It never touches a transport or the network itself.
 */
export class Conversation {
  constructor(private readonly deps: ConversationDeps) {}

  async handleMessage(msg: IncomingMessage, sink: ReplySink): Promise<void> {
    // Slack mentions arrive as "<@U123> text".
    const text = msg.text.replace(/<@[A-Z0-9]+>/g, " ").trim();
    const lang = languageOf(text);
    const log = this.deps.log.child({ thread: msg.thread, user: msg.user });
    try {
      if (msg.addressed === false && (text === "" || HELP.test(text) || SEARCH.test(text))) return;
      if (text === "" || HELP.test(text)) return await sink.post({ text: t("help", lang), language: lang });
      const search = SEARCH.exec(text);
      if (search) return await this.search(search[1]!.trim(), lang, sink);
      await this.diagnoseText(text, lang, msg, sink, log);
    } catch (err) {
      log.error({ err: (err as Error).message }, "message handling failed");
      await sink.post({ text: failure(err, lang), language: lang });
    }
  }

  async handleAction(action: Action, sink: ReplySink): Promise<void> {
    const value = decodeValue(action.value);
    const incident = value ? this.deps.services.incidentByThread(action.channel, action.thread) : undefined;
    const lang: Language = incident && /[\u3400-\u9fff]/.test(incident.symptom) ? "zh" : "en";
    const log = this.deps.log.child({ thread: action.thread, user: action.user, action: action.action });
    try {
      if (!value) {
        log.warn({ value: action.value }, "button value not understood");
        return await sink.post({ text: t("whatICanDo", lang), ephemeral: true, language: lang });
      }
      switch (action.action) {
        case "feedback_confirm":
        case "feedback_reject": {
          if (!value.cause) return;
          const verdict = action.action === "feedback_confirm" ? "confirmed" : "rejected";
          await this.deps.services.feedback(value.incident, value.cause, verdict, action.user);
          log.info({ incident: value.incident, cause: value.cause, verdict }, "feedback recorded");
          return await sink.post({
            text: t(verdict === "confirmed" ? "feedbackConfirmed" : "feedbackRejected", lang, {
              cause: value.cause,
              incident: value.incident,
            }),
            language: lang,
          });
        }
        case "show_evidence": {
          const content = this.deps.services.evidence(value.incident);
          if (!content)
            return await sink.post({
              text: t("noEvidence", lang, { incident: value.incident }),
              language: lang,
            });
          const title = t("evidenceFile", lang, { incident: value.incident });
          return await sink.post({
            text: title,
            file: { name: `incident-${value.incident}-evidence.json`, title, content },
            language: lang,
          });
        }
        case "run_fix":
        case "rollback_fix":
          if (this.deps.fixes) return await this.deps.fixes.handleAction(action, sink, lang);
          return await sink.post({ text: t("fixesUnavailable", lang), ephemeral: true, language: lang });
        default:
          return;
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, "action handling failed");
      await sink.post({ text: failure(err, lang), language: lang });
    }
  }

  /** Recent and still-open incidents, for an overview such as Slack's App Home. */
  overview(limit = 10): { recent: IncidentSummary[]; open: IncidentSummary[] } {
    const recent = this.deps.services.recent(50);
    return {
      recent: recent.slice(0, limit),
      open: recent.filter((i) => i.status === "open" || i.status === "diagnosed").slice(0, limit),
    };
  }

  /** Is there an incident in this thread (so that replies there may continue it)? */
  hasIncident(channel: string, thread: string): boolean {
    return this.deps.services.incidentByThread(channel, thread) !== undefined;
  }

  hostNames(): string[] {
    return this.deps.services.inventoryNames().hosts;
  }

  private async search(query: string, lang: Language, sink: ReplySink): Promise<void> {
    if (!query) return sink.post({ text: t("searchUsage", lang), language: lang });
    const hits = this.deps.services.search(query, 10);
    if (!hits.length) return sink.post({ text: t("noResults", lang, { query }), language: lang });
    const lines = hits.map(
      (h) =>
        `• #${h.id} ${h.created_at.slice(0, 16).replace("T", " ")} ${h.hosts.join(",")} — ${h.symptom || "—"}${
          h.causes.length ? ` → \`${h.causes.join("`, `")}\`` : ""
        } (${h.status})`,
    );
    await sink.post({
      text: `${t("searchResults", lang, { query })}\n${lines.join("\n")}`,
      sections: [{ text: `${t("searchResults", lang, { query })}\n${lines.join("\n")}` }],
      language: lang,
    });
  }

  private async diagnoseText(
    text: string,
    lang: Language,
    msg: IncomingMessage,
    sink: ReplySink,
    log: Logger,
  ): Promise<void> {
    const { services } = this.deps;
    const parsed = services.parse(text);
    const previous = services.incidentByThread(msg.channel, msg.thread);
    if (
      msg.addressed === false &&
      !parsed.hosts.length &&
      !parsed.targets.length &&
      !parsed.categories.length
    )
      return;
    let hosts = parsed.hosts;
    // A follow-up in an incident's thread ("and 198.51.100.11?") keeps that incident's hosts.
    if (!hosts.length && previous) hosts = previous.hosts;
    if (!hosts.length) {
      const unknown = parsed.unknownHostLike?.[0];
      if (unknown) {
        const names = services.suggestHosts(unknown);
        return sink.post({
          text: t("unknownHost", lang, {
            word: unknown,
            suggest: names.length ? t("didYouMean", lang, { names: names.join(", ") }) : "",
          }),
          language: lang,
        });
      }
      const known = services.inventoryNames().hosts;
      if (parsed.categories.length || parsed.targets.length)
        return sink.post({
          text: t("whichHost", lang, {
            hosts: known.slice(0, 20).join(", ") || "— (MEDIC_INVENTORY is empty; `localhost` works)",
            example: known[0] ?? "kvm01",
            symptom: parsed.symptom || text,
          }),
          language: lang,
        });
      return sink.post({ text: t("whatICanDo", lang), language: lang });
    }
    const request: DiagnosisRequest = {
      hosts,
      symptom: parsed.symptom || (previous && !parsed.symptom ? previous.symptom : ""),
      targets: parsed.targets,
      language: lang,
      categories: parsed.categories,
      vmNames: parsed.vmNames,
    };
    await sink.progress(t("checking", lang, { hosts: hosts.join(", ") }));
    const onProgress = (e: ProgressEvent) => {
      const line =
        e.type === "connecting"
          ? t("connecting", lang, { host: e.host })
          : e.type === "collecting"
            ? t("collecting", lang, { host: e.host, done: e.done, total: e.total })
            : e.type === "evaluating"
              ? t("evaluating", lang, { host: e.host })
              : undefined;
      if (line) sink.progress(line).catch((err) => log.warn({ err }, "progress update failed"));
    };
    const result = await services.diagnose(
      request,
      { user: msg.user, source: this.deps.source, channel: msg.channel, thread: msg.thread },
      onProgress,
    );
    log.info({ incident: result.incident, hosts }, "diagnosis done");
    const reply: Reply = renderDiagnosis(result, lang);
    await sink.post(reply);
  }
}
