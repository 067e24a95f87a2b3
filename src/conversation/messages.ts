import type { Language } from "../diagnosis/types.js";

/** Every fixed sentence the bot says, in both languages it answers in. */
const TEXTS = {
  help: {
    en: [
      "*hostmedic* troubleshoots connectivity between a KVM host and its VMs (bridges, taps, NAT, firewalls, ARP, MTU, STP, VLANs).",
      "• `HOST [SYMPTOM]` — diagnose a host or group, e.g. `kvm01 vm 198.51.100.10 cannot reach the host`",
      "• `search QUERY` — find past incidents, e.g. `search forward drop`",
      "• `help` — this text",
      "In a thread, follow-ups continue the same incident: `and 198.51.100.11?`, `try kvm02`.",
      "Fixes run only after an approver clicks *Run fix*; hostmedic checks afterwards that the cause is gone.",
    ].join("\n"),
    zh: [
      "*hostmedic* 排查 KVM 宿主机与虚拟机之间的网络问题（网桥、tap、NAT、防火墙、ARP、MTU、STP、VLAN）。",
      "• `主机 [症状]` — 诊断一台主机或一个组，例如 `kvm01 虚拟机 198.51.100.10 连不上宿主机`",
      "• `search 关键词` / `搜索 关键词` — 查找以往的事件",
      "• `help` / `帮助` — 显示本说明",
      "在同一个线程里继续提问会延续同一个事件，例如 `那 198.51.100.11 呢？`、`试试 kvm02`。",
      "修复只有在审批人点击“执行修复”后才会运行，运行后 hostmedic 会再次检查问题是否消失。",
    ].join("\n"),
  },
  whatICanDo: {
    en: "I can diagnose a host from the inventory (`HOST [SYMPTOM]`), search past incidents (`search QUERY`) or show `help`.",
    zh: "我可以诊断清单中的主机（`主机 [症状]`）、搜索以往事件（`search 关键词`），或显示 `帮助`。",
  },
  whichHost: {
    en: "Which host should I check? Known hosts: {hosts}. Say e.g. `{example} {symptom}`.",
    zh: "要检查哪台主机？已知主机：{hosts}。例如：`{example} {symptom}`。",
  },
  unknownHost: {
    en: "I do not know the host `{word}`{suggest}. Only hosts in the inventory can be diagnosed.",
    zh: "清单中没有主机 `{word}`{suggest}。只能诊断清单中的主机。",
  },
  didYouMean: { en: " — did you mean {names}?", zh: "，你是不是指 {names}？" },
  checking: { en: "Checking {hosts}…", zh: "正在检查 {hosts}…" },
  connecting: { en: "Connecting to {host}…", zh: "正在连接 {host}…" },
  collecting: {
    en: "Checking {host}: {done}/{total} probes…",
    zh: "正在检查 {host}：{done}/{total} 项探测…",
  },
  evaluating: { en: "Evaluating the evidence from {host}…", zh: "正在分析 {host} 的证据…" },
  noResults: { en: "No past incident matches `{query}`.", zh: "没有与 `{query}` 匹配的以往事件。" },
  searchResults: { en: "Past incidents matching `{query}`:", zh: "与 `{query}` 匹配的以往事件：" },
  searchUsage: { en: "Say what to search for: `search QUERY`.", zh: "请说明要搜索什么：`search 关键词`。" },
  feedbackConfirmed: {
    en: "Thanks — recorded `{cause}` as the cause of incident #{incident}. It will rank higher for similar problems.",
    zh: "谢谢——已将 `{cause}` 记录为事件 #{incident} 的原因，今后类似问题会优先考虑它。",
  },
  feedbackRejected: {
    en: "Thanks — recorded that `{cause}` was not the cause of incident #{incident}.",
    zh: "谢谢——已记录 `{cause}` 不是事件 #{incident} 的原因。",
  },
  noEvidence: { en: "No evidence is kept for incident #{incident}.", zh: "事件 #{incident} 没有保存证据。" },
  evidenceFile: { en: "Evidence of incident #{incident}", zh: "事件 #{incident} 的证据" },
  failed: {
    en: "Something went wrong: {error}. The incident and what was gathered so far are kept.",
    zh: "出错了：{error}。事件和已收集的证据都已保存。",
  },
  failedNotKept: {
    en: "Something went wrong and the incident could not be saved: {error}.",
    zh: "出错了，事件未能保存：{error}。",
  },
  fixesUnavailable: {
    en: "Running fixes is not available here yet; the commands are in the report for an operator to run.",
    zh: "此处尚不能执行修复；报告中列出了命令，可由运维人员手动执行。",
  },
} as const;

export type TextKey = keyof typeof TEXTS;

export function t(key: TextKey, language: Language, vars: Record<string, string | number> = {}): string {
  return fillText(TEXTS[key][language], vars);
}

/** Puts vars into the {name} placeholders of a sentence; a placeholder without a value stays as written. */
export function fillText(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Chinese when the text has CJK ideographs, else English. */
export function languageOf(text: string): Language {
  return /[\u3400-\u9fff]/.test(text) ? "zh" : "en";
}
