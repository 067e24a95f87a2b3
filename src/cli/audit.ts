import { loadConfig } from "../config.js";
import { listAudit } from "../fixes/store.js";
import type { AuditEvent } from "../fixes/types.js";
import { openDatabase } from "../store/db.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage: hostmedic audit [--host HOST] [--since TIME] [--incident N] [--json]

The audit trail of fixes, oldest first: every click (allowed or not), approval, recorded value,
command with its output, verification and rollback. TIME is an ISO date or time
(2026-11-30, 2026-11-30T01:00Z) or an age (90m, 2h, 7d).`;

/** "2h" → two hours ago; an ISO date or time as is. Undefined when it is neither. */
export function parseSince(text: string, now: Date = new Date()): string | undefined {
  const age = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(age[1]) * unit).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(text.trim())) return undefined;
  const t = Date.parse(/[T ]/.test(text) && !/(Z|[+-]\d\d:?\d\d)$/.test(text) ? `${text}Z` : text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function summary(e: AuditEvent): string {
  const d = e.detail;
  const parts: string[] = [];
  if (typeof d.command === "string")
    parts.push(`$ ${d.command}${d.exitCode !== undefined ? ` → ${d.exitCode ?? "lost"}` : ""}`);
  if (typeof d.reason === "string") parts.push(d.reason.split("\n")[0]!.slice(0, 200));
  if (typeof d.cause === "string") parts.push(`cause ${d.cause}`);
  if (d.result && typeof d.result === "object") parts.push(`result ${JSON.stringify(d.result)}`);
  if (d.commands && typeof d.commands === "object")
    parts.push(`fix: ${((d.commands as { fix?: string[] }).fix ?? []).join("; ")}`);
  return parts.join(" · ");
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(USAGE);
    return EXIT.ok;
  }
  let host: string | undefined;
  let since: string | undefined;
  let incidentId: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--json") json = true;
      else if (a === "--host") host = value();
      else if (a === "--incident") {
        const v = value();
        if (!/^\d+$/.test(v)) throw new Error(`--incident wants a number, got "${v}"`);
        incidentId = Number(v);
      } else if (a === "--since") {
        const v = value();
        since = parseSince(v);
        if (!since) throw new Error(`--since wants an ISO date/time or an age like 2h, got "${v}"`);
      } else throw new Error(`unexpected argument "${a}"`);
    } catch (err) {
      io.err(`hostmedic audit: ${(err as Error).message}\n${USAGE}`);
      return EXIT.usage;
    }
  }
  const config = loadConfig();
  const db = openDatabase(config.db);
  try {
    const events = listAudit(db, { host, since, incidentId });
    if (json) {
      io.out(JSON.stringify(events, null, 2));
      return EXIT.ok;
    }
    if (!events.length) {
      io.out("no audit events match");
      return EXIT.ok;
    }
    for (const e of events)
      io.out(
        [
          e.at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
          e.actor,
          e.action,
          e.host ?? "-",
          e.incident_id !== null ? `#${e.incident_id}` : "-",
          e.fix_id !== null ? `fix#${e.fix_id}` : "-",
          summary(e),
        ].join("  "),
      );
    return EXIT.ok;
  } finally {
    db.close();
  }
}
