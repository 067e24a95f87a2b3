import type { Probe } from "../../src/probes/types.js";

/** A small real probe for collector and transport tests: it only runs `command`, parsing is elsewhere. */
export function commandProbe(id: string, command: string, extra: Partial<Probe> = {}): Probe {
  return {
    id,
    command: () => command,
    timeoutMs: 5_000,
    root: false,
    tool: command.split(" ")[0]!,
    parse: (s) => s,
    ...extra,
  };
}
