import type { Evidence, EvidenceBundle } from "../probes/types.js";
import type { Language } from "./types.js";

const firstLine = (s: string) =>
  s
    .split("\n")
    .find((l) => l.trim() !== "")
    ?.trim()
    .slice(0, 200) ?? "";

function note(e: Evidence, lang: Language): string | undefined {
  const zh = lang === "zh";
  const why = e.note ? `: ${e.note}` : "";
  switch (e.status) {
    case "ok":
      return undefined;
    case "skipped":
      // Active probes without targets are never selected; a skip with a reason is worth a line.
      return e.note ? `${e.probe}: ${e.note}` : undefined;
    case "missing_tool":
      // The command itself can be a long script; the probe id names the tool well enough.
      if (e.note) return `${e.probe}: ${e.note}`;
      return zh ? `${e.probe}：主机上没有安装` : `${e.probe}: not installed on the host`;
    case "permission_denied":
      return zh
        ? `${e.probe}：权限不足（需要 root 或免密 sudo -n）`
        : `${e.probe}: permission denied (needs root or passwordless sudo -n)`;
    case "timeout":
      return zh ? `${e.probe}：超时（${e.durationMs} ms）` : `${e.probe}: timed out after ${e.durationMs} ms`;
    case "parse_error":
      return zh ? `${e.probe}：输出无法解析${why}` : `${e.probe}: its output could not be read${why}`;
    case "failed": {
      const detail = e.note ?? firstLine(e.stderr);
      return zh
        ? `${e.probe}：执行失败（退出码 ${e.exitCode ?? "无"}）${detail ? `：${detail}` : ""}`
        : `${e.probe}: failed (exit ${e.exitCode ?? "none"})${detail ? `: ${detail}` : ""}`;
    }
  }
}

/** Evidence that could not be collected, in words for the report ("nft: permission denied"). */
export function evidenceNotes(bundle: EvidenceBundle, lang: Language): string[] {
  const out: string[] = [];
  for (const e of bundle.evidence) {
    const n = note(e, lang);
    if (n) out.push(n);
    if (e.truncated && e.status === "ok")
      out.push(lang === "zh" ? `${e.probe}：输出过长已截断` : `${e.probe}: output was cut (too long)`);
  }
  return out;
}
