import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  App,
  type AuthorizeResult,
  HTTPReceiver,
  type Receiver,
  SocketModeReceiver,
  webApi,
} from "@slack/bolt";
import type Database from "better-sqlite3";
import type { Config } from "../../config.js";
import type { Logger } from "../../log.js";
import * as actions from "./actions.js";
import { DEFAULT_API_OPTIONS, SlackApi, SlackCallError } from "./api.js";
import { boltLogger } from "./bolt-logger.js";
import * as commands from "./commands.js";
import { ProcessedEvents } from "./dedupe.js";
import type { HandlerDeps } from "./deps.js";
import * as events from "./events.js";
import * as unhandled from "./unhandled.js";
import * as views from "./views.js";
import { Work } from "./work.js";

/** Where fixes (issue 6) learn who is in an approver user group (S…): usergroups.users.list. */
export interface ApproverDirectory {
  setGroupLookup(lookup: (groupId: string) => Promise<string[]>): void;
}

export interface SlackDeps {
  conversation: HandlerDeps["conversation"];
  db: Database.Database;
  log: Logger;
  approvers?: Partial<ApproverDirectory> | unknown;
}

export interface SlackAppOptions {
  /** Web API retries for network errors (not 429s, which SlackApi waits out). Tests use 0. */
  retries?: number;
  /** Least ms between two writes to one channel; Slack allows about one message a second. */
  postIntervalMs?: number;
  /** HTTP mode: listen address (default all interfaces). */
  host?: string;
}

export interface SlackApp {
  /** Connects (Socket Mode) or listens (HTTP); resolves with the HTTP port when there is one. */
  start(): Promise<{ port?: number }>;
  /** Stops taking requests and waits for the work already started. */
  stop(): Promise<void>;
  /** Resolves when no request is being worked on. */
  idle(): Promise<void>;
  readonly api: SlackApi;
  readonly mode: "socket" | "http";
}

function healthz(db: Database.Database) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    let ok = true;
    try {
      db.prepare("SELECT 1").get();
    } catch {
      ok = false;
    }
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok, service: "hostmedic" }));
  };
}

/**
 * The Slack app: Bolt with Socket Mode when SLACK_APP_TOKEN is set, else Slack's HTTP requests on
 * PORT at /slack/events (signatures and timestamps checked by Bolt's receiver: 401 otherwise) and
 * GET /healthz. Handlers are registered by surface; event retries are deduplicated in SQLite.
 */
export function createSlackApp(
  config: Pick<Config, "slack" | "port">,
  deps: SlackDeps,
  options: SlackAppOptions = {},
): SlackApp {
  const { slack } = config;
  const log = deps.log.child({ component: "slack" });
  if (!slack.botToken) throw new Error("SLACK_BOT_TOKEN is needed to connect to Slack");
  const mode = slack.appToken ? "socket" : "http";
  if (mode === "http" && !slack.signingSecret)
    throw new Error(
      "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is needed to connect to Slack",
    );

  const logger = boltLogger(deps.log);
  const clientOptions = {
    slackApiUrl: slack.apiUrl,
    // 429s come back to SlackApi, which waits as long as Retry-After says and paces per channel.
    rejectRateLimitedCalls: true,
    retryConfig:
      options.retries === undefined
        ? { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 }
        : { retries: options.retries },
    timeout: 30_000,
  };
  let httpReceiver: HTTPReceiver | undefined;
  let receiver: Receiver;
  if (mode === "socket") {
    receiver = new SocketModeReceiver({
      appToken: slack.appToken!,
      logger,
      installerOptions: { clientOptions: { ...clientOptions } },
    });
  } else {
    httpReceiver = new HTTPReceiver({
      signingSecret: slack.signingSecret!,
      endpoints: "/slack/events",
      port: config.port,
      customRoutes: [{ path: "/healthz", method: ["GET"], handler: healthz(deps.db) }],
      logger,
    });
    receiver = httpReceiver;
  }

  // The bot's identity comes from one auth.test in start(), through SlackApi (so a 429 there is
  // waited out too); Bolt asks this function for it on every request.
  let identity: { botUserId?: string; botId?: string; teamId?: string } | undefined;
  const app = new App({
    receiver,
    logger,
    clientOptions,
    authorize: async (): Promise<AuthorizeResult> => {
      if (!identity) throw new Error("the Slack app is not started");
      return { botToken: slack.botToken, ...identity };
    },
  });
  const api = new SlackApi(new webApi.WebClient(slack.botToken, { ...clientOptions, logger }), log, {
    ...DEFAULT_API_OPTIONS,
    ...(options.postIntervalMs !== undefined ? { postIntervalMs: options.postIntervalMs } : {}),
  });
  const work = new Work(log);
  const processed = new ProcessedEvents(deps.db);

  app.use(async ({ body, context, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === "string" && !processed.claim(eventId)) {
      log.info(
        { event_id: eventId, retry: context.retryNum, reason: context.retryReason },
        "event already handled; retry ignored",
      );
      return;
    }
    await next();
  });
  app.error(async (err) => {
    log.error({ err: { message: err.message, code: err.code } }, "Slack request handling failed");
  });

  const workspace: HandlerDeps["workspace"] = {};
  const handlerDeps: HandlerDeps = { conversation: deps.conversation, api, log, work, workspace };
  events.register(app, handlerDeps);
  commands.register(app, handlerDeps);
  actions.register(app, handlerDeps);
  views.register(app, handlerDeps);
  // Last: what none of the above handles is acknowledged, logged and, for a person, answered.
  unhandled.register(app, handlerDeps);

  const directory = deps.approvers as Partial<ApproverDirectory> | undefined;
  if (directory && typeof directory.setGroupLookup === "function")
    directory.setGroupLookup(async (group) => {
      const res = await api.call<{ users?: string[] }>("usergroups.users.list", { usergroup: group });
      return res.users ?? [];
    });

  // Socket Mode needs no port; /healthz is served on PORT when it is free, and a busy port only
  // costs the health check (Bolt's own route server would crash the process on EADDRINUSE).
  let healthServer: Server | undefined;
  const serveHealth = () =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer((req, res) => {
        if (req.method === "GET" && req.url?.split("?")[0] === "/healthz") return healthz(deps.db)(req, res);
        res.writeHead(404).end();
      });
      server.once("error", (err) => {
        log.warn(
          { port: config.port, error: (err as NodeJS.ErrnoException).code },
          "GET /healthz not served",
        );
        resolve(undefined);
      });
      server.listen({ port: config.port, host: options.host }, () => {
        healthServer = server;
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : undefined);
      });
    });

  let started = false;
  return {
    api,
    mode,
    idle: () => work.idle(),
    async start() {
      try {
        const auth = await api.call<{ user_id?: string; bot_id?: string; team_id?: string; url?: string }>(
          "auth.test",
          {},
        );
        identity = { botUserId: auth.user_id, botId: auth.bot_id, teamId: auth.team_id };
        workspace.url = auth.url;
      } catch (err) {
        const code = err instanceof SlackCallError ? err.slackError : (err as Error).message;
        // No answer at all is not a refused token: say where we tried to go instead.
        if (code === "request_failed" || /^http_5\d\d$/.test(code))
          throw new Error(
            `cannot reach Slack's Web API at ${withoutCredentials(slack.apiUrl)} (auth.test: ${code}); check the network, a proxy, or SLACK_API_URL`,
            { cause: err },
          );
        throw new Error(`Slack did not accept SLACK_BOT_TOKEN (auth.test: ${code})`, { cause: err });
      }
      processed.prune();
      if (mode === "socket") {
        await app.start();
        started = true;
        const port = await serveHealth();
        log.info({ port }, "connected to Slack in Socket Mode");
        return { port };
      }
      const server = (await (options.host
        ? httpReceiver!.start({ port: config.port, host: options.host })
        : httpReceiver!.start(config.port))) as { address(): AddressInfo | string | null };
      started = true;
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      log.info({ port }, "serving Slack requests at /slack/events");
      return { port };
    },
    async stop() {
      if (started) await app.stop();
      started = false;
      await new Promise<void>((r) => (healthServer ? healthServer.close(() => r()) : r()));
      healthServer = undefined;
      await work.idle();
    },
  };
}

/** A URL to show: a proxy's user:password@ never reaches a message or a log line. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "SLACK_API_URL";
  }
}
