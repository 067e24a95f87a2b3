import { userInfo } from "node:os";
import { loadConfig } from "../config.js";
import { loadCauseTitles } from "../diagnosis/titles.js";
import { CAUSE_IDS } from "../knowledge/causes.js";
import { FeedbackError } from "../store/cases.js";
import { openDatabase } from "../store/db.js";
import type { IncidentDetail, IncidentSummary } from "../store/incidents.js";
import { repositories } from "../store/repositories.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage: hostmedic incident show ID [--json]
       hostmedic incident list [--open] [--limit N] [--json]
       hostmedic incident confirm ID CAUSE [--note TEXT]
       hostmedic incident reject ID CAUSE [--note TEXT]
       hostmedic incident note ID TEXT...

confirm: CAUSE was the root cause; the incident becomes a resolved case that ranks CAUSE higher
in later diagnoses of the same host, group and symptom. reject: it was not. note: free text,
found by search. Feedback is recorded as cli:<your login name>.`;

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

function showText(d: IncidentDetail): string {
  const i = d.incident;
  const out = [
    `incident #${i.id}  ${i.status}  ${i.created_at}  by ${i.requested_by} (${i.source})`,
    `  hosts: ${i.hosts.join(", ") || "-"}   targets: ${i.targets.join(", ") || "-"}   categories: ${i.categories.join(", ") || "-"}`,
    `  symptom: ${i.symptom || "-"}`,
  ];
  if (i.resolution) out.push(`  resolution: ${i.resolution}`);
  for (const dg of d.diagnoses) {
    out.push(`  == ${dg.host}: ${dg.status}${dg.error ? ` — ${dg.error}` : ""} (${dg.elapsed_ms} ms)`);
    for (const f of dg.findings)
      out.push(`     ${f.rank}. [${Math.round(f.confidence * 100)}%] ${f.cause} — ${f.title}`);
    for (const n of dg.notes) out.push(`     not collected: ${n}`);
    for (const e of dg.evidence) out.push(`     evidence bundle sha256 ${e.sha256}`);
  }
  for (const c of d.cases)
    out.push(`  ${c.verdict}: ${c.cause} on ${c.host} by ${c.decided_by}${c.note ? ` (${c.note})` : ""}`);
  for (const n of d.notes) out.push(`  note by ${n.author} at ${n.created_at}: ${n.text}`);
  return out.join("\n");
}

function listText(rows: IncidentSummary[]): string {
  if (rows.length === 0) return "no incidents";
  return rows
    .map(
      (r) =>
        `#${r.id}  ${r.status.padEnd(9)}  ${r.created_at.slice(0, 16).replace("T", " ")}  ${r.hosts.join(",") || "-"}  ${r.causes.slice(0, 3).join(",") || "-"}  ${r.symptom}`,
    )
    .join("\n");
}

function incidentId(v: string | undefined): number | undefined {
  return v && /^#?\d{1,12}$/.test(v) ? Number(v.replace("#", "")) : undefined;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const usage = (msg: string) => {
    io.err(`hostmedic incident: ${msg}\n\n${USAGE}`);
    return EXIT.usage;
  };
  const json = argv.includes("--json");
  const openOnly = argv.includes("--open");
  let note: string | undefined;
  let limit = 20;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json" || a === "--open") continue;
    if (a === "--note") {
      note = argv[++i];
      if (!note) return usage("--note needs TEXT");
    } else if (a === "--limit") {
      const v = argv[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000)
        return usage("--limit needs a number from 1 to 1000");
      limit = Number(v);
    } else if (a.startsWith("--")) return usage(`unknown option ${a}`);
    else rest.push(a);
  }
  const [sub, idArg, ...more] = rest;
  if (!sub) return usage("say what to do: show, list, confirm, reject or note");
  if (!["show", "list", "confirm", "reject", "note"].includes(sub))
    return usage(`unknown subcommand "${sub}"`);
  const id = incidentId(idArg);
  if (sub !== "list" && id === undefined) return usage(`${sub} needs an incident number`);
  if ((sub === "confirm" || sub === "reject") && more.length !== 1)
    return usage(`${sub} needs ID and one CAUSE id`);
  if (sub === "note" && more.join(" ").trim() === "") return usage("note needs ID and some TEXT");
  if (sub === "list" && idArg !== undefined) return usage(`list takes no argument "${idArg}"`);

  const config = loadConfig();
  const db = openDatabase(config.db);
  try {
    const repos = repositories(db, loadCauseTitles(config.rulesDir));
    switch (sub) {
      case "list": {
        const rows = openOnly ? repos.incidents.open(limit) : repos.incidents.recent(limit);
        io.out(json ? JSON.stringify(rows, null, 2) : listText(rows));
        return EXIT.ok;
      }
      case "show": {
        const d = repos.incidents.detail(id!);
        if (!d) {
          io.err(`hostmedic incident: there is no incident #${id}`);
          return EXIT.failure;
        }
        io.out(json ? JSON.stringify(d, null, 2) : showText(d));
        return EXIT.ok;
      }
      case "confirm":
      case "reject": {
        const cause = more[0]!;
        if (!(CAUSE_IDS as readonly string[]).includes(cause)) {
          const fired = repos.incidents.causes(id!);
          io.err(
            `hostmedic incident: "${cause}" is not a known cause id${fired.length ? `; causes found in incident #${id}: ${fired.join(", ")}` : ""}`,
          );
          return EXIT.usage;
        }
        const n =
          sub === "confirm"
            ? repos.cases.confirm(id!, cause, who(), note)
            : repos.cases.reject(id!, cause, who(), note);
        io.out(
          `incident #${id}: ${cause} ${sub === "confirm" ? "confirmed; the incident is resolved" : "rejected"} (${n} host${n === 1 ? "" : "s"})`,
        );
        return EXIT.ok;
      }
      default: {
        repos.cases.note(id!, more.join(" "), who());
        io.out(`incident #${id}: note saved`);
        return EXIT.ok;
      }
    }
  } catch (err) {
    if (err instanceof FeedbackError) {
      io.err(`hostmedic incident: ${err.message}`);
      return EXIT.failure;
    }
    throw err;
  } finally {
    db.close();
  }
}
