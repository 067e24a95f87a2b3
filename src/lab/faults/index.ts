import type { Fault } from "./types.js";

export type { Fault } from "./types.js";

const all: Fault[] = [];

/** Every reproducible cause, by cause id. */
export const faults: Map<string, Fault> = new Map(all.map((f) => [f.id, f]));
