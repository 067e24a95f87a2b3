import type { Button, Reply } from "../../conversation/types.js";

/** Slack-style markup → plain terminal text. */
function plain(text: string): string {
  return text
    .replace(/```\n?/g, "")
    .replace(/\*([^*\n]+)\*/g, "$1")
    .replace(/(^|\s)_([^_\n]+)_/g, "$1$2");
}

/** A reply as terminal lines; buttons become numbered choices starting at `firstChoice`. */
export function renderReply(reply: Reply, firstChoice: number): { lines: string[]; buttons: Button[] } {
  const lines: string[] = [];
  const buttons: Button[] = [];
  if (!reply.sections?.length) lines.push(plain(reply.text));
  for (const s of reply.sections ?? []) {
    if (s.title) lines.push("", `== ${plain(s.title)} ==`);
    if (s.text.trim()) lines.push(plain(s.text));
    for (const c of s.context ?? []) lines.push(`   (${plain(c)})`);
    if (s.buttons?.length) {
      const labels = s.buttons.map((b) => {
        buttons.push(b);
        return `[${firstChoice + buttons.length - 1}] ${b.label}`;
      });
      lines.push(`   ${labels.join("   ")}`);
    }
  }
  if (reply.file)
    lines.push("", `--- ${reply.file.title} (${reply.file.name}) ---`, reply.file.content, "--- end ---");
  return { lines, buttons };
}
