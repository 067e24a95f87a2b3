import type { Lab } from "../lab.js";
import type { NsKey } from "../plan.js";

/** Runs argv in a lab namespace and throws with its stderr when it fails: injections must really happen. */
export async function must(lab: Lab, ns: NsKey, argv: readonly string[]): Promise<string> {
  const r = await lab.exec(ns, argv);
  if (r.code !== 0) {
    throw new Error(`${ns}: ${argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Several commands in one namespace, in order. */
export async function mustAll(lab: Lab, ns: NsKey, commands: readonly (readonly string[])[]): Promise<void> {
  for (const argv of commands) await must(lab, ns, argv);
}

export const ipCmd = (...args: string[]): string[] => ["ip", ...args];
export const bridgeCmd = (...args: string[]): string[] => ["bridge", ...args];
export const sysctlCmd = (...settings: string[]): string[] => ["sysctl", "-q", "-w", ...settings];

/**
 * What the complaining user did: a couple of pings that fail (or not), so counters, neighbour states
 * and kernel log lines exist when the probes look. Results are ignored on purpose.
 */
export async function userTraffic(lab: Lab, pings: readonly [NsKey, string][]): Promise<void> {
  await Promise.all(
    pings.map(([ns, target]) =>
      lab.exec(ns, ["ping", "-n", "-q", "-c", "2", "-i", "0.3", "-W", "1", target]),
    ),
  );
}

/** A user who keeps trying (a monitoring ping), until the lab goes down. */
export function keepPinging(lab: Lab, ns: NsKey, target: string, interval = "1"): void {
  lab.background(ns, ["ping", "-n", "-q", "-i", interval, target]);
}
