import type { DiagnosisResult, Finding, HostDiagnosis, Language } from "../diagnosis/types.js";

const L = {
  en: {
    incident: "Incident #{id}",
    targets: "targets",
    none: "none",
    diagnosed: "diagnosed",
    noCause:
      "No known cause fired: the host-side checks came back clean. If the problem persists, look inside the guest (its firewall, address and routes).",
    lessLikely: "Less likely (below 50%)",
    evidence: "Evidence",
    check: "Check",
    fix: "Fix",
    rollback: "Roll back",
    risky: "touches the host's own management path: run it under a dead-man timer",
    distinguish: "The top causes are close; to tell them apart",
    paths: "Packet path",
    notes: "Notes",
    similar: "Similar past incidents",
    on: "on",
  },
  zh: {
    incident: "事件 #{id}",
    targets: "目标",
    none: "无",
    diagnosed: "已诊断",
    noCause:
      "没有触发任何已知原因：宿主机侧检查均正常。如果问题仍在，请检查虚拟机内部（防火墙、地址、路由）。",
    lessLikely: "可能性较低（低于 50%）",
    evidence: "证据",
    check: "检查",
    fix: "修复",
    rollback: "回滚",
    risky: "会影响宿主机自身的管理网络：请在定时回滚保护下执行",
    distinguish: "前两个原因接近，区分方法",
    paths: "数据包路径",
    notes: "备注",
    similar: "相似的以往事件",
    on: "主机",
  },
} as const;

const pct = (x: number) => `${Math.round(x * 100)}%`;

function commands(label: string, lines: string[]): string[] {
  return lines.length ? [`     ${label}:`, ...lines.map((c) => `       $ ${c}`)] : [];
}

function finding(f: Finding, rank: number, lang: Language): string[] {
  const l = L[lang];
  return [
    ` ${String(rank).padStart(2)}. [${pct(f.confidence).padStart(4)}] ${f.id} — ${f.title}`,
    ...(f.explanation ? [`     ${f.explanation}`] : []),
    ...(f.evidence.length ? [`     ${l.evidence}:`, ...f.evidence.map((e) => `       - ${e}`)] : []),
    ...commands(l.check, f.check),
    ...commands(l.fix, f.fix),
    ...(f.risky && f.fix.length ? [`       (${l.risky})`] : []),
    ...commands(l.rollback, f.rollback),
  ];
}

function host(d: HostDiagnosis, lang: Language): string[] {
  const l = L[lang];
  const head =
    d.status === "diagnosed"
      ? `== ${d.host}: ${l.diagnosed} (${d.elapsed_ms} ms)`
      : `== ${d.host}: ${d.status} — ${d.error ?? ""}`;
  const out = [head];
  const likely = d.causes.filter((c) => c.confidence >= 0.5);
  const weak = d.causes.filter((c) => c.confidence < 0.5);
  if (d.status === "diagnosed" && likely.length === 0) out.push(`   ${l.noCause}`);
  likely.forEach((f, i) => {
    out.push(...finding(f, i + 1, lang));
  });
  if (weak.length) {
    out.push(`   ${l.lessLikely}:`);
    weak.forEach((f, i) => {
      out.push(...finding(f, likely.length + i + 1, lang));
    });
  }
  if (d.distinguish) out.push(`   ${l.distinguish}: ${d.distinguish}`);
  if (d.paths?.length) out.push(`   ${l.paths}:`, ...d.paths.map((p) => `     - ${p}`));
  if (d.notes?.length) out.push(`   ${l.notes}:`, ...d.notes.map((n) => `     - ${n}`));
  return out;
}

/** The readable report of `hostmedic diagnose` (no --json). */
export function renderText(result: DiagnosisResult): string {
  const lang = result.request.language;
  const l = L[lang];
  const r = result.request;
  const out = [
    `${l.incident.replace("{id}", String(result.incident))} — ${r.hosts.join(", ")}${r.symptom ? ` — "${r.symptom}"` : ""}`,
    `${l.targets}: ${r.targets.length ? r.targets.join(", ") : l.none}`,
    "",
  ];
  for (const d of result.hosts) out.push(...host(d, lang), "");
  if (result.similar_incidents.length) {
    out.push(`${l.similar}:`);
    for (const s of result.similar_incidents)
      out.push(`  #${s.incident}  ${s.cause || "-"}  ${l.on} ${s.host || "-"}  (${pct(s.score)})`);
  }
  return `${out.join("\n").trimEnd()}\n`;
}
