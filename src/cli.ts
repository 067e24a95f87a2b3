#!/usr/bin/env node
import { type CliIo, EXIT, processIo } from "./cli/io.js";
import { ConfigError } from "./config.js";

type Command = { summary: string; load: () => Promise<{ run(argv: string[], io: CliIo): Promise<number> }> };

// One line per command; each lives in src/cli/<name>.ts and is loaded only when used.
const COMMANDS: Record<string, Command> = {
  diagnose: {
    summary: "diagnose HOST|GROUP|localhost [SYMPTOM...] [--json] [--replay FILE]",
    load: () => import("./cli/diagnose.js"),
  },
  search: {
    summary: "search QUERY [--json]    past incidents, best match first",
    load: () => import("./cli/search.js"),
  },
  incident: {
    summary: "incident show|list|confirm|reject|note ...   incidents and feedback",
    load: () => import("./cli/incident.js"),
  },
  console: {
    summary: "console                  the chat, in the terminal",
    load: () => import("./cli/console.js"),
  },
  lab: {
    summary: "lab up|down|fault|faults  a lab KVM host in network namespaces (root)",
    load: () => import("./cli/lab.js"),
  },
  rules: {
    summary: "rules check [DIR]        validate the knowledge base",
    load: () => import("./cli/rules.js"),
  },
  migrate: {
    summary: "migrate                  bring the database to the newest schema",
    load: () => import("./cli/migrate.js"),
  },
  fix: {
    summary: "fix INCIDENT CAUSE [--yes]   run a proposed fix (asks first)",
    load: () => import("./cli/fix.js"),
  },
  audit: {
    summary: "audit [--host H] [--since T]  the audit trail of fixes",
    load: () => import("./cli/audit.js"),
  },
};

function usage(io: CliIo): void {
  io.out(
    [
      "usage: hostmedic <command> [args]",
      "",
      "hostmedic troubleshoots connectivity between KVM hosts and their VMs over SSH.",
      "",
      ...Object.values(COMMANDS).map((c) => `  hostmedic ${c.summary}`),
      "",
      "Every command takes --help. Configuration comes from the environment and .env (see .env.example).",
    ].join("\n"),
  );
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    usage(io);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`hostmedic: unknown command "${name}"`);
    usage(io);
    return EXIT.usage;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`hostmedic: ${err.message}`);
      return EXIT.usage;
    }
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      io.err(`hostmedic ${name}: this command is not available in this build`);
      return EXIT.failure;
    }
    // SQLite's own words ("database is locked") do not say what to do; describeDbError does.
    const { describeDbError } = await import("./store/db.js");
    io.err(`hostmedic ${name}: ${describeDbError(err)}`);
    return EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hostmedic: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
