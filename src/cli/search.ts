import { loadConfig } from "../config.js";
import { type SearchHit, searchIncidents } from "../search/index.js";
import { openDatabase } from "../store/db.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage: hostmedic search QUERY... [--json] [--limit N]

Past incidents, best match first: symptom, hosts, causes (ids and titles in English and Chinese),
notes and resolution. Chinese works too ("大包不通", "网桥").

  --json      print the hits as a JSON array
  --limit N   at most N hits (default 10, at most 100)`;

function line(h: SearchHit): string {
  const causes = h.causes.length ? h.causes.slice(0, 3).join(",") : "-";
  return [
    `#${h.incident}  ${h.score.toFixed(2)}  ${h.status.padEnd(9)}  ${h.created_at.slice(0, 16).replace("T", " ")}  ${h.hosts.join(",") || "-"}  ${causes}`,
    `    ${h.symptom || "(no symptom)"}`,
    ...(h.snippet && h.snippet !== h.symptom.slice(0, 120)
      ? [`    … ${h.snippet.replace(/\s+/g, " ")}`]
      : []),
  ].join("\n");
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(USAGE);
    return EXIT.ok;
  }
  let json = false;
  let limit = 10;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--limit") {
      const v = argv[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100) {
        io.err(`hostmedic search: --limit needs a number from 1 to 100\n\n${USAGE}`);
        return EXIT.usage;
      }
      limit = Number(v);
    } else if (a.startsWith("--")) {
      io.err(`hostmedic search: unknown option ${a}\n\n${USAGE}`);
      return EXIT.usage;
    } else words.push(a);
  }
  const query = words.join(" ").trim();
  if (!query) {
    io.err(`hostmedic search: what should I look for?\n\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const db = openDatabase(config.db);
  try {
    const hits = searchIncidents(db, query, { limit });
    if (json) io.out(JSON.stringify(hits, null, 2));
    else if (hits.length === 0) io.out(`no past incident matches "${query}"`);
    else io.out(hits.map(line).join("\n"));
    return EXIT.ok;
  } finally {
    db.close();
  }
}
