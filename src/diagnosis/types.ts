import type { EvidenceBundle } from "../probes/types.js";
import type { HostStatus } from "../transport/types.js";

export type Language = "en" | "zh";

/**
 * Symptom categories that intake recognises and rules declare they explain, in the order intake
 * reports them.
 */
export const SYMPTOM_CATEGORIES = [
  "host_guest",
  "guest_guest",
  "guest_lan",
  "guest_outside",
  "large_packets",
  "intermittent",
  "slow",
  "no_ip",
  "after_start",
  "vm_wont_start",
] as const;

export type SymptomCategory = (typeof SYMPTOM_CATEGORIES)[number];

/** What the person asked, after intake. */
export interface DiagnosisRequest {
  hosts: string[];
  symptom: string;
  targets: string[];
  language: Language;
  categories: SymptomCategory[];
  /** VM names from the text ("vm web01"); their addresses come from the host's virsh facts. */
  vmNames?: string[];
}

export interface FindingCommands {
  check: string[];
  fix: string[];
  rollback: string[];
  verify: string[];
}

/** A cause that fired on a host. */
export interface Finding extends FindingCommands {
  id: string;
  title: string;
  explanation: string;
  confidence: number;
  evidence: string[];
  /** Fix touches the host's own management path: run it under a dead-man timer. */
  risky?: boolean;
}

export interface HostDiagnosis {
  host: string;
  status: HostStatus;
  error?: string;
  causes: Finding[];
  elapsed_ms: number;
  /** Probes that could not run, in words ("virsh is not installed"). */
  notes?: string[];
  /** Addresses diagnosed on this host when they differ from the request's (VM names resolved here). */
  targets?: string[];
  /** When the top two are close: the check that tells them apart. */
  distinguish?: string;
  /** Where each target's packet path breaks (or that it looks intact), hop by hop, in words. */
  paths?: string[];
  bundle?: EvidenceBundle;
}

export interface SimilarIncident {
  incident: number;
  cause: string;
  host: string;
  score: number;
}

/** The JSON object of CONTRACT.md (`bundle` is dropped from its printed form). */
export interface DiagnosisResult {
  incident: number;
  request: { hosts: string[]; symptom: string; targets: string[]; language: Language };
  hosts: HostDiagnosis[];
  similar_incidents: SimilarIncident[];
}

/** Progress while a diagnosis runs, for "Checking kvm01: 14 probes…" style updates. */
export type ProgressEvent =
  | { type: "connecting"; host: string }
  | { type: "collecting"; host: string; total: number; done: number }
  | { type: "evaluating"; host: string }
  | { type: "host_done"; host: string; status: HostStatus };
