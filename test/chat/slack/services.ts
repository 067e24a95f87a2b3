import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import type Database from "better-sqlite3";
import pino from "pino";
import type { ConversationServices } from "../../../src/conversation/services.js";
import type { HostDiagnosis } from "../../../src/diagnosis/types.js";
import { parseRequest } from "../../../src/intake/index.js";
import type { Logger } from "../../../src/log.js";
import { searchIncidents } from "../../../src/search/index.js";
import { CaseStore } from "../../../src/store/cases.js";
import { IncidentStore } from "../../../src/store/incidents.js";

const FIXTURES = new URL("../../fixtures/slack/", import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

export function jsonFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}

/** A pino logger whose JSON lines the test can read. */
export function capturedLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const log = pino({ level: "debug" }, stream);
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/**
 * The conversation's services over the real store, intake and search, with the diagnosis of a
 * host replayed from a recorded HostDiagnosis (test/fixtures/slack/diagnosis_kvm01.json) instead
 * of SSH: these tests are about Slack; the lab test drives the real diagnosis.
 */
export function recordedServices(
  db: Database.Database,
  options: { stepMs?: number } = {},
): ConversationServices & {
  diagnoses: number;
} {
  const incidents = new IncidentStore(db);
  const cases = new CaseStore(db);
  const names = { hosts: ["kvm01", "kvm02"], groups: ["kvm"] };
  const recorded = jsonFixture<HostDiagnosis>("diagnosis_kvm01.json");
  const state = {
    diagnoses: 0,
    inventoryNames: () => names,
    suggestHosts: (word: string) => names.hosts.filter((h) => h.slice(0, 3) === word.slice(0, 3)),
    parse: (text: string) => parseRequest(text, names),
    async diagnose(request, meta, onProgress) {
      state.diagnoses += 1;
      const id = incidents.create({
        requestedBy: meta.user,
        source: meta.source,
        channel: meta.channel,
        thread: meta.thread,
        symptom: request.symptom,
        categories: request.categories,
        targets: request.targets,
        hosts: request.hosts,
        language: request.language,
      });
      const hosts: HostDiagnosis[] = [];
      for (const host of request.hosts) {
        onProgress?.({ type: "connecting", host });
        for (let done = 1; done <= 3; done++) {
          await new Promise((r) => setTimeout(r, options.stepMs ?? 50));
          onProgress?.({ type: "collecting", host, total: 3, done });
        }
        onProgress?.({ type: "evaluating", host });
        const d: HostDiagnosis = {
          ...recorded,
          host,
          bundle: recorded.bundle && { ...recorded.bundle, host },
        };
        incidents.recordDiagnosis(id, d);
        hosts.push(d);
      }
      return {
        incident: id,
        request: {
          hosts: request.hosts,
          symptom: request.symptom,
          targets: request.targets,
          language: request.language,
        },
        hosts,
        similar_incidents: [],
      };
    },
    incidentByThread: (channel: string, thread: string) => {
      const i = incidents.byThread(channel, thread);
      return i && incidents.toSummary(i);
    },
    feedback: (incident: number, cause: string, verdict: "confirmed" | "rejected", user: string) => {
      if (verdict === "confirmed") cases.confirm(incident, cause, user);
      else cases.reject(incident, cause, user);
    },
    evidence: (incident: number) => {
      const bundles = incidents.bundles(incident);
      return bundles.length ? JSON.stringify(bundles, null, 2) : undefined;
    },
    search: (query: string, limit: number) => searchIncidents(db, query, { limit }),
    recent: (limit: number) => incidents.recent(limit),
  } satisfies ConversationServices & { diagnoses: number };
  return state;
}
