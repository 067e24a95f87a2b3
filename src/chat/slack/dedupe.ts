import type Database from "better-sqlite3";

/**
 * Slack delivers an event again when it thinks the first delivery failed (x-slack-retry-num, same
 * event_id). The ids are kept in SQLite, so a restart between the two does not run a diagnosis
 * twice. Claiming is one INSERT, atomic even when two deliveries race.
 */
export class ProcessedEvents {
  private readonly insert;
  private readonly purge;

  constructor(db: Database.Database) {
    this.insert = db.prepare("INSERT OR IGNORE INTO processed_events (event_id) VALUES (?)");
    this.purge = db.prepare(
      "DELETE FROM processed_events WHERE received_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
    );
  }

  /** True the first time an event id is seen, false for every later delivery. */
  claim(eventId: string): boolean {
    return this.insert.run(eventId).changes === 1;
  }

  /** Slack retries for minutes, not days: older ids can go. */
  prune(days = 7): number {
    return this.purge.run(`-${days} days`).changes;
  }
}
