/**
 * Slack's wire text → what a person typed: entities decoded, auto-links back to their label
 * (`<http://kvm01.example.com|kvm01.example.com>` → `kvm01.example.com`), channel links to #name.
 * User mentions (<@U…>) stay: the core strips them.
 */
export function fromSlackText(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]*)\|([^>]*)>/g, "$2")
    .replace(/<((?:https?|mailto):[^|>]*)>/g, "$1")
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, "#$1")
    .replace(/<!([a-z]+)(?:\|[^>]*)?>/g, "@$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const EPHEMERAL_COMMAND = /^(?:help|\?|usage|帮助|幫助|怎么用|用法|search|find|搜索|查找|搜)(?:\s|$)/i;

/** /medic requests answered to the asker only (help, search); the rest open an incident thread. */
export function isPersonalCommand(text: string): boolean {
  return text.trim() === "" || EPHEMERAL_COMMAND.test(text.trim());
}
