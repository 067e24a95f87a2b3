import type Database from "better-sqlite3";
import { CaseStore } from "./cases.js";
import { type CauseTitles, IncidentStore } from "./incidents.js";

/** The repositories over one database, as the domain code receives them. */
export interface Repositories {
  db: Database.Database;
  incidents: IncidentStore;
  cases: CaseStore;
}

/** `titles` gives cause titles in both languages so that search finds either. */
export function repositories(db: Database.Database, titles?: CauseTitles): Repositories {
  return { db, incidents: new IncidentStore(db, titles), cases: new CaseStore(db, titles) };
}
