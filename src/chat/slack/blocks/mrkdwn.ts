/** Slack's mrkdwn treats &, < and > as control characters; everything else passes through. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Markdown links [label](https://…) become Slack links, after escaping. */
export function toMrkdwn(text: string): string {
  return escapeMrkdwn(text).replace(
    /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]{1,1000})\)/g,
    (_m, label: string, url: string) => `<${url}|${label}>`,
  );
}

/** Cuts to at most max characters (code points kept whole), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Do not leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

const FENCE = "```";
const CLOSE = `\n${FENCE}`;
const OPEN = `${FENCE}\n`;

function togglesFence(line: string): boolean {
  return (line.split(FENCE).length - 1) % 2 === 1;
}

/**
 * Splits mrkdwn into chunks of at most max characters, at line ends where possible. A chunk that
 * ends inside a ``` block closes it and the next one reopens it, so every chunk renders on its own.
 */
export function splitMrkdwn(text: string, max: number): string[] {
  if (max < 16) throw new RangeError("splitMrkdwn: max must be at least 16");
  if (text.length <= max) return [text];
  const chunks: string[] = [];
  let cur = "";
  let fresh = true; // cur holds nothing of the text yet (maybe a reopened fence)
  let inFence = false;
  const room = () => max - (inFence ? CLOSE.length : 0);
  const flush = () => {
    chunks.push(inFence ? cur + CLOSE : cur);
    cur = inFence ? OPEN : "";
    fresh = true;
  };
  for (const line of text.split("\n")) {
    let rest = line;
    do {
      const sep = fresh ? "" : "\n";
      const space = room() - cur.length - sep.length;
      if (rest.length <= space) {
        cur += sep + rest;
        rest = "";
        fresh = false;
        break;
      }
      // Start a new chunk when the line fits whole in one, or nothing fits here any more.
      if (!fresh && (rest.length <= max - 2 * CLOSE.length || space < 1)) {
        flush();
        continue;
      }
      cur += sep + rest.slice(0, space);
      rest = rest.slice(space);
      fresh = false;
      flush();
    } while (rest.length > 0);
    if (togglesFence(line)) inFence = !inFence;
  }
  if (!fresh || cur.trim() !== "") chunks.push(cur);
  return chunks.filter((c) => c.trim() !== "" && c !== OPEN);
}
