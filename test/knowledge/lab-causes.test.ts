/**
 * Every cause the lab can inject, for real: up a lab host in network namespaces, inject the fault,
 * collect evidence over SSH with the real probe registry, build facts, evaluate with the fault's own
 * complaint (English and Chinese, through intake) → the cause must rank first. Plus a healthy lab,
 * two faults at once and a red herring. The lab has no reset, so each case gets a fresh lab
 * (about 7 s each); every lab is removed in finally, also when the case fails.
 */
import { describe, expect, it } from "vitest";
import type { SymptomCategory } from "../../src/diagnosis/types.js";
import { buildFacts } from "../../src/facts/build.js";
import { parseRequest } from "../../src/intake/parse.js";
import { loadKnowledge, type RankedFinding } from "../../src/knowledge/index.js";
import { cleanupPrefix } from "../../src/lab/cleanup.js";
import { faults } from "../../src/lab/faults/index.js";
import { type Lab, labUp } from "../../src/lab/lab.js";
import { labSkipReason } from "../support/lab.js";
import { captureBundle } from "./support/capture.js";

// One prefix per case (a lab that failed half-way in this process keeps its prefix marked as in
// use), and per process, so two runs of the suite on one machine do not collide.
const RUN = (process.pid % 1296).toString(36);
let serial = 0;
const nextPrefix = () => `hmk${RUN}${(serial++).toString(36)}`;
const kb = loadKnowledge();
const NO_INVENTORY = { hosts: [], groups: [] };

/** Causes whose fault the lab injects but whose evidence only virsh would show: tested by replay. */
const REPLAY_ONLY: Record<string, string> = {
  macvtap_parent_busy:
    "the refusal is visible only through virsh/libvirt's log; tested by test/fixtures/replay",
};

/** Bridge ports come up a moment after labUp; a capture during that moment sees NO-CARRIER. */
async function settle(lab: Lab): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const r = await lab.exec("host", ["ip", "-j", "link", "show"]);
    const links = JSON.parse(r.stdout || "[]") as { ifname: string; flags: string[]; master?: string }[];
    if (links.every((l) => !l.master || !l.flags.includes("NO-CARRIER"))) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function withLab<T>(fn: (lab: Lab) => Promise<T>): Promise<T> {
  const prefix = nextPrefix();
  await cleanupPrefix(prefix);
  const lab = await labUp({ prefix });
  try {
    await settle(lab);
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

function categoriesOf(text: string): SymptomCategory[] {
  return parseRequest(text, NO_INVENTORY).categories;
}

async function diagnose(lab: Lab, targets: string[], texts: { en: string; zh: string }) {
  const facts = buildFacts(await captureBundle(lab, targets));
  const out: Record<"en" | "zh", RankedFinding[]> = { en: [], zh: [] };
  for (const language of ["en", "zh"] as const)
    out[language] = await kb.evaluate(facts, {
      categories: categoriesOf(texts[language]),
      targets,
      language,
    });
  return out;
}

const show = (f: RankedFinding[]) => f.map((x) => `${x.id} ${x.confidence}`).join(", ") || "(nothing)";

describe.skipIf(labSkipReason())("lab: each injected cause ranks first", () => {
  it("a healthy lab host: no cause reaches 0.5", async () => {
    await withLab(async (lab) => {
      const complaints = [
        {
          targets: ["198.51.100.10"],
          en: "vm 198.51.100.10 cannot reach the host",
          zh: "虚拟机 198.51.100.10 无法访问宿主机",
        },
        {
          targets: ["203.0.113.10"],
          en: "vm 203.0.113.10 has no internet",
          zh: "虚拟机 203.0.113.10 上不了外网",
        },
        { targets: [], en: "check the host", zh: "检查一下宿主机" },
      ];
      for (const c of complaints) {
        const r = await diagnose(lab, c.targets, c);
        for (const lang of ["en", "zh"] as const)
          expect(
            r[lang].filter((f) => f.confidence >= 0.5),
            `${c[lang]}: ${show(r[lang])}`,
          ).toEqual([]);
      }
    });
  }, 120_000);

  it("a healthy lab host with every optional part (routed guest, macvtap, second bridge, DHCP): no cause reaches 0.5", async () => {
    await withLab(async (lab) => {
      for (const extra of ["routed", "macvtap", "secondBridge", "dhcp"] as const) await lab.enable(extra);
      await settle(lab);
      const complaints = [
        {
          targets: ["198.51.100.50"],
          en: "vm 198.51.100.50 cannot reach the gateway",
          zh: "虚拟机 198.51.100.50 访问不了网关",
        },
        {
          targets: ["203.0.113.140"],
          en: "vm 203.0.113.140 cannot reach the host",
          zh: "虚拟机 203.0.113.140 访问不了宿主机",
        },
        {
          targets: ["203.0.113.10"],
          en: "vm 203.0.113.10 gets no IP address",
          zh: "虚拟机 203.0.113.10 拿不到 IP 地址",
        },
        { targets: [], en: "check the host", zh: "检查一下宿主机" },
      ];
      for (const c of complaints) {
        const r = await diagnose(lab, c.targets, c);
        for (const lang of ["en", "zh"] as const)
          expect(
            r[lang].filter((f) => f.confidence >= 0.5),
            `${c[lang]}: ${show(r[lang])}`,
          ).toEqual([]);
      }
    });
  }, 180_000);

  for (const fault of faults.values()) {
    const skip = REPLAY_ONLY[fault.id];
    it.skipIf(!!skip)(
      `${fault.id}: "${fault.symptom.en}"${skip ? ` (skipped: ${skip})` : ""}`,
      async (ctx) => {
        await withLab(async (lab) => {
          try {
            await lab.fault(fault.id);
          } catch (e) {
            // The lab kernel may lack a feature (bridge VLAN filtering): the fault says so; replay covers it.
            if (/cannot be injected on this kernel/.test((e as Error).message)) ctx.skip();
            throw e;
          }
          const r = await diagnose(lab, fault.targets, fault.symptom);
          for (const lang of ["en", "zh"] as const) {
            const ids = r[lang].map((f) => f.id);
            expect(ids[0], `${lang} "${fault.symptom[lang]}": ${show(r[lang])}`).toBe(fault.id);
            expect(ids.slice(0, 3)).toContain(fault.id);
          }
          const top = r.en[0]!;
          expect(top.evidence.length).toBeGreaterThan(0);
          const shown = [
            top.title,
            top.explanation,
            ...top.evidence,
            ...top.check,
            ...top.fix,
            ...top.rollback,
            ...top.verify,
          ];
          expect(shown.join("\n")).not.toContain("{{");
        });
      },
      90_000,
    );
  }

  it("two faults at once: both in the top three", async () => {
    await withLab(async (lab) => {
      await lab.fault("tap_admin_down");
      await lab.fault("masquerade_missing");
      const targets = ["198.51.100.10", "203.0.113.10"];
      const r = await diagnose(lab, targets, {
        en: "vm 198.51.100.10 is unreachable and vm 203.0.113.10 cannot reach the internet",
        zh: "虚拟机 198.51.100.10 不可达，虚拟机 203.0.113.10 上不了外网",
      });
      for (const lang of ["en", "zh"] as const) {
        const top3 = r[lang].slice(0, 3).map((f) => f.id);
        expect(top3, show(r[lang])).toContain("tap_admin_down");
        expect(top3, show(r[lang])).toContain("masquerade_missing");
      }
    });
  }, 90_000);

  it("two faults at once, other layers: forward_drop_br_netfilter and tc_qdisc_drop", async () => {
    await withLab(async (lab) => {
      await lab.fault("forward_drop_br_netfilter");
      await lab.fault("tc_qdisc_drop");
      const r = await diagnose(lab, ["198.51.100.10", "198.51.100.11"], {
        en: "vm 198.51.100.10 is unreachable and vm 198.51.100.11 cannot reach the LAN",
        zh: "虚拟机 198.51.100.10 不可达，虚拟机 198.51.100.11 访问不了局域网",
      });
      for (const lang of ["en", "zh"] as const) {
        const top3 = r[lang].slice(0, 3).map((f) => f.id);
        expect(top3, show(r[lang])).toContain("forward_drop_br_netfilter");
        expect(top3, show(r[lang])).toContain("tc_qdisc_drop");
      }
    });
  }, 90_000);

  it("red herring: ip_forward=0 does not outrank tap_not_enslaved for a host↔guest complaint", async () => {
    await withLab(async (lab) => {
      await lab.fault("ip_forward_disabled");
      await lab.fault("tap_not_enslaved");
      const r = await diagnose(lab, ["198.51.100.10"], {
        en: "host cannot ping vm 198.51.100.10",
        zh: "宿主机 ping 不通虚拟机 198.51.100.10",
      });
      for (const lang of ["en", "zh"] as const) {
        expect(r[lang][0]?.id, show(r[lang])).toBe("tap_not_enslaved");
        const herring = r[lang].find((f) => f.id === "ip_forward_disabled");
        expect(herring, show(r[lang])).toBeDefined();
        expect(herring!.confidence).toBeLessThan(0.5);
      }
    });
  }, 90_000);
});
