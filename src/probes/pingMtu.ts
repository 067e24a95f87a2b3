import type { PingResult } from "../facts/types.js";
import { parsePing, pingScript } from "./ping.js";
import type { Probe } from "./types.js";

const ID = "pingMtu";
const SIZE = 1472; // 1500 - 20 (IP) - 8 (ICMP): a full-size frame with DF set

export const pingMtu: Probe<PingResult[]> = {
  id: ID,
  command: (ctx) => pingScript(ctx, `-M do -s ${SIZE} -c 2 -W 1`),
  timeoutMs: 30_000,
  root: false,
  active: true,
  tool: "ping",
  parse: (stdout) => parsePing(stdout, ID, SIZE),
};
