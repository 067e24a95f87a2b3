/**
 * A target that answers no ARP while another guest of its bridge answers from an address nobody asked
 * about: a re-addressed guest (subnet_mismatch) or a silent one (arp_resolution_failed)? Real captures
 * of the held-out hosts (test/heldout), without virsh to say which guest is which.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildFacts } from "../../src/facts/build.js";
import { loadKnowledge } from "../../src/knowledge/index.js";
import type { EvidenceBundle } from "../../src/probes/types.js";

const DIR = join(import.meta.dirname, "../fixtures/heldout");
const kb = loadKnowledge();

async function ranked(file: string): Promise<string[]> {
  const bundle = JSON.parse(readFileSync(join(DIR, file), "utf8")) as EvidenceBundle;
  const found = await kb.evaluate(buildFacts(bundle), {
    categories: ["host_guest"],
    targets: bundle.targets,
    language: "en",
  });
  return found.map((f) => f.id);
}

describe("a guest that may have moved", () => {
  it("every guest of the bridge has an address: the one answering from a new address moved", async () => {
    // subnet_mismatch on a warm host: both guests known by address, the target's MAC now at another.
    const ids = await ranked("subnet_mismatch_warm.json");
    expect(ids[0]).toBe("subnet_mismatch");
    expect(ids).not.toContain("arp_resolution_failed");
  });

  // Without virsh these two captures look alike from the host: one guest silent, one answering from
  // an address nobody named. Both readings are listed; the one that explains the break comes first.
  it("the target's guest is silent (ARP off) while its neighbour answers: both readings listed", async () => {
    const ids = await ranked("arp_silent_guest_warm.json");
    expect(ids.slice(0, 2)).toEqual(["subnet_mismatch", "arp_resolution_failed"]);
  });

  it("the other guest is silent and the re-addressed one answers: both readings listed", async () => {
    const ids = await ranked("subnet_mismatch_silent_neighbour.json");
    expect(ids.slice(0, 2)).toEqual(["subnet_mismatch", "arp_resolution_failed"]);
  });
});
