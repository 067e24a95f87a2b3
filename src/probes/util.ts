/**
 * Small helpers the probe parsers share: reading JSON without trusting its shape, and the strict
 * patterns every value must pass before it is placed in a command.
 */
import { ParseError } from "./types.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON.parse that turns every failure into a ParseError a user can read. */
export function parseJson(probe: string, text: string): Json {
  const trimmed = text.trim();
  if (trimmed === "") throw new ParseError(probe, `${probe}: empty output`);
  try {
    return JSON.parse(trimmed) as Json;
  } catch {
    throw new ParseError(probe, `${probe}: output is not JSON (truncated?)`);
  }
}

/**
 * The iproute2 `-j` dumps: a JSON array of objects. `{}` entries (what `type X` filters print for
 * non-matching links, §0.2 trap 1) are kept for the caller to drop; anything but objects is garbage.
 * `emptyOk`: empty output is a legitimate "nothing" (no neighbours, no fdb entries).
 */
export function jsonObjects(probe: string, text: string, emptyOk = false): JsonObject[] {
  if (emptyOk && text.trim() === "") return [];
  const data = parseJson(probe, text);
  if (!Array.isArray(data)) throw new ParseError(probe, `${probe}: expected a JSON array`);
  for (const item of data) {
    if (!isObject(item)) throw new ParseError(probe, `${probe}: expected an array of objects`);
  }
  return data as JsonObject[];
}

export function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: Json | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function bool(v: Json | undefined): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

export function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function obj(v: Json | undefined): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function isIPv4(v: string): boolean {
  return IPV4.test(v);
}

export function isIfname(v: string): boolean {
  return IFNAME.test(v);
}

/** Targets are placed in shell commands: refuse anything that is not a dotted-quad IPv4 address. */
export function checkTargets(targets: readonly string[]): string[] {
  for (const t of targets) {
    if (typeof t !== "string" || !isIPv4(t)) {
      throw new Error(`refusing target ${JSON.stringify(t)}: not an IPv4 address`);
    }
  }
  return [...targets];
}

/**
 * Splits the output of a multi-part script into sections by `### name` marker lines. Text before
 * the first marker is returned under the key "".
 */
export function sections(text: string, marker = "### "): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  let current: { name: string; lines: string[] } = { name: "", lines: [] };
  const flush = () => {
    if (current.name !== "" || current.lines.some((l) => l.trim() !== "")) {
      out.push({ name: current.name, body: current.lines.join("\n") });
    }
  };
  for (const line of text.split("\n")) {
    if (line.startsWith(marker)) {
      flush();
      current = { name: line.slice(marker.length).trim(), lines: [] };
    } else {
      current.lines.push(line);
    }
  }
  flush();
  return out;
}

/** `command -v` guard so a missing tool still ends the whole script with exit 127. */
export function requireTool(tool: string): string {
  return `command -v ${tool} >/dev/null 2>&1 || exit 127`;
}
