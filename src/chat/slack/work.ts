import type { Logger } from "../../log.js";

/**
 * Work started by a Slack request after it was acknowledged. Listeners return at once (Slack
 * wants an answer within 3 s); stop() and tests wait for the work still running.
 */
export class Work {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  run(what: string, job: () => Promise<void>): void {
    const p = job()
      .catch((err) => this.log.error({ err, what }, "Slack request failed"))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Resolves once nothing is running (including work started while waiting). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
