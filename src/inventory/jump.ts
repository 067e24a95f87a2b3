import { shellWords } from "./words.js";

/** A jump host as written in the ssh arguments, before inventory lookup. */
export interface JumpSpec {
  host: string;
  port?: number;
  user?: string;
  keyFile?: string;
}

/**
 * Finds the jump host in ansible_ssh_common_args / ansible_ssh_extra_args: `-J [user@]host[:port]`,
 * `-o ProxyJump=...` (or `-o "ProxyJump ..."`), and the classic `-o ProxyCommand="ssh -W %h:%p ... host"`.
 * Returns undefined when there is none; throws with a readable problem on what it cannot follow.
 */
export function parseJump(args: string): JumpSpec | undefined {
  const words = shellWords(args);
  let found: JumpSpec | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let spec: JumpSpec | undefined | null = null;
    if (w === "-J") spec = parseJumpSpec(need(words, ++i, "-J"));
    else if (w.startsWith("-J")) spec = parseJumpSpec(w.slice(2));
    else if (w === "-o" || w.startsWith("-o")) {
      const opt = w === "-o" ? need(words, ++i, "-o") : w.slice(2);
      const m = /^\s*(\w+)\s*(?:=|\s)\s*(.*)$/s.exec(opt);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      if (key === "proxyjump") spec = parseJumpSpec(m[2]!.trim());
      else if (key === "proxycommand") spec = parseProxyCommand(m[2]!.trim());
    }
    if (spec !== null) found = spec;
  }
  return found;
}

function need(words: string[], i: number, flag: string): string {
  const w = words[i];
  if (w === undefined) throw new Error(`${flag} needs a value`);
  return w;
}

/** `[user@]host[:port]`, `ssh://[user@]host[:port]`, `[v6addr]:port`; `none` means no jump. */
export function parseJumpSpec(text: string): JumpSpec | undefined {
  if (text === "" || text.toLowerCase() === "none") return undefined;
  if (text.includes(",")) throw new Error(`only one jump host is supported, got "${text}"`);
  let rest = text.replace(/^ssh:\/\//, "");
  let user: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if (rest.split(":").length === 2) {
    [host, portText] = rest.split(":") as [string, string];
  }
  if (!/^[A-Za-z0-9_.:-]+$/.test(host)) throw new Error(`bad jump host "${text}"`);
  if (user !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/.test(user)) {
    throw new Error(`bad user in jump host "${text}"`);
  }
  const spec: JumpSpec = { host };
  if (user !== undefined) spec.user = user;
  if (portText !== undefined) spec.port = parsePort(portText, `jump host "${text}"`);
  return spec;
}

/** Only the `ssh -W %h:%p ... [user@]host` shape is understood; anything else cannot be followed safely. */
function parseProxyCommand(command: string): JumpSpec | undefined {
  if (command.toLowerCase() === "none") return undefined;
  const words = shellWords(command);
  const unsupported = new Error(
    `ProxyCommand "${command}" is not supported; use ProxyJump (-J user@bastion:port) instead`,
  );
  if (!words[0] || !/(^|\/)ssh$/.test(words[0])) throw unsupported;
  let spec: JumpSpec | undefined;
  let port: number | undefined;
  let user: string | undefined;
  let keyFile: string | undefined;
  let sawW = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-W") {
      sawW = need(words, ++i, "-W") === "%h:%p";
    } else if (w === "-p") port = parsePort(need(words, ++i, "-p"), "ProxyCommand");
    else if (w === "-l") user = need(words, ++i, "-l");
    else if (w === "-i") keyFile = need(words, ++i, "-i");
    else if (w === "-o") i++;
    else if (/^-[qvTNnCA46]+$/.test(w)) continue;
    else if (w.startsWith("-")) throw unsupported;
    else if (spec) throw unsupported;
    else spec = parseJumpSpec(w);
  }
  if (!sawW || !spec) throw unsupported;
  if (port !== undefined) spec.port = port;
  if (user !== undefined && spec.user === undefined) spec.user = user;
  if (keyFile !== undefined) spec.keyFile = keyFile;
  return spec;
}

export function parsePort(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${what}: port '${text}' is not a number`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`${what}: port ${n} is out of range (1-65535)`);
  return n;
}
