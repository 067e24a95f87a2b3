import { loadConfig } from "../config.js";
import { openDatabase } from "../store/db.js";
import { schemaVersion } from "../store/migrate.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(
      "usage: hostmedic migrate\n\nCreates the database (MEDIC_DB) when needed, applies new migrations, prints the schema version.",
    );
    return EXIT.ok;
  }
  if (argv.length) {
    io.err(`hostmedic migrate: unexpected argument "${argv[0]}"`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const db = openDatabase(config.db);
  try {
    io.out(`database ${config.db} is at schema version ${schemaVersion(db)}`);
  } finally {
    db.close();
  }
  return EXIT.ok;
}
