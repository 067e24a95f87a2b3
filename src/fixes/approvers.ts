/**
 * Who may approve fixes: MEDIC_APPROVERS user ids directly, user-group ids (S…) expanded through
 * the chat's directory (Slack: usergroups.users.list), cached briefly so a burst of clicks costs
 * one lookup and a changed group is seen within a minute.
 */
export class Approvers {
  private lookup?: (groupId: string) => Promise<string[]>;
  private readonly cache = new Map<string, { users: Set<string>; at: number }>();

  constructor(
    private readonly ids: string[],
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  setGroupLookup(lookup: (groupId: string) => Promise<string[]>): void {
    this.lookup = lookup;
  }

  async isApprover(user: string): Promise<boolean> {
    if (this.ids.includes(user)) return true;
    for (const group of this.ids.filter((id) => id.startsWith("S"))) {
      if ((await this.members(group)).has(user)) return true;
    }
    return false;
  }

  private async members(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.users;
    if (!this.lookup) return new Set();
    // A failed lookup denies (never approves by accident) and is not cached, so the next click retries.
    let users: Set<string>;
    try {
      users = new Set(await this.lookup(group));
    } catch {
      return new Set();
    }
    this.cache.set(group, { users, at: this.now() });
    return users;
  }
}
