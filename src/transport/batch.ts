import { DEFAULT_MAX_BYTES, shQuote, wrapCommand } from "./exec-common.js";
import type { BatchItem } from "./types.js";

/** What the batch driver reports for one command. */
export interface BatchSection {
  index: number;
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Full sizes on the host, before the cap. */
  stdoutSize: number;
  stderrSize: number;
}

const MARK = "@@hostmedic";

/**
 * A POSIX sh script (fed to `sh -s`) that runs every command at once in the background, each under
 * its own `timeout` (and `sudo -n` when asked), each writing to files in a private temp directory
 * bounded by `ulimit -f`; as each finishes, it prints a header line with the exit code and sizes,
 * then the capped stdout and stderr. One session instead of one per command: on hosts where every
 * login shell reads slow rc files, that is most of the time saved.
 */
export function batchScript(items: BatchItem[], sudo: (item: BatchItem) => boolean, nonce: string): string {
  const jobs = items.map((item, i) => {
    const max = item.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const run = wrapCommand(item.command, item.options.timeoutMs, sudo(item));
    return `{ ${run.replace(/^exec /, "")} >${i}.o 2>${i}.e </dev/null; echo "${i} $? ${max}"; } &`;
  });
  // Blocks of 512 bytes (dash, busybox; bash counts 1024): room for the largest cap + 1 byte, so "more
  // than the cap" is still seen, while a runaway writer cannot fill the disk. Set once for all jobs:
  // the driver itself only writes to its stdout, which the limit does not touch.
  const largest = Math.max(...items.map((item) => item.options.maxBytes ?? DEFAULT_MAX_BYTES));
  const blocks = Math.ceil((largest + 1) / 512) + 1;
  return [
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/hostmedic.XXXXXX") && cd "$d" || exit 111`,
    `trap 'cd /; rm -rf "$d"' EXIT`,
    `ulimit -f ${blocks} 2>/dev/null`,
    `printf '%s\\n' ${shQuote(`${MARK}:${nonce}:start`)}`,
    // Few processes per command: one wc for both sizes, one cat (head only past the cap).
    "emit() {",
    "  i=$1 rc=$2 max=$3",
    '  set -- $(wc -c "$i.o" "$i.e")',
    "  o=$1 e=$3 oc=$1 ec=$3",
    '  [ "$o" -gt "$max" ] && oc=$max',
    '  [ "$e" -gt "$max" ] && ec=$max',
    `  printf '%s:%s:%s:%s:%s:%s:%s:%s\\n' ${shQuote(MARK)} ${shQuote(nonce)} "$i" "$rc" "$o" "$e" "$oc" "$ec"`,
    '  if [ "$oc" = "$o" ] && [ "$ec" = "$e" ]; then cat "$i.o" "$i.e"; else head -c "$max" "$i.o"; head -c "$max" "$i.e"; fi',
    "}",
    "{",
    ...jobs.map((j) => `  ${j}`),
    "  wait",
    '} | while read -r i rc max; do emit "$i" "$rc" "$max"; done',
    "",
  ].join("\n");
}

/**
 * Reads the driver's stdout: anything before the start line is ignored (rc files may print), then
 * header lines each followed by exactly the announced number of bytes.
 */
export class BatchParser {
  private buf: Buffer = Buffer.alloc(0);
  private started = false;
  private pending: {
    header: Omit<BatchSection, "stdout" | "stderr">;
    outLen: number;
    errLen: number;
  } | null = null;

  constructor(
    private readonly nonce: string,
    private readonly onStart: () => void,
    private readonly onSection: (section: BatchSection) => void,
  ) {}

  get hasStarted(): boolean {
    return this.started;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.started) {
        const start = Buffer.from(`${MARK}:${this.nonce}:start\n`);
        const at = this.buf.indexOf(start);
        if (at < 0) {
          // Keep a tail long enough to hold a start line cut in two.
          if (this.buf.length > start.length) this.buf = this.buf.subarray(this.buf.length - start.length);
          return;
        }
        this.buf = this.buf.subarray(at + start.length);
        this.started = true;
        this.onStart();
        continue;
      }
      if (!this.pending) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) return;
        const line = this.buf.subarray(0, nl).toString("latin1");
        this.buf = this.buf.subarray(nl + 1);
        const m = /^@@hostmedic:([0-9a-f]+):(\d+):(\d+):(\d+):(\d+):(\d+):(\d+)$/.exec(line);
        if (!m || m[1] !== this.nonce)
          throw new Error(`batch output out of step: ${JSON.stringify(line.slice(0, 80))}`);
        this.pending = {
          header: {
            index: Number(m[2]),
            exitCode: Number(m[3]),
            stdoutSize: Number(m[4]),
            stderrSize: Number(m[5]),
          },
          outLen: Number(m[6]),
          errLen: Number(m[7]),
        };
      }
      const need = this.pending.outLen + this.pending.errLen;
      if (this.buf.length < need) return;
      const { header, outLen } = this.pending;
      const stdout = Buffer.from(this.buf.subarray(0, outLen));
      const stderr = Buffer.from(this.buf.subarray(outLen, need));
      this.buf = this.buf.subarray(need);
      this.pending = null;
      this.onSection({ ...header, stdout, stderr });
    }
  }
}
