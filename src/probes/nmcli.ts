import type { NmDeviceFact } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";

const ID = "nmcli";

/** Splits a terse nmcli line on ':' that is not escaped as '\:' and unescapes the fields. */
export function terseFields(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ":") {
      fields.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields;
}

/** `nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device`: `br0:bridge:connected:br0` per line. */
export function parseNmcli(stdout: string): NmDeviceFact[] {
  const out: NmDeviceFact[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const f = terseFields(line);
    if (f.length !== 4 || f[0] === "")
      throw new ParseError(ID, `${ID}: unexpected line "${line.slice(0, 60)}"`);
    out.push({ device: f[0]!, type: f[1]!, state: f[2]!, connection: f[3] === "--" ? "" : f[3]! });
  }
  return out;
}

export const nmcli: Probe<NmDeviceFact[]> = {
  id: ID,
  command: () => "nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device",
  timeoutMs: 10_000,
  root: false,
  tool: "nmcli",
  parse: (stdout) => parseNmcli(stdout),
};
