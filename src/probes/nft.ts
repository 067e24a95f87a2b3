import type { NftChain, NftFacts, NftRule } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { isObject, type Json, type JsonObject, num, obj, parseJson, str } from "./util.js";

const ID = "nft";

const VERDICTS = [
  "accept",
  "drop",
  "reject",
  "return",
  "continue",
  "queue",
  "masquerade",
  "snat",
  "dnat",
  "redirect",
];

function renderValue(v: Json | undefined): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `{ ${v.map(renderValue).join(", ")} }`;
  const prefix = obj(v.prefix);
  if (prefix) return `${renderValue(prefix.addr)}/${renderValue(prefix.len)}`;
  const range = v.range;
  if (Array.isArray(range)) return `${renderValue(range[0])}-${renderValue(range[1])}`;
  if (v.set !== undefined) return renderValue(v.set);
  const meta = obj(v.meta);
  if (meta) return String(meta.key ?? "meta");
  const payload = obj(v.payload);
  if (payload) return `${str(payload.protocol) ?? "payload"} ${str(payload.field) ?? ""}`.trim();
  const ct = obj(v.ct);
  if (ct) return `ct ${str(ct.key) ?? ""}`.trim();
  const key = Object.keys(v)[0];
  return key ?? "";
}

function applyMatch(rule: NftRule, m: JsonObject): string {
  const op = str(m.op) ?? "==";
  const left = obj(m.left);
  const right = renderValue(m.right);
  const value = op === "!=" ? `!${right}` : right;
  const metaKey = str(obj(left?.meta)?.key);
  const field = str(obj(left?.payload)?.field);
  if (metaKey === "iifname") rule.iifname = value;
  else if (metaKey === "oifname") rule.oifname = value;
  else if (field === "saddr" && str(obj(left?.payload)?.protocol) === "ip") rule.saddr = value;
  else if (field === "daddr" && str(obj(left?.payload)?.protocol) === "ip") rule.daddr = value;
  return `${renderValue(m.left)} ${op === "==" ? "" : `${op} `}${right}`;
}

function ruleFrom(o: JsonObject): NftRule {
  const family = str(o.family);
  const table = str(o.table);
  const chain = str(o.chain);
  const handle = num(o.handle);
  if (family === undefined || table === undefined || chain === undefined || handle === undefined) {
    throw new ParseError(ID, `${ID}: rule without family/table/chain/handle`);
  }
  const rule: NftRule = { family, table, chain, handle, text: "" };
  const parts: string[] = [];
  const exprs = Array.isArray(o.expr) ? o.expr : [];
  for (const e of exprs) {
    if (!isObject(e)) continue;
    const key = Object.keys(e)[0];
    if (key === undefined) continue;
    const body = e[key];
    if (key === "match" && isObject(body)) {
      parts.push(applyMatch(rule, body));
    } else if (key === "counter" && isObject(body)) {
      const packets = num(body.packets);
      if (packets !== undefined) rule.packets = packets;
      parts.push(`counter packets ${packets ?? 0} bytes ${num(body.bytes) ?? 0}`);
    } else if ((key === "jump" || key === "goto") && isObject(body)) {
      rule.verdict = key;
      const target = str(body.target);
      if (target !== undefined) rule.jumpTarget = target;
      parts.push(`${key} ${target ?? ""}`.trim());
    } else if (key === "xt" && isObject(body)) {
      // iptables-nft extensions appear as xt blobs (§0.2 trap 8): the target name is the verdict.
      const name = str(body.name) ?? "xt";
      if (str(body.type) === "target") rule.verdict = name;
      parts.push(`xt ${str(body.type) ?? ""} ${name}`.replace(/\s+/g, " "));
    } else if (VERDICTS.includes(key)) {
      rule.verdict = key;
      const addr = isObject(body) ? renderValue(body.addr) : "";
      parts.push(addr ? `${key} to ${addr}` : key);
    } else {
      parts.push(key);
    }
  }
  const comment = str(o.comment);
  if (comment !== undefined) {
    rule.comment = comment;
    parts.push(`comment "${comment}"`);
  }
  rule.text = parts.join(" ");
  return rule;
}

/** `nft -j list ruleset`: tables, chains (base chains have a hook) and rules with verdicts and counters. */
export function parseNft(stdout: string): NftFacts {
  const facts: NftFacts = { tables: [], chains: [], rules: [] };
  if (stdout.trim() === "") return facts;
  const data = parseJson(ID, stdout);
  const list = isObject(data) ? data.nftables : undefined;
  if (!Array.isArray(list)) throw new ParseError(ID, `${ID}: no "nftables" array`);
  for (const item of list) {
    if (!isObject(item)) throw new ParseError(ID, `${ID}: expected objects in "nftables"`);
    const table = obj(item.table);
    const chain = obj(item.chain);
    const rule = obj(item.rule);
    if (table) {
      const family = str(table.family);
      const name = str(table.name);
      if (family !== undefined && name !== undefined) facts.tables.push({ family, name });
    } else if (chain) {
      const family = str(chain.family);
      const tableName = str(chain.table);
      const name = str(chain.name);
      if (family === undefined || tableName === undefined || name === undefined) {
        throw new ParseError(ID, `${ID}: chain without family/table/name`);
      }
      const c: NftChain = { family, table: tableName, name };
      const hook = str(chain.hook);
      if (hook !== undefined) c.hook = hook;
      const prio = num(chain.prio);
      if (prio !== undefined) c.prio = prio;
      const type = str(chain.type);
      if (type !== undefined) c.type = type;
      const policy = str(chain.policy);
      if (policy !== undefined) c.policy = policy;
      facts.chains.push(c);
    } else if (rule) {
      facts.rules.push(ruleFrom(rule));
    }
  }
  return facts;
}

export const nft: Probe<NftFacts> = {
  id: ID,
  command: () => "nft -j list ruleset",
  timeoutMs: 15_000,
  root: true,
  tool: "nft",
  parse: (stdout) => parseNft(stdout),
};
