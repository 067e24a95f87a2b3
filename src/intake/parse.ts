import { type Language, SYMPTOM_CATEGORIES, type SymptomCategory } from "../diagnosis/types.js";
import { isIPv4 } from "../probes/util.js";
import {
  CATEGORY_PATTERNS,
  CLAUSE_SPLIT,
  COMMON_WORDS,
  GUEST_WORD,
  HOST_WORD_EN,
  HOST_WORD_ZH,
  HOSTNAME_LIKE,
  NEGATIVE,
  POSITIVE,
  ZH_NON_HOST,
} from "./keywords.js";

export interface InventoryNames {
  hosts: string[];
  groups: string[];
}

/** What intake makes of a message: the request before the diagnosis runs. */
export interface ParsedRequest {
  /** Inventory hosts and groups named in the text, in inventory spelling, in order of mention. */
  hosts: string[];
  /** IPv4 addresses named in the text (validated). */
  targets: string[];
  /** The text without the leading host names. */
  symptom: string;
  language: Language;
  categories: SymptomCategory[];
  /** VM names mentioned ("vm web01"); virsh facts resolve them to interfaces. */
  vmNames: string[];
  /** Words that look like a host name but are not in the inventory ("kvm1" when kvm01 exists). */
  unknownHostLike?: string[];
}

/** Categories that say where traffic fails to go: a clause saying they work does not count. */
const REACH: ReadonlySet<SymptomCategory> = new Set([
  "host_guest",
  "guest_guest",
  "guest_lan",
  "guest_outside",
]);

/** Characters of a message that intake reads (the symptom is stored whole by the caller). */
export const MAX_TEXT = 2000;

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const IPV4 = /(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.]|\/\d)/g;
const TOKEN = /[A-Za-z0-9_][A-Za-z0-9_.-]*/g;

interface Token {
  word: string;
  start: number;
  end: number;
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const word = m[0].replace(/[.-]+$/, "");
    if (word) out.push({ word, start: m.index, end: m.index + word.length });
  }
  return out;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

const letters = (s: string) => /^[a-z]*/i.exec(s)![0].toLowerCase();

/** Inventory names close to `word` (same leading letters, edit distance ≤ 2), best first. */
export function suggestNames(word: string, names: string[]): string[] {
  const w = word.toLowerCase();
  return names
    .map((n) => ({ n, d: editDistance(w, n.toLowerCase()) }))
    .filter(({ n, d }) => d <= 2 && (letters(n) === letters(w) || d <= 1 || n.toLowerCase().startsWith(w)))
    .sort((a, b) => a.d - b.d)
    .map(({ n }) => n);
}

function findHosts(text: string, toks: Token[], inv: InventoryNames) {
  const hostMap = new Map(inv.hosts.map((h) => [h.toLowerCase(), h]));
  const groupMap = new Map(inv.groups.map((g) => [g.toLowerCase(), g]));
  const hosts: string[] = [];
  const unknown: string[] = [];
  const vmNames: string[] = [];
  const all = [...inv.hosts, ...inv.groups];
  for (const t of toks) {
    const lower = t.word.toLowerCase();
    const before = text.slice(Math.max(0, t.start - 16), t.start);
    const after = text.slice(t.end, t.end + 2);
    const afterGuestWord =
      /(\b(vm|guest|domain|instance|virtual machine)\s*[:#]?\s*|(虚拟机|虚机|云主机|客户机)\s*)$/i.test(
        before,
      );
    if (hostMap.has(lower)) {
      hosts.push(hostMap.get(lower)!);
      continue;
    }
    if (groupMap.has(lower)) {
      const explicit =
        !COMMON_WORDS.has(lower) ||
        /(\bgroup\s*|组\s*)$/i.test(before) ||
        /^\s*[:：]/.test(after) ||
        text.trim().toLowerCase() === lower;
      if (explicit) hosts.push(groupMap.get(lower)!);
      continue;
    }
    if (isIPv4(t.word) || /^\d/.test(t.word)) continue;
    if (afterGuestWord || /^(vm|guest|domain|instance)[-_]?\d+$/i.test(t.word)) {
      if (/\d|[-_]/.test(t.word)) vmNames.push(t.word);
      continue;
    }
    if (!HOSTNAME_LIKE.test(t.word)) continue;
    const namedAsHost =
      /(\b(host|hypervisor|server|node|on|at)\s*[:#]?\s*|宿主机|物理机|主机|在)$/i.test(before) ||
      (t.start === text.search(/\S/) && /^\s*[:：]/.test(after));
    if (namedAsHost || suggestNames(t.word, all).length > 0) unknown.push(t.word);
  }
  return { hosts: uniq(hosts), unknown: uniq(unknown), vmNames: uniq(vmNames) };
}

const GUEST_TERM = "(vms?|guests?|virtual machines?|domains?|instances?|虚拟机|虚机|客户机|云主机)";
const AND = String.raw`\s*(和|与|跟|同|及|and|&|<->|<-+>|-+)\s*(the\s+|its\s+|their\s+)?`;
const HOST_AND_GUEST_AFTER = new RegExp(`^${AND}${GUEST_TERM}`, "i");
const HOST_AND_GUEST_BEFORE = new RegExp(`${GUEST_TERM}${AND}$`, "i");

/** Removes uses of a host word that name or place a host rather than talk about reaching it. */
function hostWordUse(clause: string, hostNames: Set<string>): "none" | "locative" | "reach" {
  const c = clause.replace(ZH_NON_HOST, " ");
  let locative = false;
  let reach = false;
  for (const re of [HOST_WORD_EN, HOST_WORD_ZH]) {
    for (const m of c.matchAll(re)) {
      const before = c.slice(0, m.index);
      const after = c.slice(m.index + m[0].length);
      const next = /^\s*[:#]?\s*([A-Za-z0-9_][A-Za-z0-9_.-]*)/.exec(after)?.[1];
      const prev = /([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*$/.exec(before)?.[1];
      const isName = (w?: string) => !!w && (hostNames.has(w.toLowerCase()) || HOSTNAME_LIKE.test(w));
      // "host and vm", "宿主机和虚拟机", "虚拟机与宿主机": the two ends of the failing traffic, even
      // when a host name stands before it ("kvm01 宿主机和虚拟机网络不通").
      if (HOST_AND_GUEST_AFTER.test(after) || HOST_AND_GUEST_BEFORE.test(before)) {
        reach = true;
        continue;
      }
      // "its own hypervisor kvm01": the guest's host, named, as the end it cannot reach.
      if (/\b(its|their)\s+(own\s+)?$/.test(before)) {
        reach = true;
        continue;
      }
      if (isName(next) || isName(prev)) continue; // "host kvm01", "kvm01 host": a name, not a place
      if (
        /\b(on|in|inside|at|under|of|beyond|past|outside of|further than)\s+(the|this|that|my|our|a|each|every|its)?\s*$/.test(
          before,
        ) ||
        /在\s*$/.test(before) ||
        /^\s*(上的|上面的|里的|中的|下的)/.test(after)
      )
        locative = true;
      else reach = true;
    }
  }
  if (!reach) reach = [...hostNames].some((name) => hostNameReaches(name).test(c));
  return reach ? "reach" : locative ? "locative" : "none";
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An inventory host as the one that cannot reach: "from kvm01", "kvm01 cannot ping", "从kvm01 ping". */
function hostNameReaches(name: string): RegExp {
  const n = escapeRe(name);
  return new RegExp(
    `\\bfrom\\s+(the\\s+)?(host\\s+)?${n}\\b|(?<!\\b(on|in|at|inside|of)\\s+(the\\s+)?(host\\s+)?)\\b${n}\\s+((host|hypervisor|server|node)\\s+)?((can'?t|cannot|can not|could not|couldn'?t|fails? to|failed to|is unable to|unable to|can no longer)\\s+(ping|reach|ssh|connect|talk|access|get to)|lost (contact|connection|connectivity) (with|to))\\b|(从|在)\\s*${n}\\s*上?\\s*(ping|访问|连接|连不|ssh)`,
  );
}

function isWorking(clause: string): boolean {
  // "no problem" / "没问题" say that it works, although they contain a negation.
  const c = clause.replace(/no problems?|no issues?|没问题|没有问题|没毛病/g, " ok ");
  return POSITIVE.test(c) && !NEGATIVE.test(c);
}

/**
 * "X except Y": after a failure ("reaches nothing except the host") Y works; otherwise ("talks to
 * everything on the LAN except its hypervisor") X works and Y fails. Rewritten as two clauses.
 */
function splitExcept(lower: string): string {
  return lower.replace(/\b(except|apart from)(\s+for)?\b/g, (_m, _w, _f, at: number) => {
    const before =
      lower
        .slice(0, at)
        .split(CLAUSE_SPLIT)
        .filter((c) => typeof c === "string")
        .at(-1) ?? "";
    return NEGATIVE.test(before) ? ", but it works with" : "works, but not";
  });
}

function findCategories(text: string, hostNames: Set<string>): SymptomCategory[] {
  const lower = splitExcept(text.toLowerCase());
  const clauses = lower
    .split(CLAUSE_SPLIT)
    .filter((c): c is string => typeof c === "string" && c.trim() !== "");
  const found = new Set<SymptomCategory>();
  const hasGuest = GUEST_WORD.test(lower);
  let hostUse: "none" | "locative" | "reach" = "none";
  for (const clause of clauses) {
    const working = isWorking(clause);
    for (const cat of SYMPTOM_CATEGORIES) {
      if (working && REACH.has(cat)) continue;
      if (CATEGORY_PATTERNS[cat].some((re) => re.test(clause))) found.add(cat);
    }
    if (!working) {
      const use = hostWordUse(clause, hostNames);
      if (use === "reach" || (use === "locative" && hostUse === "none")) hostUse = use;
    }
  }
  // The whole text, for patterns that span a comma ("from the host, the vm is unreachable").
  // Kinds of trouble (large packets, after start, ...) count wherever they are said; where the
  // traffic fails only when no clause says that something works.
  const anyWorking = clauses.some(isWorking);
  const whole = lower.replace(/\n/g, " ");
  for (const cat of SYMPTOM_CATEGORIES)
    if ((!anyWorking || !REACH.has(cat)) && CATEGORY_PATTERNS[cat].some((re) => re.test(whole)))
      found.add(cat);
  // Two guests named as such with two addresses ("vm A cannot reach vm B", "A 和 B 之间不通").
  const addresses = new Set(lower.match(/(?<![\d.])\d{1,3}(\.\d{1,3}){3}(?![\d.])/g) ?? []);
  const guestWords = lower.match(new RegExp(GUEST_WORD.source, "g"))?.length ?? 0;
  if (
    addresses.size >= 2 &&
    (guestWords >= 2 || (guestWords >= 1 && /\bbetween\b|之间|互相|相互/.test(lower))) &&
    !clauses.every(isWorking)
  )
    found.add("guest_guest");
  const otherReach = found.has("guest_guest") || found.has("guest_lan") || found.has("guest_outside");
  // A bare address the host fails to reach is most likely a guest's ("kvm01 cannot ping 198.51.100.10").
  const guestish = hasGuest || (!otherReach && /(?<![\d.])\d{1,3}(\.\d{1,3}){3}(?![\d.])/.test(lower));
  if (guestish && hostUse !== "none") {
    // "the vm on the host cannot reach the internet": the host is only where the vm lives.
    if (hostUse === "reach" || !otherReach) found.add("host_guest");
  }
  return SYMPTOM_CATEGORIES.filter((c) => found.has(c));
}

/** Leading host/group names and separators go; what remains is the symptom. */
function symptomText(text: string, names: Set<string>): string {
  let s = text.replace(/^\s*<@[A-Z0-9]+(\|[^>]*)?>\s*/, "");
  for (;;) {
    const m = /^\s*([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*[:：,，]?\s*/.exec(s);
    if (!m || !names.has(m[1]!.replace(/[.-]+$/, "").toLowerCase())) break;
    s = s.slice(m[0].length);
  }
  return s.replace(/\s+/g, " ").trim();
}

/** Message text (English or Chinese) → hosts, targets, symptom categories. Pure. */
export function parseRequest(text: string, inventory: InventoryNames): ParsedRequest {
  // A symptom is said in a few sentences; a pasted log must not make the patterns crawl.
  const norm = text.slice(0, MAX_TEXT).normalize("NFKC");
  const toks = tokens(norm);
  const { hosts, unknown, vmNames } = findHosts(norm, toks, inventory);
  const names = new Set([...inventory.hosts, ...inventory.groups].map((n) => n.toLowerCase()));
  const targets = uniq([...norm.matchAll(IPV4)].map((m) => m[1]!).filter(isIPv4));
  const result: ParsedRequest = {
    hosts,
    targets,
    symptom: symptomText(text.length > MAX_TEXT ? text.normalize("NFKC") : norm, names),
    language: CJK.test(norm) ? "zh" : "en",
    categories: findCategories(norm, names),
    vmNames,
  };
  if (unknown.length > 0) result.unknownHostLike = unknown;
  return result;
}
