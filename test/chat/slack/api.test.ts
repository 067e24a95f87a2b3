import { webApi } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackApi, SlackCallError } from "../../../src/chat/slack/api.js";
import { FakeSlack } from "../../support/fake-slack.js";
import { BOT_TOKEN } from "./helpers.js";
import { capturedLogger } from "./services.js";

describe("SlackApi (pacing, 429, ok:false) against the fake Web API", () => {
  const fake = new FakeSlack();
  const captured = capturedLogger();
  let api: SlackApi;

  beforeAll(async () => {
    await fake.start();
    const client = new webApi.WebClient(BOT_TOKEN, {
      slackApiUrl: fake.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    api = new SlackApi(client, captured.log, { postIntervalMs: 300, maxRateLimitWaits: 2 });
  });

  afterAll(() => fake.stop());

  it("spaces writes to one channel by the interval, and does not hold other channels back", async () => {
    const t0 = Date.now();
    await Promise.all([
      api.call("chat.postMessage", { channel: "C1", text: "a" }, "C1"),
      api.call("chat.postMessage", { channel: "C1", text: "b" }, "C1"),
      api.call("chat.postMessage", { channel: "C1", text: "c" }, "C1"),
      api.call("chat.postMessage", { channel: "C2", text: "x" }, "C2"),
    ]);
    const c1 = fake.calls.filter((c) => c.args.channel === "C1");
    expect(c1.map((c) => c.args.text)).toEqual(["a", "b", "c"]);
    expect(c1[1]!.at - c1[0]!.at).toBeGreaterThanOrEqual(290);
    expect(c1[2]!.at - c1[1]!.at).toBeGreaterThanOrEqual(290);
    const c2 = fake.calls.find((c) => c.args.channel === "C2")!;
    expect(c2.at - t0).toBeLessThan(200);
  });

  it("waits Retry-After seconds on a 429 and gives up after the allowed number of waits", async () => {
    fake.fail("chat.update", { retryAfter: 1 });
    const t0 = Date.now();
    await api.call("chat.update", { channel: "C3", ts: "1.2", text: "t" }, "C3");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(fake.callsOf("chat.update").map((c) => c.status)).toEqual([429, 200]);

    fake.fail("chat.postEphemeral", { retryAfter: 0 }, 3);
    const err = await api
      .call("chat.postEphemeral", { channel: "C3", user: "U1", text: "t" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(SlackCallError);
    expect((err as SlackCallError).slackError).toBe("ratelimited");
    expect(fake.callsOf("chat.postEphemeral").length).toBe(3);
  });

  it("turns ok:false into SlackCallError with Slack's code, logged without the token", async () => {
    fake.fail("chat.postMessage", { error: "is_archived" });
    const err = await api.call("chat.postMessage", { channel: "C4", text: "t" }, "C4").catch((e) => e);
    expect(err).toBeInstanceOf(SlackCallError);
    expect(err).toMatchObject({ method: "chat.postMessage", slackError: "is_archived" });
    const line = captured.lines().find((l) => l.error === "is_archived");
    expect(line).toMatchObject({ method: "chat.postMessage", channel: "C4" });
    expect(JSON.stringify(captured.lines())).not.toContain(BOT_TOKEN);
  });
});
