import type {
  DiagnosisRequest,
  DiagnosisResult,
  Language,
  ProgressEvent,
  SymptomCategory,
} from "../diagnosis/types.js";

/** What intake makes of a chat message. */
export interface ParsedText {
  hosts: string[];
  targets: string[];
  symptom: string;
  language: Language;
  categories: SymptomCategory[];
  /** Words that look like host names but are not in the inventory. */
  unknownHostLike?: string[];
}

export interface IncidentSummary {
  id: number;
  hosts: string[];
  symptom: string;
  status: string;
  causes: string[];
  created_at: string;
  channel?: string | null;
  thread?: string | null;
}

export interface SearchHit extends IncidentSummary {
  score: number;
  snippet?: string;
}

export interface RequestMeta {
  user: string;
  source: "slack" | "console" | "cli";
  channel?: string;
  thread?: string;
}

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
