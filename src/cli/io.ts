/** Where a command writes; tests pass their own, the binary passes stdout/stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** Exit codes of CONTRACT.md. */
export const EXIT = { ok: 0, failure: 1, usage: 2, unreachable: 3 } as const;

export function wantsHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}
