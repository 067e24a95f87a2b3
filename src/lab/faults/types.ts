import type { Lab } from "../lab.js";
import type { Extra } from "../plan.js";

/** One cause of the catalog that the lab can reproduce for real. */
export interface Fault {
  /** The cause id of kvm-network-causes.md (e.g. "tap_not_enslaved"). */
  id: string;
  /** Catalog number (§3), for people reading lists. */
  number: number;
  /** What inject() does to the lab, in one line. */
  description: string;
  /** A typical complaint a user would write when this is the cause. */
  symptom: { en: string; zh: string };
  /** The IPs the complaint is about (the request's targets). */
  targets: string[];
  /** Optional topology parts inject() turns on (listed so a test can check the healthy state first). */
  needs?: Extra[];
  inject(lab: Lab): Promise<void>;
}
