import { describe, expect, it } from "vitest";
import { type BASE, historyDelta, score } from "../../src/knowledge/rank.js";
import type { CaseRecord } from "../../src/knowledge/types.js";

const rec = (over: Partial<CaseRecord>): CaseRecord => ({
  cause: "tap_not_enslaved",
  verdict: "confirmed",
  host: "kvm01",
  sameHost: false,
  sameGroup: false,
  categories: ["host_guest"],
  ...over,
});
const base = {
  cause: "tap_not_enslaved",
  strength: "direct" as const,
  layer: 2,
  symptoms: ["host_guest" as const],
  categories: ["host_guest" as const],
  onBrokenHop: false,
  offPath: false,
};

describe("ranking", () => {
  it("orders strengths direct > strong > circumstantial > inferred", () => {
    const c = (strength: keyof typeof BASE) => score({ ...base, strength }, []).confidence;
    expect(c("direct")).toBeGreaterThan(c("strong"));
    expect(c("strong")).toBeGreaterThan(c("circumstantial"));
    expect(c("circumstantial")).toBeGreaterThan(c("inferred"));
    expect(c("circumstantial")).toBeLessThan(0.5);
  });

  it("damps a cause that does not explain the complaint below 0.5", () => {
    const s = score({ ...base, symptoms: ["guest_outside"] }, []);
    expect(s.confidence).toBeLessThan(0.5);
    expect(s.why.join(" ")).toMatch(/does not explain host_guest/);
  });

  it("boosts the device where the path breaks and lowers one off the named path", () => {
    const plain = score(base, []).confidence;
    expect(score({ ...base, onBrokenHop: true }, []).confidence).toBeGreaterThan(plain);
    expect(score({ ...base, offPath: true }, []).confidence).toBeLessThan(plain);
  });

  it("weighs history: same host > same group > elsewhere, rejections pull down, smoothing caps one case", () => {
    const host = historyDelta("tap_not_enslaved", ["host_guest"], [rec({ sameHost: true })]);
    const group = historyDelta("tap_not_enslaved", ["host_guest"], [rec({ sameGroup: true })]);
    const far = historyDelta("tap_not_enslaved", ["host_guest"], [rec({})]);
    expect(host).toBeGreaterThan(group);
    expect(group).toBeGreaterThan(far);
    expect(far).toBeGreaterThan(0);
    expect(host).toBeLessThan(0.06);
    expect(
      historyDelta("tap_not_enslaved", ["host_guest"], [rec({ verdict: "rejected", sameHost: true })]),
    ).toBeLessThan(0);
    expect(historyDelta("other", ["host_guest"], [rec({ sameHost: true })])).toBe(0);
    const many = Array.from({ length: 100 }, () => rec({ sameHost: true }));
    expect(historyDelta("tap_not_enslaved", ["host_guest"], many)).toBeLessThanOrEqual(0.12);
  });

  it("clamps to [0, 0.99]", () => {
    const many = Array.from({ length: 100 }, () => rec({ sameHost: true }));
    const s = score({ ...base, onBrokenHop: true }, many);
    expect(s.confidence).toBeLessThanOrEqual(0.99);
    const low = score(
      { ...base, strength: "inferred", symptoms: ["slow"], offPath: true },
      many.map((m) => ({ ...m, verdict: "rejected" as const })),
    );
    expect(low.confidence).toBeGreaterThanOrEqual(0);
  });
});
