import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/lab.js";
import {
  cleanupPrefix,
  cleanupStalePrefix,
  namespacesOfPrefix,
  rootLinksOfPrefix,
} from "../../src/lab/cleanup.js";
import { faults } from "../../src/lab/faults/index.js";
import { readState } from "../../src/lab/state.js";
import { labSkipReason } from "../support/lab.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

describe("hostmedic lab (no lab needed)", () => {
  it("lists every fault with its number and description", async () => {
    const c = capture();
    expect(await run(["faults"], c.io)).toBe(0);
    for (const f of faults.values()) expect(c.out.join("\n")).toContain(f.id);
  });

  it("rejects bad usage with exit 2", async () => {
    for (const argv of [
      ["up", "--prefix", "Bad-Prefix"],
      ["up", "--with", "wifi"],
      ["frobnicate"],
      ["fault"],
    ]) {
      const c = capture();
      expect(await run(argv, c.io)).toBe(2);
      expect(c.err.join("")).toMatch(/hostmedic lab|usage/);
    }
  });

  it("prints help with --help", async () => {
    const c = capture();
    expect(await run(["--help"], c.io)).toBe(0);
    expect(c.out.join("")).toMatch(/hostmedic lab up/);
  });
});

describe.skipIf(labSkipReason())("hostmedic lab up / fault / down", () => {
  const prefix = "hmlc";
  afterAll(() => cleanupPrefix(prefix));

  it("brings a lab up, injects a fault into it through its state file, and takes it down", async () => {
    cleanupStalePrefix(prefix);
    const up = capture();
    expect(await run(["up", "--prefix", prefix, "--with", "dhcp"], up.io)).toBe(0);
    const state = readState(prefix)!;
    const text = up.out.join("\n");
    expect(text).toContain(`export MEDIC_INVENTORY=${state.inventoryFile}`);
    expect(text).toContain(`export MEDIC_KNOWN_HOSTS=${state.knownHostsFile}`);
    expect(text).toContain(`export MEDIC_SSH_KEY=${state.keyFile}`);
    expect(text).toContain(state.address);
    expect(state.extras).toEqual(["dhcp"]);

    const again = capture();
    await expect(run(["up", "--prefix", prefix], again.io)).rejects.toThrow(/already up/);

    const fault = capture();
    expect(await run(["fault", "tap_not_enslaved", "--prefix", prefix], fault.io)).toBe(0);
    expect(fault.out.join("")).toMatch(/injected #1 tap_not_enslaved/);
    const { execFileSync } = await import("node:child_process");
    const vnet0 = JSON.parse(
      execFileSync("ip", ["-n", `${prefix}host`, "-j", "link", "show", "dev", "vnet0"], { encoding: "utf8" }),
    );
    expect(vnet0[0].master).toBeUndefined();

    const refused = capture();
    expect(await run(["fault", "vlan_filtering_mismatch", "--prefix", prefix], refused.io)).toBe(1);
    expect(refused.err.join("")).toMatch(/not injected/);

    const down = capture();
    expect(await run(["down", "--prefix", prefix], down.io)).toBe(0);
    expect(down.out.join("")).toMatch(/removed/);
    expect(namespacesOfPrefix(prefix)).toEqual([]);
    expect(rootLinksOfPrefix(prefix)).toEqual([]);
    expect(readState(prefix)).toBeNull();

    const none = capture();
    expect(await run(["fault", "bridge_down", "--prefix", prefix], none.io)).toBe(1);
    expect(none.err.join("")).toMatch(/no lab "hmlc" is up/);
  });
});
