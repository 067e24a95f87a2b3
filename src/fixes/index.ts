export { fm } from "./messages.js";
export {
  createFixService,
  type FixService,
  type FixServiceDeps,
  RISKY_CAUSES,
  type RunFixOutcome,
} from "./service.js";
export { normalise, recordSpecs, restoreCommands } from "./snapshot.js";
export { FixStore, listAudit } from "./store.js";
export type { AuditEvent, CommandRun, Fix, FixActor, FixResult, FixState, RecordedValue } from "./types.js";
export { TRANSITIONS } from "./types.js";
export { fixServiceFromConfig } from "./wire.js";
