import { type SearchHit, searchIncidents } from "../search/index.js";
import type { Verdict } from "../store/cases.js";
import type { IncidentSummary } from "../store/incidents.js";
import { type DiagnoseDeps, diagnose, type RequestMeta } from "./diagnose.js";
import type { DiagnosisRequest, DiagnosisResult, ProgressEvent } from "./types.js";

/** What the conversation core reaches for diagnoses, feedback and search. */
export interface Diagnoser {
  diagnose(
    request: DiagnosisRequest,
    meta: RequestMeta,
    onProgress?: (event: ProgressEvent) => void,
  ): Promise<DiagnosisResult>;
  feedback(incident: number, cause: string, verdict: Verdict, user: string, note?: string): void;
  note(incident: number, text: string, user: string): void;
  search(query: string, limit?: number): SearchHit[];
  incidentByThread(channel: string, thread: string): IncidentSummary | undefined;
  recent(limit?: number): IncidentSummary[];
  /** The evidence bundles of an incident as one JSON text ("Show evidence"). */
  evidence(incident: number): string | undefined;
}

/** Binds the edges once; each call passes only what varies per request. */
export function makeDiagnoser(deps: Omit<DiagnoseDeps, "onProgress" | "meta" | "replay">): Diagnoser {
  const { incidents, cases, db } = deps.store;
  return {
    diagnose: (request, meta, onProgress) => diagnose(request, { ...deps, meta, onProgress }),
    feedback(incident, cause, verdict, user, note) {
      if (verdict === "confirmed") cases.confirm(incident, cause, user, note);
      else cases.reject(incident, cause, user, note);
    },
    note: (incident, text, user) => cases.note(incident, text, user),
    search: (query, limit = 10) => searchIncidents(db, query, { limit }),
    incidentByThread(channel, thread) {
      const i = incidents.byThread(channel, thread);
      return i && incidents.toSummary(i);
    },
    recent: (limit = 10) => incidents.recent(limit),
    evidence(incident) {
      const bundles = incidents.bundles(incident);
      return bundles.length ? JSON.stringify(bundles, null, 2) : undefined;
    },
  };
}
