import type { RequestMeta } from "../diagnosis/diagnose.js";
import type { DiagnosisRequest, DiagnosisResult, ProgressEvent } from "../diagnosis/types.js";
import type { ParsedRequest as ParsedText } from "../intake/index.js";
import type { SearchHit } from "../search/index.js";
import type { IncidentSummary } from "../store/incidents.js";

export type { RequestMeta } from "../diagnosis/diagnose.js";
export type { ParsedRequest as ParsedText } from "../intake/index.js";
export type { SearchHit } from "../search/index.js";
export type { IncidentSummary } from "../store/incidents.js";

/**
 * The domain services the conversation reaches (DESIGN.md: conversation → diagnosis, fixes,
 * search). main.ts builds them from the store, inventory, transports and knowledge.
 */
export interface ConversationServices {
  inventoryNames(): { hosts: string[]; groups: string[] };
  /** Closest known host names for a word that is not one. */
  suggestHosts(word: string): string[];
  parse(text: string): ParsedText;
  diagnose(
    request: DiagnosisRequest,
    meta: RequestMeta,
    onProgress?: (event: ProgressEvent) => void,
  ): Promise<DiagnosisResult>;
  incidentByThread(channel: string, thread: string): IncidentSummary | undefined;
  feedback(
    incident: number,
    cause: string,
    verdict: "confirmed" | "rejected",
    user: string,
  ): Promise<void> | void;
  /** The evidence bundles of an incident as one JSON text, for "Show evidence". */
  evidence(incident: number): string | undefined;
  search(query: string, limit: number): SearchHit[];
  recent(limit: number): IncidentSummary[];
}
