import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/** One Web API call as the fake received it. */
export interface RecordedCall {
  method: string;
  /** Form fields or JSON body; JSON-valued form fields (blocks, view, files) parsed. */
  args: Record<string, unknown>;
  contentType: string;
  /** The bearer token the call carried (tests check it is the bot token; never printed). */
  token?: string;
  at: number;
  /** What the fake answered (status and body). */
  status: number;
  response: Record<string, unknown>;
}

export interface Failure {
  /** 429 with Retry-After: seconds. */
  retryAfter?: number;
  /** ok:false with this error. */
  error?: string;
}

const JSON_FIELDS = new Set(["blocks", "view", "files", "attachments", "metadata"]);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A small Slack Web API on 127.0.0.1 for tests: records every call, answers the methods hostmedic
 * uses much as Slack does (ts values, upload URLs served here, ok:false for unknown methods' bad
 * input is not simulated), and can be told to answer 429 with Retry-After or ok:false for the next
 * calls of a method. It also serves response_url posts and a Socket Mode WebSocket endpoint.
 */
export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  /** Bodies POSTed to response_url paths (/response/ID). */
  readonly responses: { id: string; body: Record<string, unknown>; at: number }[] = [];
  /** Uploaded file contents by file id. */
  readonly uploads = new Map<string, { content: string; at: number }>();
  /** usergroups.users.list answers: group id → user ids. */
  readonly userGroups = new Map<string, string[]>();
  readonly bot = { userId: "U0BOT", botId: "B0BOT", teamId: "T0LAB" };
  /** Sent to every Socket Mode client as it connects (Slack's "hello"); none when undefined. */
  helloOnConnect?: Record<string, unknown>;
  private readonly failures = new Map<string, Failure[]>();
  private server?: Server;
  private wss?: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private tsCounter = 0;
  private fileCounter = 0;
  private port = 0;
  private readonly listeners = new Set<() => void>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    this.wss = new WebSocketServer({ server: this.server, path: "/socket" });
    this.wss.on("connection", (ws) => {
      this.sockets.add(ws);
      if (this.helloOnConnect) ws.send(JSON.stringify(this.helloOnConnect));
      ws.on("close", () => this.sockets.delete(ws));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((r) => (this.wss ? this.wss.close(() => r()) : r()));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections?.();
  }

  /** SLACK_API_URL for the app. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  get socketUrl(): string {
    return `ws://127.0.0.1:${this.port}/socket`;
  }

  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/response/${id}`;
  }

  /** The next `times` calls of `method` fail as described. */
  fail(method: string, failure: Failure, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits until `check` returns something truthy (re-checked on every call), or fails after timeoutMs. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 15_000, what = "condition"): Promise<T> {
    const first = check();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(
            `fake Slack: timed out after ${timeoutMs} ms waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(", ")}`,
          ),
        );
      }, timeoutMs);
      const listener = () => {
        const v = check();
        if (v) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(v);
        }
      };
      this.listeners.add(listener);
    });
  }

  /** Sends a Socket Mode frame to every connected client. */
  sendSocket(frame: unknown): void {
    for (const ws of this.sockets) ws.send(JSON.stringify(frame));
  }

  /** Resolves with the first frame a client sends for which `match` is true. */
  nextSocketFrame(
    match: (frame: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("fake Slack: no matching Socket Mode frame")),
        timeoutMs,
      );
      const onMessage = (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        if (!match(frame)) return;
        clearTimeout(timer);
        for (const ws of this.sockets) ws.off("message", onMessage);
        resolve(frame);
      };
      for (const ws of this.sockets) ws.on("message", onMessage);
      this.wss?.on("connection", (ws) => ws.on("message", onMessage));
    });
  }

  get socketClients(): number {
    return this.sockets.size;
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `1764460800.${String(this.tsCounter).padStart(6, "0")}`;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith("/response/")) {
      this.responses.push({
        id: url.pathname.slice(10),
        body: JSON.parse(raw.toString() || "{}"),
        at: Date.now(),
      });
      send(200, { ok: true });
      this.notify();
      return;
    }
    if (url.pathname.startsWith("/upload/")) {
      const id = url.pathname.slice(8);
      const form = await new Response(new Uint8Array(raw), {
        headers: { "content-type": contentType },
      }).formData();
      const part = form.get("body") ?? form.get("file");
      const content = typeof part === "string" ? part : part ? await part.text() : raw.toString();
      this.uploads.set(id, { content, at: Date.now() });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`OK - ${raw.length}`);
      this.notify();
      return;
    }
    if (!url.pathname.startsWith("/api/")) return send(404, { ok: false, error: "unknown_path" });
    const method = url.pathname.slice(5);
    const args = this.parseArgs(raw.toString(), contentType);
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : (args.token as string | undefined);
    const failure = this.failures.get(method)?.shift();
    let status = 200;
    let response: Record<string, unknown>;
    let headers: Record<string, string> = {};
    if (failure?.retryAfter !== undefined) {
      status = 429;
      headers = { "retry-after": String(failure.retryAfter) };
      response = { ok: false, error: "ratelimited" };
    } else if (failure?.error) {
      response = { ok: false, error: failure.error };
    } else {
      response = this.answer(method, args);
    }
    this.calls.push({ method, args, contentType, token, at: Date.now(), status, response });
    send(status, response, headers);
    this.notify();
  }

  private parseArgs(body: string, contentType: string): Record<string, unknown> {
    if (!body) return {};
    if (contentType.includes("application/json")) return JSON.parse(body) as Record<string, unknown>;
    const args: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body)) {
      args[k] = JSON_FIELDS.has(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
    }
    return args;
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const ok = { ok: true };
    switch (method) {
      case "auth.test":
        return {
          ...ok,
          url: "https://lab.slack.example/",
          team: "lab",
          user: "hostmedic",
          team_id: this.bot.teamId,
          user_id: this.bot.userId,
          bot_id: this.bot.botId,
        };
      case "chat.postMessage": {
        const ts = this.nextTs();
        return {
          ...ok,
          channel: args.channel,
          ts,
          message: { text: args.text, ts, thread_ts: args.thread_ts },
        };
      }
      case "chat.update":
        return { ...ok, channel: args.channel, ts: args.ts, text: args.text };
      case "chat.postEphemeral":
        return { ...ok, message_ts: this.nextTs() };
      case "views.publish":
      case "views.open":
        return { ...ok, view: { id: `V${this.nextTs().replace(".", "")}`, ...(args.view as object) } };
      case "files.getUploadURLExternal": {
        this.fileCounter += 1;
        const id = `F${String(this.fileCounter).padStart(6, "0")}`;
        return { ...ok, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal":
        return { ...ok, files: (args.files as { id: string; title?: string }[] | undefined) ?? [] };
      case "usergroups.users.list":
        return { ...ok, users: this.userGroups.get(String(args.usergroup)) ?? [] };
      case "conversations.open":
        return { ...ok, channel: { id: `D${String(args.users).replace(/^U/, "")}` } };
      case "apps.connections.open":
        return { ...ok, url: this.socketUrl };
      default:
        return ok;
    }
  }
}

/** Slack's request signature: v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + body). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export interface SendOptions {
  secret: string;
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  retryNum?: number;
  /** Sign with this secret instead (a wrong one). */
  signWith?: string;
}

/** POSTs a body to the app exactly as Slack would: signed, with Slack's content type. */
export async function sendToApp(
  url: string,
  body: string,
  contentType: "application/json" | "application/x-www-form-urlencoded",
  options: SendOptions,
): Promise<{ status: number; text: string }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": contentType,
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": slackSignature(options.signWith ?? options.secret, timestamp, body),
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
  };
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

/** An Events API delivery (JSON). */
export function eventBody(event: Record<string, unknown>, eventId: string, teamId = "T0LAB"): string {
  return JSON.stringify({
    token: "verification-token-unused",
    team_id: teamId,
    api_app_id: "A0HOSTMEDIC",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: "U0BOT", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** A slash command delivery (form-encoded). */
export function commandBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** An interaction delivery: payload=<url-encoded JSON>. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
