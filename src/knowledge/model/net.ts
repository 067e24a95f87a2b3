/** IPv4 arithmetic for the host model: enough for prefix membership and longest-prefix match. */

// Rules and firewall scans compare the same few addresses many times: parse each string once.
const ipCache = new Map<string, number | null>();
const prefixCache = new Map<string, Prefix | null>();
const CACHE_MAX = 4096;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, value);
  return value;
}

export function ipToInt(ip: string): number | null {
  const hit = ipCache.get(ip);
  if (hit !== undefined) return hit;
  return remember(ipCache, ip, ipToIntUncached(ip));
}

function ipToIntUncached(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export interface Prefix {
  base: number;
  len: number;
}

/** "a.b.c.d/n", a bare address (/32) or "default" (/0). */
export function parsePrefix(text: string): Prefix | null {
  const hit = prefixCache.get(text);
  if (hit !== undefined) return hit;
  return remember(prefixCache, text, parsePrefixUncached(text));
}

function parsePrefixUncached(text: string): Prefix | null {
  if (text === "default") return { base: 0, len: 0 };
  const [addr, lenText] = text.split("/");
  const ip = ipToInt(addr ?? "");
  if (ip === null) return null;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) return null;
  return { base: maskOf(ip, len), len };
}

function maskOf(ip: number, len: number): number {
  if (len === 0) return 0;
  const size = 2 ** (32 - len);
  return Math.floor(ip / size) * size;
}

export function inPrefix(ip: string, prefix: Prefix | string): boolean {
  const p = typeof prefix === "string" ? parsePrefix(prefix) : prefix;
  const n = ipToInt(ip);
  if (!p || n === null) return false;
  return maskOf(n, p.len) === p.base;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The network of an address with a prefix length: ("198.51.100.1", 24) → "198.51.100.0/24". */
export function networkOf(ip: string, len: number): string {
  const n = ipToInt(ip);
  return n === null ? "" : `${intToIp(maskOf(n, len))}/${len}`;
}

/** a is inside b (a's prefix at least as long, same network). */
export function prefixWithin(a: string, b: string): boolean {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (!pa || !pb || pa.len < pb.len) return false;
  return maskOf(pa.base, pb.len) === pb.base;
}

export function overlaps(a: string, b: string): boolean {
  return prefixWithin(a, b) || prefixWithin(b, a);
}

/** The part of a MAC after the first byte, lower case: libvirt taps carry the guest MAC with byte 0 = fe/fa. */
export function macTail(mac: string | undefined): string {
  return mac ? mac.toLowerCase().slice(2) : "";
}
