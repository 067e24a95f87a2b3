import { describe, expect, it } from "vitest";
import { checkBlockLimits } from "../../../src/chat/slack/blocks/limits.js";
import { escapeMrkdwn, splitMrkdwn, toMrkdwn } from "../../../src/chat/slack/blocks/mrkdwn.js";
import { actionsBlock, renderReply } from "../../../src/chat/slack/blocks/reply.js";
import { renderDiagnosis } from "../../../src/conversation/report.js";
import type { Reply } from "../../../src/conversation/types.js";
import type { DiagnosisResult, Finding, HostDiagnosis } from "../../../src/diagnosis/types.js";
import { jsonFixture } from "./services.js";

const recorded = jsonFixture<HostDiagnosis>("diagnosis_kvm01.json");

function result(hosts: HostDiagnosis[]): DiagnosisResult {
  return {
    incident: 42,
    request: {
      hosts: hosts.map((h) => h.host),
      symptom: "vm cannot reach host",
      targets: [],
      language: "en",
    },
    hosts,
    similar_incidents: [{ incident: 7, cause: "tap_not_enslaved", host: "kvm03", score: 0.8 }],
  };
}

const fences = (s: string) => s.split("```").length - 1;

describe("splitMrkdwn", () => {
  it("keeps short text whole", () => {
    expect(splitMrkdwn("a\nb", 3000)).toEqual(["a\nb"]);
  });

  it("splits at line ends, each chunk within the limit, nothing lost", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(i % 37)}`);
    const chunks = splitMrkdwn(lines.join("\n"), 500);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(500);
    expect(chunks.join("\n")).toBe(lines.join("\n"));
  });

  it("closes a code block at a cut and reopens it in the next chunk", () => {
    const text = `*Evidence*\n\`\`\`\n${Array.from({ length: 100 }, (_, i) => `198.51.100.${i} dev br0 FAILED`).join("\n")}\n\`\`\`\nafter`;
    const chunks = splitMrkdwn(text, 300);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect(fences(c) % 2).toBe(0);
    }
    expect(chunks.at(-1)).toContain("after");
    const content = chunks.join("\n").replace(/```/g, "").split("\n").filter(Boolean);
    expect(content.filter((l) => l.includes("FAILED")).length).toBe(100);
  });

  it("hard-splits a single line longer than the limit", () => {
    const chunks = splitMrkdwn("y".repeat(1000), 300);
    expect(chunks.join("")).toBe("y".repeat(1000));
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(300);
  });
});

describe("mrkdwn escaping", () => {
  it("escapes Slack's control characters and turns Markdown links into Slack links", () => {
    expect(escapeMrkdwn("ip r | grep <none> && echo 2>/dev/null")).toBe(
      "ip r | grep &lt;none&gt; &amp;&amp; echo 2&gt;/dev/null",
    );
    expect(toMrkdwn("see [incident 7](https://medic.example/i/7)")).toBe(
      "see <https://medic.example/i/7|incident 7>",
    );
  });
});

describe("renderReply", () => {
  it("renders a real report: header, findings with evidence and commands, buttons, Run fix confirm", () => {
    const msg = renderReply(renderDiagnosis(result([recorded]), "en"));
    expect(checkBlockLimits(msg.blocks)).toEqual([]);
    expect(msg.overflow).toBeUndefined();
    expect(msg.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain("tap_not_enslaved");
    expect(json).toContain("ip link set vnet0 master br0");
    const actions = msg.blocks.filter((b) => b.type === "actions") as {
      elements: Record<string, unknown>[];
    }[];
    const runFix = actions.flatMap((a) => a.elements).find((e) => e.action_id === "run_fix");
    expect(runFix).toMatchObject({
      style: "danger",
      confirm: { text: { text: "kvm01:\nip link set vnet0 master br0" }, style: "danger" },
    });
    // No fix, no Run fix button: the ARP finding has none.
    expect(actions.flatMap((a) => a.elements).filter((e) => e.action_id === "run_fix").length).toBe(1);
    expect(json).toContain('"action_id":"show_evidence"');
    // Empty and blank section texts (the header section, the button row) become no section block.
    expect(
      msg.blocks.filter((b) => b.type === "section" && !(b.text as { text: string }).text.trim()),
    ).toEqual([]);
  });

  it("keeps a big report within 50 blocks and ~12k characters; the rest goes to a file, buttons stay", () => {
    const big = (i: number): Finding => ({
      ...recorded.causes[0]!,
      id: `cause_${i}`,
      title: `Cause number ${i} with a long title ${"t".repeat(40)}`,
      explanation: "e".repeat(300),
      evidence: Array.from({ length: 40 }, (_, j) => `evidence line ${j} for cause ${i}: ${"v".repeat(40)}`),
      confidence: 0.9 - i * 0.01,
    });
    const hosts = ["kvm01", "kvm02", "kvm03"].map((host) => ({
      ...recorded,
      host,
      causes: Array.from({ length: 5 }, (_, i) => big(i)),
    }));
    const reply = renderDiagnosis(result(hosts), "en");
    const msg = renderReply(reply);
    expect(checkBlockLimits(msg.blocks)).toEqual([]);
    expect(msg.overflow).toBeDefined();
    expect(msg.overflow!.content).toContain("evidence line 39 for cause 4");
    expect(msg.blocks[0]).toMatchObject({ type: "header" });
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain("attached file");
    // Every finding that appears keeps its feedback buttons.
    const shownHeads = msg.blocks.filter(
      (b) => b.type === "section" && /^\*\d\. Cause number/.test((b.text as { text: string }).text),
    ).length;
    const confirmButtons = (json.match(/"action_id":"feedback_confirm"/g) ?? []).length;
    expect(shownHeads).toBeGreaterThan(0);
    expect(confirmButtons).toBe(shownHeads);
    expect(json).toContain('"action_id":"show_evidence"');
  });

  it("caps the header at 150 characters and the fallback text at 3000", () => {
    const reply: Reply = { text: "z".repeat(5000), sections: [{ title: "T".repeat(400), text: "body" }] };
    const msg = renderReply(reply);
    expect(checkBlockLimits(msg.blocks)).toEqual([]);
    expect((msg.blocks[0]!.text as { text: string }).text.length).toBe(150);
    expect(msg.text.length).toBeLessThanOrEqual(3000);
  });

  it("renders plain text replies and splits long ones", () => {
    const msg = renderReply({ text: `${"w ".repeat(4000)}` });
    expect(checkBlockLimits(msg.blocks)).toEqual([]);
    expect(msg.blocks.filter((b) => b.type === "section").length).toBeGreaterThanOrEqual(3);
  });

  it("says where the rest went in the reply's language", () => {
    const sections = Array.from({ length: 80 }, (_, i) => ({ title: `段落 ${i}`, text: "内容".repeat(100) }));
    const msg = renderReply({ text: "很长的回复", sections, language: "zh" });
    expect(checkBlockLimits(msg.blocks)).toEqual([]);
    expect(JSON.stringify(msg.blocks)).toContain("附件");
    expect(msg.overflow?.content).toContain("段落 79");
  });
});

describe("actionsBlock", () => {
  it("drops a button whose value Slack would refuse and makes repeated actions unique", () => {
    const block = actionsBlock([
      { action: "feedback_confirm", label: "This was it", value: "{}" },
      { action: "feedback_confirm", label: "This was it", value: '{"incident":2}' },
      { action: "show_evidence", label: "Show evidence", value: "v".repeat(2001) },
    ]);
    expect(block).toBeDefined();
    expect(checkBlockLimits([block])).toEqual([]);
    expect((block!.elements as { action_id: string }[]).map((e) => e.action_id)).toEqual([
      "feedback_confirm",
      "feedback_confirm:2",
    ]);
  });
});

describe("checkBlockLimits", () => {
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

  it("accepts a plain valid message", () => {
    expect(checkBlockLimits([section("hello"), { type: "divider" }])).toEqual([]);
  });

  it("names each broken limit", () => {
    expect(checkBlockLimits(Array.from({ length: 51 }, () => section("x")))).toEqual(["51 blocks, max 50"]);
    expect(
      checkBlockLimits(
        Array.from({ length: 51 }, () => section("x")),
        { surface: "view" },
      ),
    ).toEqual([]);
    expect(checkBlockLimits([section("s".repeat(3001))])[0]).toMatch(/3001 characters, max 3000/);
    expect(checkBlockLimits([section("")])[0]).toMatch(/empty/);
    expect(
      checkBlockLimits([{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }])[0],
    ).toMatch(/max 150/);
    expect(checkBlockLimits([{ type: "header", text: { type: "mrkdwn", text: "h" } }])[0]).toMatch(
      /plain_text/,
    );
    const button = (id: string, extra: Record<string, unknown> = {}) => ({
      type: "button",
      action_id: id,
      text: { type: "plain_text", text: "b" },
      value: "v",
      ...extra,
    });
    expect(checkBlockLimits([{ type: "actions", elements: [button("a"), button("a")] }])[0]).toMatch(
      /not unique/,
    );
    const confirm = {
      title: { type: "plain_text", text: "t" },
      text: { type: "plain_text", text: "c".repeat(301) },
      confirm: { type: "plain_text", text: "y" },
      deny: { type: "plain_text", text: "n" },
    };
    expect(checkBlockLimits([{ type: "actions", elements: [button("a", { confirm })] }])[0]).toMatch(
      /confirm text is 301/,
    );
    expect(
      checkBlockLimits([{ type: "actions", elements: [button("a", { value: "v".repeat(2001) })] }])[0],
    ).toMatch(/value is 2001/);
    expect(checkBlockLimits(Array.from({ length: 5 }, () => section("s".repeat(2900))))).toContain(
      "14500 characters of text, max about 12000",
    );
    expect(checkBlockLimits([{ type: "sparkles" }])[0]).toMatch(/unknown block type/);
    expect(checkBlockLimits("nope")).toEqual(["blocks is not an array"]);
  });
});
