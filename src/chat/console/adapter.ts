import { createInterface } from "node:readline";
import type { Conversation } from "../../conversation/core.js";
import type { Button, Reply, ReplySink } from "../../conversation/types.js";
import { renderReply } from "./render.js";

export interface ConsoleIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Show a prompt (interactive terminals only). */
  prompt: boolean;
}

const USER = "console";
const CHANNEL = "console";

/**
 * The terminal chat: the same conversation core as Slack, one thread per session, buttons as
 * numbered choices (type the number). Ends on end of input (Ctrl-D) or close().
 */
export class ConsoleAdapter {
  private choices: Button[] = [];
  private readonly thread = `console-${process.pid}-${Date.now()}`;
  private closed = false;
  private readonly rl;

  constructor(
    private readonly conversation: Conversation,
    private readonly io: ConsoleIo,
  ) {
    this.rl = createInterface({ input: io.input, terminal: false });
  }

  private write(line: string): void {
    this.io.output.write(`${line}\n`);
  }

  private sink(): ReplySink {
    let lastProgress = "";
    return {
      post: async (reply: Reply) => {
        const { lines, buttons } = renderReply(reply, this.choices.length + 1);
        this.choices.push(...buttons);
        for (const l of lines) this.write(l);
      },
      progress: async (text: string) => {
        // A terminal keeps every line: show each stage once, not every probe counted in it.
        const stage = text.replace(/\d+/g, "#");
        if (stage !== lastProgress) this.write(`… ${text}`);
        lastProgress = stage;
      },
    };
  }

  /** Reads lines until end of input; resolves when the session is over. */
  async run(): Promise<void> {
    const ask = () => {
      if (this.io.prompt && !this.closed) this.io.output.write("hostmedic> ");
    };
    ask();
    const lines = this.rl[Symbol.asyncIterator]();
    while (!this.closed) {
      const next = await lines.next();
      if (next.done) break;
      const line = next.value.trim();
      if (line === "") {
        ask();
        continue;
      }
      if (line === "quit" || line === "exit") break;
      const choice = /^\d+$/.test(line) ? this.choices[Number(line) - 1] : undefined;
      if (choice) {
        if (choice.confirm) {
          this.write(`${choice.confirm.title}\n${choice.confirm.text}\n${choice.confirm.confirm}? [y/N]`);
          const answer = await lines.next();
          if (answer.done || !/^y(es)?$/i.test(answer.value.trim())) {
            this.write(choice.confirm.deny);
            ask();
            continue;
          }
        }
        await this.conversation.handleAction(
          { action: choice.action, value: choice.value, user: USER, thread: this.thread, channel: CHANNEL },
          this.sink(),
        );
      } else {
        await this.conversation.handleMessage(
          { text: line, user: USER, thread: this.thread, channel: CHANNEL },
          this.sink(),
        );
      }
      ask();
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rl.close();
    // An open stdin would keep the process alive after the chat has ended.
    if (this.io.input === process.stdin) process.stdin.destroy();
  }
}
