import { fillText } from "../conversation/messages.js";
import type { Language } from "../diagnosis/types.js";

/** Every sentence the fix flow says, in both languages. */
export const FIX_MESSAGES = {
  notApprover: {
    en: "Only approvers (MEDIC_APPROVERS) may run or roll back fixes; nothing was changed.",
    zh: "只有审批人（MEDIC_APPROVERS）可以执行或回滚修复；未做任何更改。",
  },
  selfApprove: {
    en: "You asked for this diagnosis, so someone else has to approve its fix (MEDIC_ALLOW_SELF_APPROVE is off); nothing was changed.",
    zh: "这次诊断是你发起的，修复需要由其他审批人批准（MEDIC_ALLOW_SELF_APPROVE 未开启）；未做任何更改。",
  },
  badValue: { en: "I could not tell which fix this button is for.", zh: "无法确定这个按钮对应哪个修复。" },
  noIncident: { en: "Incident #{incident} does not exist.", zh: "事件 #{incident} 不存在。" },
  noFinding: {
    en: "Incident #{incident} has no proposed fix for `{cause}` on {host}.",
    zh: "事件 #{incident} 中没有 {host} 上 `{cause}` 的修复建议。",
  },
  noFixCommands: {
    en: "`{cause}` on {host} has no fix commands to run.",
    zh: "{host} 上的 `{cause}` 没有可执行的修复命令。",
  },
  alreadyHandled: {
    en: "This fix (#{fix}) is already {state}{by}; it runs only once.",
    zh: "该修复（#{fix}）已是 {state} 状态{by}；只会执行一次。",
  },
  hostBusy: {
    en: "Another fix (#{other}) is running on {host}; try again when it has finished. Nothing was changed.",
    zh: "{host} 上正在执行另一个修复（#{other}）；请在其完成后重试。未做任何更改。",
  },
  approved: {
    en: "Fix #{fix} for `{cause}` on {host} approved by {actor}; running it now.",
    zh: "{actor} 批准了 {host} 上 `{cause}` 的修复 #{fix}；正在执行。",
  },
  stale: {
    en: "The evidence behind fix #{fix} is from {at}; collecting it again on {host} before changing anything.",
    zh: "修复 #{fix} 依据的证据来自 {at}；在更改之前先重新收集 {host} 的证据。",
  },
  causeGone: {
    en: "Not running fix #{fix}: `{cause}` no longer fires on {host} (fresh evidence {sha}). Diagnose again if the problem persists.",
    zh: "未执行修复 #{fix}：{host} 上已不再触发 `{cause}`（新证据 {sha}）。如问题仍在，请重新诊断。",
  },
  commandsChanged: {
    en: "Not running fix #{fix}: on fresh evidence the commands for `{cause}` on {host} would now be:\n```\n{commands}\n```\nDiagnose again and approve the new proposal.",
    zh: "未执行修复 #{fix}：根据新证据，{host} 上 `{cause}` 的命令将变为：\n```\n{commands}\n```\n请重新诊断并批准新的建议。",
  },
  stillValid: {
    en: "Fresh evidence ({sha}) still shows `{cause}` with the same commands; continuing.",
    zh: "新证据（{sha}）仍显示 `{cause}`，命令相同；继续执行。",
  },
  recordFailed: {
    en: "Not running fix #{fix}: could not record the current values before changing them (`{command}`: {error}). Nothing was changed.",
    zh: "未执行修复 #{fix}：无法在更改前记录当前值（`{command}`：{error}）。未做任何更改。",
  },
  deadman: {
    en: "This fix touches the management path of {host}: a dead-man timer (pid {pid}) rolls it back in {seconds} s unless verification cancels it.",
    zh: "该修复涉及 {host} 的管理通道：死手定时器（pid {pid}）将在 {seconds} 秒后回滚，除非验证成功后取消。",
  },
  output: { en: "{step} on {host}:", zh: "{host} 上的{step}：" },
  verified: {
    en: "Fix #{fix} verified: `{cause}` no longer fires on {host}. Recorded as a confirmed case. Roll back with the button if needed.",
    zh: "修复 #{fix} 已验证：{host} 上不再触发 `{cause}`。已记录为确认案例。如需回滚请点按钮。",
  },
  stillFires: {
    en: "Fix #{fix} did not cure it: `{cause}` still fires on {host}. Rolling back to the recorded values.",
    zh: "修复 #{fix} 未解决问题：{host} 上仍触发 `{cause}`。正在回滚到记录的值。",
  },
  fixFailed: {
    en: "Fix #{fix} failed on {host} (`{command}`: {error}). Rolling back to the recorded values.",
    zh: "修复 #{fix} 在 {host} 上失败（`{command}`：{error}）。正在回滚到记录的值。",
  },
  rolledBack: {
    en: "Fix #{fix} on {host} rolled back; {restored}",
    zh: "{host} 上的修复 #{fix} 已回滚；{restored}",
  },
  restoredSame: { en: "the recorded values are back.", zh: "记录的值已恢复。" },
  restoredDiffers: {
    en: "but these values still differ from the recorded ones: {which}. Check the host.",
    zh: "但以下值仍与记录的不同：{which}。请检查主机。",
  },
  hostLost: {
    en: "Fix #{fix} failed: lost {host} while running `{command}` ({error}). The host may be half-changed; {deadman}recorded values are in the audit trail (`hostmedic audit --host {host}`).",
    zh: "修复 #{fix} 失败：执行 `{command}` 时与 {host} 失去连接（{error}）。主机可能处于部分更改状态；{deadman}记录的值在审计日志中（`hostmedic audit --host {host}`）。",
  },
  deadmanPending: {
    en: "the dead-man timer rolls it back within {seconds} s; ",
    zh: "死手定时器将在 {seconds} 秒内回滚；",
  },
  deadmanFired: {
    en: "Fix #{fix} on {host} is not kept: its dead-man timer ({seconds} s) fired before verification finished and ran the rule's rollback. Diagnose again before retrying.",
    zh: "{host} 上的修复 #{fix} 未保留：死手定时器（{seconds} 秒）在验证完成前触发并执行了规则的回滚。请重新诊断后再试。",
  },
  connectFailed: {
    en: "Fix #{fix} not run: cannot reach {host} ({error}). Nothing was changed.",
    zh: "修复 #{fix} 未执行：无法连接 {host}（{error}）。未做任何更改。",
  },
  rollbackStart: {
    en: "Rolling back fix #{fix} on {host} at the request of {actor}.",
    zh: "应 {actor} 的要求回滚 {host} 上的修复 #{fix}。",
  },
  notVerified: {
    en: "Fix #{fix} is {state}; only a verified fix can be rolled back by button.",
    zh: "修复 #{fix} 的状态为 {state}；只有已验证的修复可以通过按钮回滚。",
  },
  noFixToRollBack: {
    en: "There is no verified fix for `{cause}` on {host} in incident #{incident}.",
    zh: "事件 #{incident} 中没有 {host} 上 `{cause}` 的已验证修复。",
  },
  rollbackButton: { en: "Roll back", zh: "回滚" },
  rollbackConfirmTitle: { en: "Roll back this fix?", zh: "回滚此修复？" },
  rollbackConfirmGo: { en: "Roll back", zh: "回滚" },
  cancel: { en: "Cancel", zh: "取消" },
  stepFix: { en: "Fix", zh: "修复" },
  stepVerify: { en: "Verification", zh: "验证" },
  stepRollback: { en: "Rollback", zh: "回滚" },
  stepRecord: { en: "Recorded values", zh: "记录的值" },
  error: { en: "Fix #{fix} stopped: {error}", zh: "修复 #{fix} 中止：{error}" },
} as const;

export type FixMessage = keyof typeof FIX_MESSAGES;

export function fm(key: FixMessage, lang: Language, vars: Record<string, string | number> = {}): string {
  return fillText(FIX_MESSAGES[key][lang], vars);
}
