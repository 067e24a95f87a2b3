import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  line: number;
  /** `@revoked` refuses the key; `@cert-authority` lines are kept but never match (no certificates here). */
  marker?: "revoked" | "cert-authority";
  /** Comma-separated patterns (`host`, `[host]:port`, `*`, `?`, `!negated`), or a hashed name. */
  hosts: { kind: "patterns"; patterns: string[] } | { kind: "hashed"; salt: Buffer; hash: Buffer };
  /** The type named on the line (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...). */
  keyType: string;
  /** The public key blob (SSH wire format, base64-decoded). */
  key: Buffer;
}

export type HostKeyVerdict = "match" | "unknown" | "changed" | "revoked";

/** Key types ssh2 can verify; other lines are kept (a blob compares the same way) but rarely matter. */
export const SSH2_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "ssh-dss",
] as const;

/** Reads known_hosts; a missing file is an empty list (every host is then unknown). */
export function readKnownHosts(file: string): KnownHostEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return parseKnownHosts(text);
}

/** Lines OpenSSH would skip (malformed, bad base64) are skipped here too. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i]!, i + 1);
    if (entry) out.push(entry);
  }
  return out;
}

function parseLine(text: string, line: number): KnownHostEntry | undefined {
  const t = text.trim();
  if (t === "" || t.startsWith("#")) return undefined;
  const fields = t.split(/\s+/);
  let marker: KnownHostEntry["marker"];
  if (fields[0]?.startsWith("@")) {
    const m = fields.shift()!;
    if (m === "@revoked") marker = "revoked";
    else if (m === "@cert-authority") marker = "cert-authority";
    else return undefined;
  }
  const [hostField, keyType, keyB64] = fields;
  if (!hostField || !keyType || !keyB64) return undefined;
  const key = decodeBase64(keyB64);
  if (!key || blobType(key) !== keyType) return undefined;
  let hosts: KnownHostEntry["hosts"];
  if (hostField.startsWith("|1|")) {
    const [, , saltB64, hashB64, extra] = hostField.split("|");
    const salt = saltB64 ? decodeBase64(saltB64) : undefined;
    const hash = hashB64 ? decodeBase64(hashB64) : undefined;
    if (!salt || !hash || extra !== undefined || salt.length !== 20 || hash.length !== 20) return undefined;
    hosts = { kind: "hashed", salt, hash };
  } else {
    hosts = { kind: "patterns", patterns: hostField.split(",").filter((p) => p !== "") };
  }
  const entry: KnownHostEntry = { line, hosts, keyType, key };
  if (marker) entry.marker = marker;
  return entry;
}

function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const buf = Buffer.from(text, "base64");
  return buf.length > 0 ? buf : undefined;
}

/** The key type written at the start of an SSH public key blob. */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString("latin1");
}

/** The name known_hosts stores: `host` for port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Does this entry name the host? Hashed: HMAC-SHA1(salt, name). Patterns: wildcards, `!` vetoes. */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (entry.hosts.kind === "hashed") {
    const mac = createHmac("sha1", entry.hosts.salt).update(name).digest();
    return timingSafeEqual(mac, entry.hosts.hash);
  }
  let matched = false;
  for (const p of entry.hosts.patterns) {
    const negated = p.startsWith("!");
    if (wildcardMatch(negated ? p.slice(1) : p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}

/**
 * OpenSSH's verdict for the key a server showed, per name: a @revoked line with this key → revoked; a
 * plain line with this key → match; a plain line with a key of the same type but other bytes →
 * changed; otherwise unknown. Several names (the inventory name and the address) are all checked:
 * revoked or changed for any of them wins over a match for another, so a stale line is never ignored.
 */
export function checkHostKey(
  entries: KnownHostEntry[],
  host: string | string[],
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const verdicts = (Array.isArray(host) ? host : [host]).map((n) => verdictFor(entries, n, port, keyBlob));
  for (const v of ["revoked", "changed", "match"] as const) if (verdicts.includes(v)) return v;
  return "unknown";
}

function verdictFor(entries: KnownHostEntry[], name: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const type = blobType(keyBlob);
  let matched = false;
  let changed = false;
  for (const e of entries) {
    if (e.marker === "cert-authority" || !entryMatchesHost(e, name, port)) continue;
    const same = e.key.equals(keyBlob);
    if (e.marker === "revoked") {
      if (same) return "revoked";
    } else if (same) matched = true;
    else if (blobType(e.key) === type) changed = true;
  }
  if (matched) return "match";
  return changed ? "changed" : "unknown";
}

/** The key types known for this host, so the handshake can ask for one we can verify. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string | string[], port: number): string[] {
  const names = Array.isArray(host) ? host : [host];
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker) continue;
    if (!names.some((n) => entryMatchesHost(e, n, port))) continue;
    if (!types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** `SHA256:...` as `ssh-keygen -lf` and the ssh client print it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}
