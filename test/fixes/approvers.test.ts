import { describe, expect, it } from "vitest";
import { Approvers } from "../../src/fixes/approvers.js";

/** A directory as Slack's usergroups.users.list answers it, counting the calls it gets. */
function directory(groups: Record<string, string[]>, failFirst = 0) {
  const calls: string[] = [];
  let failures = failFirst;
  return {
    calls,
    lookup: async (group: string) => {
      calls.push(group);
      if (failures > 0) {
        failures--;
        throw new Error("ratelimited");
      }
      const users = groups[group];
      if (!users) throw new Error("no_such_subteam");
      return users;
    },
  };
}

describe("Approvers: who may approve fixes", () => {
  it("approves listed user ids and members of listed user groups, nobody else", async () => {
    const a = new Approvers(["U0BOSS", "S0OPS"]);
    const d = directory({ S0OPS: ["U0ALICE", "U0BOB"] });
    a.setGroupLookup(d.lookup);
    expect(await a.isApprover("U0BOSS")).toBe(true);
    expect(await a.isApprover("U0ALICE")).toBe(true);
    expect(await a.isApprover("U0MALLORY")).toBe(false);
    // Listed user ids need no lookup; the group is looked up once and then cached.
    expect(d.calls).toEqual(["S0OPS"]);
  });

  it("asks the directory once per group within the cache time, and again after it", async () => {
    let now = 1_000;
    const a = new Approvers(["S0OPS"], 60_000, () => now);
    const d = directory({ S0OPS: ["U0ALICE"] });
    a.setGroupLookup(d.lookup);
    for (let i = 0; i < 5; i++) expect(await a.isApprover("U0ALICE")).toBe(true);
    expect(d.calls).toHaveLength(1);
    now += 61_000;
    await a.isApprover("U0ALICE");
    expect(d.calls).toHaveLength(2);
  });

  it("denies while the directory fails, and retries at the next click instead of caching the failure", async () => {
    const a = new Approvers(["S0OPS"]);
    const d = directory({ S0OPS: ["U0ALICE"] }, 1);
    a.setGroupLookup(d.lookup);
    expect(await a.isApprover("U0ALICE")).toBe(false);
    expect(await a.isApprover("U0ALICE")).toBe(true);
    expect(d.calls).toHaveLength(2);
  });

  it("approves nobody through a group when no directory is connected (the console has none)", async () => {
    const a = new Approvers(["S0OPS"]);
    expect(await a.isApprover("U0ALICE")).toBe(false);
    expect(await new Approvers([]).isApprover("U0ANY")).toBe(false);
  });
});
