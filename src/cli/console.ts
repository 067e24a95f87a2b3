import { start } from "../main.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(
      "usage: hostmedic console\n\nThe chat in the terminal: the same answers as in Slack, buttons as numbered choices.\nType `help`; Ctrl-D leaves.",
    );
    return EXIT.ok;
  }
  return start("console");
}
