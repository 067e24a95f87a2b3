import { ConsoleAdapter } from "./chat/console/adapter.js";
import { composeServices } from "./compose.js";
import { type Config, ConfigError, loadConfig, requireInventory, secretsOf } from "./config.js";
import { Conversation } from "./conversation/core.js";
import { RuleError } from "./knowledge/index.js";
import { createLogger, type Logger } from "./log.js";
import { describeDbError, openDatabase, StoreError } from "./store/db.js";
import { MigrationError } from "./store/migrate.js";

export interface Running {
  stop(): Promise<void>;
  done: Promise<void>;
}

/** The database, the domain and one conversation for a chat surface; close() releases them. */
function openConversation(config: Config, log: Logger, source: "console" | "slack") {
  const db = openDatabase(config.db);
  try {
    const app = composeServices(config, db, log);
    const conversation = new Conversation({ services: app.services, fixes: app.fixes(source), log, source });
    const close = async () => {
      await app.close();
      db.close();
    };
    return { db, app, conversation, close };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Console on the terminal: what `npm start` does without Slack credentials. */
export async function startConsole(config: Config, log: Logger, announce: boolean): Promise<Running> {
  const { conversation, close } = openConversation(config, log, "console");
  const adapter = new ConsoleAdapter(conversation, {
    input: process.stdin,
    output: process.stdout,
    prompt: process.stdin.isTTY === true,
  });
  if (announce)
    process.stdout.write(
      [
        "hostmedic console — no Slack credentials are set, so this is the chat in the terminal.",
        'To connect Slack, set SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or with SLACK_SIGNING_SECRET (HTTP on PORT); see README, "Connect to Slack".',
        "Type `help` to see what I can do; Ctrl-D to leave.",
        "",
      ].join("\n"),
    );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    adapter.close();
    await close();
  };
  const done = adapter.run().then(stop);
  return { stop, done };
}

async function startSlack(config: Config, log: Logger): Promise<Running> {
  requireInventory(config);
  const { db, app, conversation, close } = openConversation(config, log, "slack");
  const { createSlackApp } = await import("./chat/slack/app.js");
  const slack = createSlackApp(config, { conversation, db, log, approvers: app.approvers });
  try {
    await slack.start();
  } catch (err) {
    await close();
    throw err;
  }
  log.info(
    { mode: config.mode, port: config.mode === "http" ? config.port : undefined },
    "hostmedic is connected to Slack",
  );
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  return {
    done,
    stop: async () => {
      await slack.stop();
      await close();
      resolveDone();
    },
  };
}

export async function start(mode?: "console"): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hostmedic: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const consoleMode = mode === "console" || config.mode === "console";
  const log = createLogger({
    level: consoleMode && !process.env.LOG_LEVEL ? "warn" : config.logLevel,
    pretty: consoleMode,
    secrets: secretsOf(config),
  });
  // Signals can arrive while start-up is still under way: stop whatever has started by then.
  let running: Running | undefined;
  let stopping = false;
  const onSignal = (signal: string) => {
    log.info({ signal }, "stopping");
    stopping = true;
    running?.stop().catch((err) => log.error({ err }, "stop failed"));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    running = consoleMode
      ? await startConsole(config, log, mode !== "console")
      : await startSlack(config, log);
  } catch (err) {
    // Start-up problems are the operator's to fix: say what, not where in our code.
    const message =
      err instanceof RuleError
        ? `the knowledge base (${config.rulesDir}) has errors; fix them, \`hostmedic rules check\` lists them:\n${err.message}`
        : describeDbError(err);
    process.stderr.write(`hostmedic: ${message}\n`);
    log.debug({ err }, "start-up failed");
    return err instanceof ConfigError || err instanceof MigrationError || err instanceof StoreError ? 2 : 1;
  }
  if (stopping) await running.stop();
  await running.done;
  log.flush?.();
  return 0;
}

// Run when executed directly (npm start), not when imported by the CLI or tests.
if (import.meta.url === `file://${process.argv[1]}`) {
  start().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`hostmedic: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
