import { describe, expect, it } from "vitest";
import { FIX_MESSAGES, fm } from "../../src/fixes/messages.js";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("fix messages", () => {
  it("say the same things in English and Chinese: every placeholder in both", () => {
    for (const [key, text] of Object.entries(FIX_MESSAGES)) {
      expect(placeholders(text.zh), key).toEqual(placeholders(text.en));
      expect(text.zh, key).not.toBe("");
      // Chinese text really is Chinese (a copy of the English would slip through otherwise).
      if (key !== "output") expect(/[\u3400-\u9fff]/.test(text.zh), key).toBe(true);
    }
  });

  it("fills values and leaves unknown placeholders visible", () => {
    expect(fm("hostBusy", "en", { host: "kvm01", other: 7 })).toMatch(
      /^Another fix \(#7\) is running on kvm01;/,
    );
    expect(fm("hostBusy", "zh", { host: "kvm01", other: 7 })).toContain("kvm01 上正在执行另一个修复（#7）");
    expect(fm("approved", "en", { fix: 3 })).toContain("{cause}");
  });
});
