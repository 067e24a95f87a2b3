import type { DiagnosisResult, Finding, HostDiagnosis, Language } from "../diagnosis/types.js";
import { fillText } from "./messages.js";
import type { Button, Reply, Section } from "./types.js";

const L = {
  en: {
    report: "Diagnosis of {hosts} (incident #{incident})",
    noCause:
      "No known cause fired on {host}: the host-side checks came back clean. If the problem persists, look inside the guest (its firewall, IP and routes) via `virsh console`.",
    status: "{host}: {status} — {error}",
    evidence: "Evidence",
    check: "Check",
    fix: "Fix",
    rollback: "Roll back",
    confirmed: "This was it",
    rejected: "Not it",
    runFix: "Run fix",
    showEvidence: "Show evidence",
    confirmTitle: "Run this fix?",
    confirmGo: "Run it",
    confirmNo: "Cancel",
    similar: "Similar past incidents",
    distinguish: "Top causes are close; to tell them apart",
    notes: "Notes",
    likely: "likely",
  },
  zh: {
    report: "{hosts} 的诊断结果（事件 #{incident}）",
    noCause:
      "{host} 上没有触发任何已知原因：宿主机侧检查均正常。如果问题仍在，请通过 `virsh console` 检查虚拟机内部（防火墙、IP、路由）。",
    status: "{host}：{status} — {error}",
    evidence: "证据",
    check: "检查",
    fix: "修复",
    rollback: "回滚",
    confirmed: "就是这个",
    rejected: "不是这个",
    runFix: "执行修复",
    showEvidence: "查看证据",
    confirmTitle: "执行此修复？",
    confirmGo: "执行",
    confirmNo: "取消",
    similar: "相似的以往事件",
    distinguish: "前两个原因接近，区分方法",
    notes: "备注",
    likely: "可能性",
  },
} as const;

export interface ButtonValue {
  incident: number;
  cause?: string;
  host?: string;
}

export function encodeValue(v: ButtonValue): string {
  return JSON.stringify(v);
}

export function decodeValue(value: string): ButtonValue | undefined {
  try {
    const v = JSON.parse(value) as ButtonValue;
    return Number.isInteger(v.incident) ? v : undefined;
  } catch {
    return undefined;
  }
}

const codeBlock = (lines: string[]) => `\`\`\`\n${lines.join("\n")}\n\`\`\``;

function findingSection(incident: number, host: string, f: Finding, rank: number, lang: Language): Section {
  const l = L[lang];
  const parts = [f.explanation];
  if (f.evidence.length) parts.push(`*${l.evidence}*\n${f.evidence.map((e) => `• ${e}`).join("\n")}`);
  if (f.check.length) parts.push(`*${l.check}*\n${codeBlock(f.check)}`);
  if (f.fix.length) parts.push(`*${l.fix}*\n${codeBlock(f.fix)}`);
  if (f.rollback.length) parts.push(`*${l.rollback}*\n${codeBlock(f.rollback)}`);
  const value = encodeValue({ incident, cause: f.id, host });
  const buttons: Button[] = [
    { action: "feedback_confirm", label: l.confirmed, value, style: "primary" },
    { action: "feedback_reject", label: l.rejected, value },
  ];
  if (f.fix.length)
    buttons.push({
      action: "run_fix",
      label: l.runFix,
      value,
      style: "danger",
      confirm: {
        title: l.confirmTitle,
        text: `${host}:\n${f.fix.join("\n")}`,
        confirm: l.confirmGo,
        deny: l.confirmNo,
      },
    });
  return {
    title: `${rank}. ${f.title} — ${Math.round(f.confidence * 100)}%`,
    text: parts.join("\n\n"),
    context: [`${host} · \`${f.id}\``],
    buttons,
  };
}

function hostSections(incident: number, h: HostDiagnosis, lang: Language): Section[] {
  const l = L[lang];
  if (h.status !== "diagnosed")
    return [
      { title: h.host, text: fillText(l.status, { host: h.host, status: h.status, error: h.error ?? "" }) },
    ];
  const sections: Section[] = [];
  const shown = h.causes.filter((c, i) => i < 3 || c.confidence >= 0.5).slice(0, 5);
  if (!shown.length) sections.push({ title: h.host, text: fillText(l.noCause, { host: h.host }) });
  shown.forEach((f, i) => {
    sections.push(findingSection(incident, h.host, f, i + 1, lang));
  });
  if (h.distinguish) sections.push({ text: `*${l.distinguish}:* ${h.distinguish}` });
  if (h.notes?.length) sections.push({ text: `_${l.notes}:_ ${h.notes.join("; ")}` });
  return sections;
}

/** A diagnosis as chat replies: one section per finding, with its buttons. */
export function renderDiagnosis(result: DiagnosisResult, lang: Language): Reply {
  const l = L[lang];
  const hosts = result.hosts.map((h) => h.host).join(", ");
  const sections: Section[] = [{ title: fillText(l.report, { hosts, incident: result.incident }), text: "" }];
  for (const h of result.hosts) sections.push(...hostSections(result.incident, h, lang));
  if (result.similar_incidents.length)
    sections.push({
      text: `*${l.similar}*\n${result.similar_incidents
        .slice(0, 5)
        .map((s) => `• #${s.incident} \`${s.cause}\` on ${s.host} (${Math.round(s.score * 100)}%)`)
        .join("\n")}`,
    });
  // Evidence exists only where a host was reached.
  if (result.hosts.some((h) => h.status === "diagnosed"))
    sections.push({
      text: " ",
      buttons: [
        { action: "show_evidence", label: l.showEvidence, value: encodeValue({ incident: result.incident }) },
      ],
    });
  const summary = result.hosts
    .map((h) =>
      h.status !== "diagnosed"
        ? `${h.host}: ${h.status}`
        : h.causes[0]
          ? `${h.host}: ${h.causes[0].id} (${Math.round(h.causes[0].confidence * 100)}%)`
          : `${h.host}: —`,
    )
    .join("; ");
  return {
    text: `${fillText(l.report, { hosts, incident: result.incident })}: ${summary}`,
    sections,
    language: lang,
  };
}
