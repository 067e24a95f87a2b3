import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { loadConfig } from "../config.js";
import type { ReplySink } from "../conversation/types.js";
import { fixServiceFromConfig } from "../fixes/wire.js";
import { createLogger } from "../log.js";
import { openDatabase } from "../store/db.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage: hostmedic fix INCIDENT CAUSE [--host HOST] [--yes]

Runs the fix hostmedic proposed for CAUSE in incident INCIDENT, as the operator at this terminal:
records the values it changes, runs the commands over SSH, diagnoses again and keeps the fix only
when the cause is gone (otherwise it is rolled back). Asks for confirmation unless --yes.
Every step is in the audit trail (hostmedic audit). Exit 0 when the fix was verified, 1 otherwise.`;

function localUser(): string {
  try {
    return userInfo().username || "cli";
  } catch {
    return "cli";
  }
}

async function ask(input: Readable, io: CliIo, question: string): Promise<boolean> {
  io.out(question);
  const rl = createInterface({ input, terminal: false });
  try {
    const line = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return /^(y|yes)$/i.test(line.trim());
  } finally {
    rl.close();
  }
}

export async function run(argv: string[], io: CliIo, input: Readable = process.stdin): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const positional: string[] = [];
  let yes = false;
  let host: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--yes" || a === "-y") yes = true;
    else if (a === "--host") host = argv[++i];
    else if (a.startsWith("-")) {
      io.err(`hostmedic fix: unknown option "${a}"\n${USAGE}`);
      return EXIT.usage;
    } else positional.push(a);
  }
  const [incidentText, cause] = positional;
  if (!incidentText || !cause || positional.length > 2 || !/^\d+$/.test(incidentText) || host === "") {
    io.err(USAGE);
    return EXIT.usage;
  }
  if (!/^[a-z0-9_]{1,64}$/.test(cause) || (host !== undefined && !/^[A-Za-z0-9_.:@-]{1,253}$/.test(host))) {
    io.err(`hostmedic fix: "${cause}" is not a cause id (like tap_not_enslaved)`);
    return EXIT.usage;
  }
  const incident = Number(incidentText);
  const config = loadConfig();
  // What the operator needs is printed; logs stay quiet unless LOG_LEVEL asks for debugging.
  const log = createLogger({
    level: config.logLevel === "debug" || config.logLevel === "trace" ? config.logLevel : "silent",
  });
  const db = openDatabase(config.db);
  try {
    const service = fixServiceFromConfig(config, db, log, {
      source: "cli",
      // Whoever runs this has the database and the SSH key already; the audit names them.
      isApprover: async () => true,
    });
    const actor = { id: localUser(), source: "cli" as const };
    const plan = service.describe(incident, cause, host);
    if ("error" in plan) {
      io.err(`hostmedic fix: ${plan.error}`);
      return EXIT.failure;
    }
    io.out(
      `Fix for ${cause} on ${plan.host} (incident #${incident}):\n${plan.commands.fix.map((c) => `  ${c}`).join("\n")}`,
    );
    if (plan.commands.rollback.length)
      io.out(`Rollback if it does not cure:\n${plan.commands.rollback.map((c) => `  ${c}`).join("\n")}`);
    const confirmed = yes || (await ask(input, io, `Run it on ${plan.host}? [y/N]`));
    const sink: ReplySink = {
      post: async (reply) => io.out(reply.sections?.length ? [reply.text].join("\n") : reply.text),
      progress: async (text) => io.out(text),
    };
    const outcome = await service.runFix(incident, cause, actor, { yes: confirmed, host: plan.host, sink });
    if (outcome.refused) {
      io.err(`hostmedic fix: ${confirmed ? outcome.refused : "not confirmed; nothing was changed"}`);
      return EXIT.failure;
    }
    io.out(`fix #${outcome.fix?.id}: ${outcome.fix?.state}`);
    return outcome.fix?.state === "verified" ? EXIT.ok : EXIT.failure;
  } finally {
    db.close();
  }
}
