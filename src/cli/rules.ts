import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkCoverage } from "../knowledge/coverage.js";
import { loadRules, RULES_DIR } from "../knowledge/loader.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const ROOT = join(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes("/dist/") ? "../../.." : "../..",
);

const HELP = `usage: hostmedic rules check [DIR]

Validates every rule file in DIR (default: the package's rules/): JSON syntax, schema, fact and
field names, operators, duplicate ids, template parameters, both languages, and that each cause of
the catalog has a rule tested by a lab fault or a replay bundle. Exit 0 when clean, 1 on errors.`;

async function labFaultIds(): Promise<Set<string> | null> {
  try {
    const mod = (await import("../lab/faults/index.js")) as { faults: Map<string, unknown> };
    return new Set(mod.faults.keys());
  } catch {
    return null;
  }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [sub, dirArg, ...extra] = argv;
  if (sub !== "check" || extra.length > 0) {
    io.err(HELP);
    return EXIT.usage;
  }
  const dir = dirArg ? resolve(dirArg) : RULES_DIR;
  const label = (p: string) => relative(process.cwd(), p) || p;
  const { rules, errors } = loadRules(dir, label);
  let present: string[] = [];
  try {
    present = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.replace(/\.json$/, ""));
  } catch {
    // loadRules already reported the unreadable directory.
  }
  errors.push(
    ...checkCoverage({
      rules,
      labFaults: await labFaultIds(),
      root: ROOT,
      dirLabel: label(dir),
      presentIds: new Set(present),
    }),
  );
  for (const e of errors) io.err(e.message);
  if (errors.length > 0) {
    io.err(`${errors.length} error(s) in ${label(dir)}`);
    return EXIT.failure;
  }
  io.out(`${rules.length} rules OK in ${label(dir)}`);
  return EXIT.ok;
}
