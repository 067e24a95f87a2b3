import type Database from "better-sqlite3";
import { decodeValue, encodeValue } from "../conversation/report.js";
import type { Action, Reply, ReplySink } from "../conversation/types.js";
import type { DiagnosisEngine } from "../diagnosis/diagnose.js";
import type { Finding, FindingCommands, Language, SymptomCategory } from "../diagnosis/types.js";
import type { HostFacts } from "../facts/types.js";
import type { InventoryHost } from "../inventory/types.js";
import type { Logger } from "../log.js";
import type { EvidenceBundle, Probe, ProbeContext } from "../probes/types.js";
import type { CaseRecord } from "../store/cases.js";
import { CaseStore } from "../store/cases.js";
import { bundleSha256 } from "../store/incidents.js";
import { shQuote } from "../transport/exec-common.js";
import type { Transport } from "../transport/types.js";
import { fm } from "./messages.js";
import { type Remote, remote, within } from "./remote.js";
import { normalise, recordSpecs, restoreCommands } from "./snapshot.js";
import { FixStore } from "./store.js";
import type { CommandRun, Fix, FixActor, FixResult, RecordedValue } from "./types.js";

/** Causes whose fix touches the host's own management path (rules say `risky: true`). */
export const RISKY_CAUSES = new Set([
  "host_ip_on_enslaved_nic",
  "bridge_down",
  "uplink_not_enslaved",
  "firewalld_zone_misconfig",
  "networkmanager_interference",
]);

/** The edges the fix service needs; main.ts builds them (DESIGN.md: domain code gets its edges). */
export interface FixServiceDeps {
  db: Database.Database;
  inventory: { resolve(nameOrGroup: string): InventoryHost[] };
  /** connectHost(host, cfg) with the configuration bound. */
  connect(host: InventoryHost): Promise<Transport>;
  collect(transport: Transport, options: { probes: Probe[]; ctx: ProbeContext }): Promise<EvidenceBundle>;
  /** The probes to collect again for a re-diagnosis and a verification. */
  probes: Probe[] | ((ctx: ProbeContext) => Probe[]);
  buildFacts(bundle: EvidenceBundle): HostFacts;
  engine: DiagnosisEngine;
  /** Case history for the ranking (CaseStore.caseHistory); none when absent. */
  history?: (host: string, groups: string[], categories: SymptomCategory[]) => CaseRecord[];
  /** Whether a rule marks its fix risky; defaults to RISKY_CAUSES. */
  isRisky?: (cause: string) => boolean;
  log: Logger;
  clock?: () => Date;
  /** Chat users who may approve (Slack expands user groups; the console operator always is one). */
  isApprover(user: string): Promise<boolean>;
  allowSelfApprove: boolean;
  expiryMinutes: number;
  /** console: the operator at the terminal asked and approves; self-approval does not apply there. */
  source?: "slack" | "console" | "cli";
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  collectTimeoutMs?: number;
  deadmanSeconds?: number;
  /** A host lock older than this belongs to a dead process. */
  lockStaleMs?: number;
}

export interface RunFixOutcome {
  fix?: Fix;
  /** Why nothing ran, when nothing did. */
  refused?: string;
}

export interface FixService {
  /** "run_fix" and "rollback_fix" clicks from the conversation core. */
  handleAction(action: Action, sink: ReplySink, language: Language): Promise<void>;
  /** The operator at the terminal (`hostmedic fix`); the CLI has asked for confirmation already. */
  runFix(
    incident: number,
    cause: string,
    actor: FixActor,
    options: { yes: boolean; host?: string; sink?: ReplySink; language?: Language },
  ): Promise<RunFixOutcome>;
  rollback(
    incident: number,
    cause: string,
    host: string,
    actor: FixActor,
    sink: ReplySink,
    language?: Language,
  ): Promise<RunFixOutcome>;
  /** The host and commands a fix would run (for the CLI's question), or why there is none. */
  describe(
    incident: number,
    cause: string,
    host?: string,
  ): { host: string; commands: FindingCommands } | { error: string };
  store: FixStore;
}

const CAUSE = /^[a-z0-9_]{1,64}$/;
const HOST = /^[A-Za-z0-9_.:@-]{1,253}$/;
const PID = /^\d{1,10}$/;

interface StoredProposalSource {
  commands: FindingCommands;
  sha256: string;
  evidenceAt: string;
  requestedBy: string;
  categories: SymptomCategory[];
  targets: string[];
  language: Language;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** sqlite's strftime timestamps are UTC without a zone letter sometimes; read both forms. */
function parseTime(s: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(" ", "T")}Z`);
}

export function createFixService(deps: FixServiceDeps): FixService {
  const clock = deps.clock ?? (() => new Date());
  const store = new FixStore(deps.db, clock);
  const commandTimeoutMs = deps.commandTimeoutMs ?? 30_000;
  const connectTimeoutMs = deps.connectTimeoutMs ?? 20_000;
  const collectTimeoutMs = deps.collectTimeoutMs ?? 120_000;
  const deadmanSeconds = deps.deadmanSeconds ?? 120;
  const lockStaleMs = deps.lockStaleMs ?? 30 * 60_000;
  const expiryMs = deps.expiryMinutes * 60_000;
  const isRisky = deps.isRisky ?? ((c: string) => RISKY_CAUSES.has(c));
  const log = deps.log.child({ module: "fixes" });

  // A fix that was approved or running when a hostmedic process died would stay so for ever: it
  // ends as failed, and the audit trail says so, so nobody waits for it.
  try {
    const cutoff = new Date(clock().getTime() - lockStaleMs).toISOString();
    for (const fix of store.abandoned(cutoff)) {
      const reason = `hostmedic stopped while fix #${fix.id} was ${fix.state}; check ${fix.host} (the values recorded before the fix are in the audit trail)`;
      if (
        store.transition(fix.id, fix.state, "failed", {
          reason,
          result: { outcome: "failed", error: reason },
        })
      )
        audit("hostmedic", "fix_abandoned", fix, { reason, recorded: fix.recorded ?? [] });
    }
  } catch (err) {
    log.warn({ err }, "could not look for abandoned fixes");
  }

  /** The finding behind a button: the newest diagnosis of the host in the incident that has it. */
  function proposalSource(incident: number, host: string, cause: string): StoredProposalSource | undefined {
    const row = deps.db
      .prepare(
        `SELECT f.commands, i.requested_by, i.categories, i.targets, i.language,
                (SELECT e.sha256 FROM evidence e WHERE e.diagnosis_id = d.id ORDER BY e.id DESC LIMIT 1) AS sha256,
                (SELECT e.created_at FROM evidence e WHERE e.diagnosis_id = d.id ORDER BY e.id DESC LIMIT 1) AS evidence_at,
                d.created_at AS diagnosed_at
         FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id JOIN incidents i ON i.id = d.incident_id
         WHERE d.incident_id = ? AND d.host = ? AND f.cause = ? ORDER BY d.id DESC LIMIT 1`,
      )
      .get(incident, host, cause) as
      | {
          commands: string;
          requested_by: string;
          categories: string;
          targets: string;
          language: string;
          sha256: string | null;
          evidence_at: string | null;
          diagnosed_at: string;
        }
      | undefined;
    if (!row) return undefined;
    const commands = {
      check: [],
      fix: [],
      rollback: [],
      verify: [],
      ...JSON.parse(row.commands),
    } as FindingCommands;
    return {
      commands,
      // A diagnosis without a stored bundle binds to nothing: it is treated as stale and re-collected.
      sha256: row.sha256 ?? "none",
      evidenceAt: new Date(parseTime(row.evidence_at ?? "1970-01-01T00:00:00Z")).toISOString(),
      requestedBy: row.requested_by,
      categories: JSON.parse(row.categories) as SymptomCategory[],
      targets: JSON.parse(row.targets) as string[],
      language: row.language === "zh" ? "zh" : "en",
    };
  }

  function incidentRow(id: number): { requested_by: string; hosts: string; language: string } | undefined {
    return deps.db.prepare("SELECT requested_by, hosts, language FROM incidents WHERE id = ?").get(id) as
      | { requested_by: string; hosts: string; language: string }
      | undefined;
  }

  async function connectTo(host: string): Promise<Transport> {
    const [h] = deps.inventory.resolve(host).filter((x) => x.name === host);
    if (!h) throw new Error(`${host} is not in the inventory`);
    return within(connectTimeoutMs, `connecting to ${host}`, deps.connect(h));
  }

  async function diagnoseOn(
    transport: Transport,
    host: string,
    src: { incident: number; categories: SymptomCategory[]; targets: string[]; language: Language },
  ): Promise<{ findings: Finding[]; sha256: string; at: string; missing: string[] }> {
    const ctx: ProbeContext = { targets: src.targets };
    const probes = typeof deps.probes === "function" ? deps.probes(ctx) : deps.probes;
    const bundle = await within(
      collectTimeoutMs,
      "collecting evidence",
      deps.collect(transport, { probes, ctx }),
    );
    const facts = deps.buildFacts(bundle);
    const groups = deps.inventory.resolve(host).find((h) => h.name === host)?.groups ?? [];
    const { findings } = await deps.engine.diagnose(
      facts,
      { categories: src.categories, targets: src.targets, language: src.language },
      deps.history?.(host, groups, src.categories) ?? [],
    );

    // A rule stays silent when its evidence is missing; silence then proves nothing.
    const before = okBefore(src.incident, host);
    const missing = bundle.evidence
      .filter((e) => e.status !== "ok" && before.has(e.probe))
      .map((e) => `${e.probe} (${e.status})`);
    return { findings, sha256: bundleSha256(JSON.stringify(bundle)), at: bundle.time, missing };
  }

  /** Probes that gave ok evidence in the incident's newest bundle of this host. */
  function okBefore(incident: number, host: string): Set<string> {
    const row = deps.db
      .prepare(
        `SELECT e.bundle FROM evidence e JOIN diagnoses d ON d.id = e.diagnosis_id
         WHERE d.incident_id = ? AND d.host = ? ORDER BY e.id DESC LIMIT 1`,
      )
      .get(incident, host) as { bundle: string } | undefined;
    if (!row) return new Set(["links"]);
    try {
      const bundle = JSON.parse(row.bundle) as EvidenceBundle;
      return new Set(bundle.evidence.filter((e) => e.status === "ok").map((e) => e.probe));
    } catch {
      return new Set(["links"]);
    }
  }

  /** The same cause fires for the same device: its fix would be (partly) the same commands. */
  function stillFires(findings: Finding[], fix: Fix): Finding | undefined {
    return findings.find((f) => f.id === fix.cause && f.fix.some((c) => fix.commands.fix.includes(c)));
  }

  function audit(
    actor: FixActor | string,
    action: string,
    fix: Partial<Pick<Fix, "id" | "host" | "incidentId">>,
    detail: Record<string, unknown> = {},
  ) {
    try {
      store.audit({
        actor: typeof actor === "string" ? actor : actor.id,
        action,
        host: fix.host,
        incidentId: fix.incidentId,
        fixId: fix.id,
        detail: typeof actor === "string" ? detail : { source: actor.source, ...detail },
      });
    } catch (err) {
      log.error({ err, action }, "audit event could not be written");
      throw err;
    }
  }

  const block = (runs: CommandRun[]) =>
    `\`\`\`\n${runs
      .map(
        (r) =>
          `$ ${r.command}${[r.stdout.trimEnd(), r.stderr.trimEnd()]
            .filter(Boolean)
            .map((t) => `\n${t}`)
            .join("")}${
            r.exitCode !== 0 ? `\n(exit ${r.exitCode ?? (r.timedOut ? "timeout" : "lost")})` : ""
          }`,
      )
      .join("\n")
      .slice(0, 2800)}\n\`\`\``;

  async function postRuns(sink: ReplySink, lang: Language, step: string, host: string, runs: CommandRun[]) {
    if (!runs.length) return;
    const title = fm("output", lang, { step, host });
    await sink.post({
      text: `${title}\n${block(runs)}`,
      sections: [{ title, text: block(runs) }],
      language: lang,
    });
  }

  /** Runs commands in order until one fails; every run is kept on the fix and audited. */
  async function runSteps(
    r: Remote,
    fix: Fix,
    actor: FixActor,
    step: CommandRun["step"],
    commands: string[],
    stopOnFailure = true,
  ): Promise<{ runs: CommandRun[]; failed?: CommandRun & { lost: boolean } }> {
    const runs: CommandRun[] = [];
    for (const command of commands) {
      const { full: _full, lost, ...run } = await r.run(step, command);
      runs.push(run);
      store.appendOutput(fix.id, run);
      audit(actor, `fix_${step}`, fix, {
        command,
        exitCode: run.exitCode,
        stdout: run.stdout,
        stderr: run.stderr,
        lost,
      });
      if (run.exitCode !== 0 && (stopOnFailure || lost)) return { runs, failed: { ...run, lost } };
    }
    return { runs };
  }

  async function record(r: Remote, fix: Fix): Promise<{ recorded?: RecordedValue[]; error?: CommandRun }> {
    const { specs } = recordSpecs(fix.commands.fix);
    const recorded: RecordedValue[] = [];
    for (const spec of specs) {
      const res = await r.run("record", spec.command);
      if (res.exitCode !== 0) return { error: res };
      recorded.push({ kind: spec.kind, key: spec.key, command: spec.command, value: res.full });
    }
    return { recorded };
  }

  /**
   * Puts the host back: the rule's rollback commands for fix commands no recorded value covers,
   * then every recorded value (newest change undone first), then reads them again to compare.
   */
  async function restore(
    r: Remote,
    fix: Fix,
    actor: FixActor,
    recorded: RecordedValue[],
  ): Promise<{ runs: CommandRun[]; restored: boolean; differs: string[]; lost: boolean }> {
    const runs: CommandRun[] = [];
    let lost = false;
    const { uncovered } = recordSpecs(fix.commands.fix);
    if (uncovered.length && fix.commands.rollback.length) {
      const res = await runSteps(r, fix, actor, "rollback", fix.commands.rollback, false);
      runs.push(...res.runs);
      lost ||= res.failed?.lost ?? false;
    }
    // Newest change undone first, but addresses before routes: a route's gateway needs its address back.
    const order: Record<RecordedValue["kind"], number> = {
      sysctl: 0,
      iptables: 0,
      nft: 0,
      link: 0,
      bridge_port: 0,
      addresses: 1,
      routes: 2,
    };
    const undo = [...recorded].reverse().sort((a, b) => order[a.kind] - order[b.kind]);
    for (const rec of undo) {
      if (lost) break;
      const needsCurrent = rec.kind === "addresses" || rec.kind === "routes";
      const current = needsCurrent ? await r.run("record", rec.command) : undefined;
      if (current?.lost) {
        lost = true;
        break;
      }
      const res = await runSteps(r, fix, actor, "restore", restoreCommands(rec, current?.full), false);
      runs.push(...res.runs);
      lost ||= res.failed?.lost ?? false;
    }
    const differs: string[] = [];
    if (!lost)
      for (const rec of recorded) {
        const now = await r.run("record", rec.command);
        if (now.lost) {
          lost = true;
          break;
        }
        if (now.exitCode !== 0 || normalise(rec.kind, now.full) !== normalise(rec.kind, rec.value))
          differs.push(rec.key ? `${rec.kind} ${rec.key}` : rec.kind);
      }
    return { runs, restored: !lost && differs.length === 0, differs, lost };
  }

  /** Kills the timer's whole process group (setsid made its pid the group id); fails when it is gone. */
  function cancelDeadman(pid: string): string {
    return `kill -- -${pid}`;
  }

  function deadmanCommand(fix: Fix): string | undefined {
    if (!fix.commands.rollback.length) return undefined;
    const rollback = fix.commands.rollback.join("; ");
    // setsid: the timer survives the SSH session that started it; its pid is its process group.
    return `setsid sh -c ${shQuote(`sleep ${deadmanSeconds}; ${rollback}`)} >/dev/null 2>&1 </dev/null & echo $!`;
  }

  /** A verified fix is the strongest confirmation there is: the incident becomes a confirmed case. */
  function markConfirmedCase(fix: Fix, actor: FixActor) {
    new CaseStore(deps.db).confirm(
      fix.incidentId,
      fix.cause,
      actor.id,
      `fix #${fix.id} verified on ${fix.host}`,
    );
  }

  function rollbackButton(fix: Fix, lang: Language): Reply["sections"] {
    return [
      {
        text: fm("verified", lang, { fix: fix.id, cause: fix.cause, host: fix.host }),
        buttons: [
          {
            action: "rollback_fix",
            label: fm("rollbackButton", lang),
            value: encodeValue({ incident: fix.incidentId, cause: fix.cause, host: fix.host }),
            style: "danger",
            confirm: {
              title: fm("rollbackConfirmTitle", lang),
              text: `${fix.host}: ${fix.commands.fix.join("; ")}`.slice(0, 290),
              confirm: fm("rollbackConfirmGo", lang),
              deny: fm("cancel", lang),
            },
          },
        ],
      },
    ];
  }

  /** Ends a running fix: the state, the audit event and the message, together. */
  async function finish(
    fix: Fix,
    actor: FixActor,
    to: "verified" | "failed" | "rolled_back",
    result: FixResult,
    reason: string,
    sink: ReplySink,
    lang: Language,
    reply?: Reply,
  ): Promise<Fix> {
    store.transition(fix.id, "running", to, { result, reason });
    audit(actor, `fix_${to}`, fix, { result, reason });
    await sink.post(reply ?? { text: reason, language: lang });
    return store.get(fix.id) ?? fix;
  }

  /** From approved: refresh stale evidence, lock the host, record, fix, verify, roll back if needed. */
  async function execute(
    fix: Fix,
    actor: FixActor,
    src: StoredProposalSource,
    sink: ReplySink,
    lang: Language,
  ): Promise<Fix> {
    const vars = { fix: fix.id, cause: fix.cause, host: fix.host };
    let transport: Transport;
    try {
      transport = await connectTo(fix.host);
    } catch (err) {
      const reason = fm("connectFailed", lang, { ...vars, error: (err as Error).message });
      store.transition(fix.id, "approved", "failed", {
        reason,
        result: { outcome: "failed", error: reason },
      });
      audit(actor, "fix_failed", fix, { reason });
      await sink.post({ text: reason, language: lang });
      return store.get(fix.id) ?? fix;
    }
    let locked = false;
    try {
      const now = clock().getTime();
      const stale = now > parseTime(fix.expiresAt) || now - parseTime(fix.evidenceAt) > expiryMs;
      if (stale) {
        await sink.post({ text: fm("stale", lang, { ...vars, at: fix.evidenceAt }), language: lang });
        audit(actor, "fix_rediagnose", fix, { evidenceAt: fix.evidenceAt, expiresAt: fix.expiresAt });
        const fresh = await diagnoseOn(transport, fix.host, { ...src, incident: fix.incidentId });
        if (fresh.missing.length)
          throw new Error(`could not collect the evidence again: ${fresh.missing.join(", ")}`);
        const again = fresh.findings.find((f) => f.id === fix.cause);
        const sha = fresh.sha256.slice(0, 12);
        let refusal: string | undefined;
        if (!again) refusal = fm("causeGone", lang, { ...vars, sha });
        else if (!sameList(again.fix, fix.commands.fix) || !sameList(again.rollback, fix.commands.rollback))
          refusal = fm("commandsChanged", lang, { ...vars, commands: again.fix.join("\n") });
        if (refusal) {
          store.transition(fix.id, "approved", "expired", { reason: refusal, evidenceSha256: fresh.sha256 });
          audit(actor, "fix_expired", fix, {
            reason: refusal,
            evidenceSha256: fresh.sha256,
            now: again?.fix ?? [],
          });
          await sink.post({ text: refusal, language: lang });
          return store.get(fix.id) ?? fix;
        }
        store.db
          .prepare(
            "UPDATE fixes SET evidence_sha256 = ?, evidence_at = ?, expires_at = ? WHERE id = ? AND state = 'approved'",
          )
          .run(fresh.sha256, fresh.at, new Date(now + expiryMs).toISOString(), fix.id);
        audit(actor, "fix_evidence_refreshed", fix, { evidenceSha256: fresh.sha256 });
        await sink.post({ text: fm("stillValid", lang, { ...vars, sha }), language: lang });
      }
      if (!store.lockHost(fix.host, fix.id, lockStaleMs)) {
        const other = store.lockHolder(fix.host) ?? "?";
        store.transition(fix.id, "approved", "proposed", { reason: `host busy with fix #${other}` });
        audit(actor, "fix_host_busy", fix, { other });
        await sink.post({ text: fm("hostBusy", lang, { ...vars, other }), language: lang });
        return store.get(fix.id) ?? fix;
      }
      locked = true;
      if (!store.transition(fix.id, "approved", "running"))
        throw new Error("the fix changed state unexpectedly");
      audit(actor, "fix_running", fix, { commands: fix.commands });
      return await runOnHost(fix, actor, transport, sink, lang);
    } catch (err) {
      const reason = fm("error", lang, { fix: fix.id, error: (err as Error).message });
      const current = store.get(fix.id);
      if (current && (current.state === "approved" || current.state === "running")) {
        store.transition(fix.id, current.state, "failed", {
          reason,
          result: { outcome: "failed", error: reason },
        });
        audit(actor, "fix_failed", fix, { reason });
      }
      log.error({ err, fix: fix.id }, "fix stopped");
      await sink.post({ text: reason, language: lang });
      return store.get(fix.id) ?? fix;
    } finally {
      if (locked) store.unlockHost(fix.host, fix.id);
      await transport.close().catch(() => {});
    }
  }

  async function runOnHost(
    fix: Fix,
    actor: FixActor,
    transport: Transport,
    sink: ReplySink,
    lang: Language,
  ): Promise<Fix> {
    const vars = { fix: fix.id, cause: fix.cause, host: fix.host };
    const r = remote(transport, commandTimeoutMs);
    const rec = await record(r, fix);
    if (!rec.recorded) {
      const e = rec.error;
      const reason = fm("recordFailed", lang, {
        ...vars,
        command: e?.command ?? "?",
        error: (e?.stderr || e?.stdout || `exit ${e?.exitCode}`).trim().slice(0, 300),
      });
      return finish(fix, actor, "failed", { outcome: "failed", error: reason }, reason, sink, lang);
    }
    const recorded = rec.recorded;
    store.setRecorded(fix.id, recorded);
    audit(actor, "fix_recorded", fix, {
      recorded: recorded.map((v) => ({ ...v, value: v.value.slice(0, 4000) })),
    });

    let deadmanPid: string | undefined;
    if (fix.risky) {
      const cmd = deadmanCommand(fix);
      if (cmd) {
        const res = await runSteps(r, fix, actor, "deadman", [cmd]);
        const pid = res.runs[0]?.stdout.trim();
        if (res.failed || !pid || !PID.test(pid)) {
          const reason = fm("error", lang, { fix: fix.id, error: "the dead-man timer could not be started" });
          return finish(fix, actor, "failed", { outcome: "failed", error: reason }, reason, sink, lang);
        }
        deadmanPid = pid;
        await sink.post({
          text: fm("deadman", lang, { host: fix.host, pid, seconds: deadmanSeconds }),
          language: lang,
        });
      }
    }

    const applied = await runSteps(r, fix, actor, "fix", fix.commands.fix);
    await postRuns(sink, lang, fm("stepFix", lang), fix.host, applied.runs);

    const rollBack = async (
      why: string,
      stillFiresAfter?: boolean,
      lostAt: { command: string; error: string } = {
        command: applied.failed?.command ?? "?",
        error: applied.failed?.stderr || "no answer",
      },
    ): Promise<Fix> => {
      await sink.post({ text: why, language: lang });
      let fresh: Transport | undefined;
      // The timer is stopped first, so it cannot fire in the middle of the restore.
      const undo = async (rem: Remote) => {
        if (deadmanPid) await runSteps(rem, fix, actor, "cancel_deadman", [cancelDeadman(deadmanPid)], false);
        return restore(rem, fix, actor, recorded);
      };
      try {
        let back = applied.failed?.lost ? undefined : await undo(r);
        if (!back || back.lost) {
          // The old connection is gone; one fresh attempt, bounded, before giving up (to the dead-man timer).
          try {
            fresh = await connectTo(fix.host);
            audit(actor, "fix_reconnected", fix, {});
          } catch (err) {
            audit(actor, "fix_reconnect_failed", fix, { error: (err as Error).message });
          }
          if (fresh) back = await undo(remote(fresh, commandTimeoutMs));
        }
        if (back) await postRuns(sink, lang, fm("stepRollback", lang), fix.host, back.runs);
        if (!back || back.lost) {
          const reason = fm("hostLost", lang, {
            ...vars,
            command: lostAt.command,
            error: lostAt.error.trim().slice(0, 200),
            deadman: deadmanPid ? fm("deadmanPending", lang, { seconds: deadmanSeconds }) : "",
          });
          return finish(
            fix,
            actor,
            "failed",
            { outcome: "failed", error: reason, stillFires: stillFiresAfter },
            reason,
            sink,
            lang,
          );
        }
        const restoredText = back.restored
          ? fm("restoredSame", lang)
          : fm("restoredDiffers", lang, { which: back.differs.join(", ") });
        const reason = `${why}\n${fm("rolledBack", lang, { ...vars, restored: restoredText })}`;
        return finish(
          fix,
          actor,
          "rolled_back",
          { outcome: "rolled_back", stillFires: stillFiresAfter, restored: back.restored },
          reason,
          sink,
          lang,
          { text: fm("rolledBack", lang, { ...vars, restored: restoredText }), language: lang },
        );
      } finally {
        await fresh?.close().catch(() => {});
      }
    };

    if (applied.failed) {
      // A lost host gets one fresh connection for the rollback (in rollBack); if it stays gone the
      // fix ends as failed and, for risky fixes, the dead-man timer puts it back.
      const f = applied.failed;
      return rollBack(
        fm("fixFailed", lang, {
          ...vars,
          command: f.command,
          error: (f.stderr || f.stdout || `exit ${f.exitCode}`).trim().slice(0, 300),
        }),
      );
    }

    // Verification: the rule's read-only checks for the thread, then the rules on fresh evidence.
    const checks = await runSteps(r, fix, actor, "verify", fix.commands.verify, false);
    await postRuns(sink, lang, fm("stepVerify", lang), fix.host, checks.runs);
    let fires: Finding | undefined;
    let verifyError: string | undefined;
    try {
      if (checks.failed?.lost) throw new Error(`lost the connection: ${checks.failed.stderr}`);
      const src = proposalSource(fix.incidentId, fix.host, fix.cause);
      const fresh = await diagnoseOn(transport, fix.host, {
        incident: fix.incidentId,
        categories: src?.categories ?? [],
        targets: src?.targets ?? [],
        language: lang,
      });
      if (fresh.missing.length) throw new Error(`verification could not collect ${fresh.missing.join(", ")}`);
      fires = stillFires(fresh.findings, fix);
      audit(actor, "fix_verification", fix, {
        evidenceSha256: fresh.sha256,
        stillFires: Boolean(fires),
        causes: fresh.findings.map((f) => f.id),
      });
    } catch (err) {
      verifyError = (err as Error).message;
      audit(actor, "fix_verification", fix, { error: verifyError });
    }
    if (verifyError !== undefined || fires) {
      return rollBack(
        fires
          ? fm("stillFires", lang, vars)
          : fm("fixFailed", lang, { ...vars, command: "verification", error: verifyError ?? "" }),
        Boolean(fires),
        { command: "verification", error: verifyError ?? "no answer" },
      );
    }
    if (deadmanPid) {
      const cancelled = await runSteps(r, fix, actor, "cancel_deadman", [cancelDeadman(deadmanPid)], false);
      const c = cancelled.runs[0];
      if (cancelled.failed?.lost || c?.exitCode !== 0) {
        // No timer left to kill: it fired (verification took too long) or the host is gone; either
        // way the fix may be undone, so it is not reported as verified.
        const reason = cancelled.failed?.lost
          ? fm("hostLost", lang, {
              ...vars,
              command: c?.command ?? "kill",
              error: c?.stderr ?? "no answer",
              deadman: fm("deadmanPending", lang, { seconds: deadmanSeconds }),
            })
          : fm("deadmanFired", lang, { ...vars, seconds: deadmanSeconds });
        return finish(
          fix,
          actor,
          cancelled.failed?.lost ? "failed" : "rolled_back",
          { outcome: cancelled.failed?.lost ? "failed" : "rolled_back", stillFires: false, error: reason },
          reason,
          sink,
          lang,
        );
      }
    }
    markConfirmedCase(fix, actor);
    const text = fm("verified", lang, vars);
    return finish(fix, actor, "verified", { outcome: "verified", stillFires: false }, text, sink, lang, {
      text,
      sections: rollbackButton(fix, lang),
      language: lang,
    });
  }

  /** The live proposal for a finding, created from the stored diagnosis when there is none yet. */
  function proposeFrom(incident: number, host: string, cause: string, src: StoredProposalSource): Fix {
    const now = clock().getTime();
    return store.propose({
      incidentId: incident,
      host,
      cause,
      commands: src.commands,
      risky: isRisky(cause),
      evidenceSha256: src.sha256,
      evidenceAt: src.evidenceAt,
      proposedBy: src.requestedBy,
      // It expires with its evidence: a proposal is never fresher than what it was derived from.
      expiresAt: new Date(Math.min(now, parseTime(src.evidenceAt) || now) + expiryMs).toISOString(),
    });
  }

  async function approveAndRun(
    incident: number,
    host: string,
    cause: string,
    actor: FixActor,
    sink: ReplySink,
    lang: Language,
  ): Promise<RunFixOutcome> {
    const refuse = async (text: string, action = "fix_refused") => {
      audit(actor, action, { host, incidentId: incident }, { cause, reason: text });
      await sink.post({ text, ephemeral: true, language: lang });
      return { refused: text };
    };
    const inc = incidentRow(incident);
    if (!inc) return refuse(fm("noIncident", lang, { incident }));
    const src = proposalSource(incident, host, cause);
    if (!src) return refuse(fm("noFinding", lang, { incident, cause, host }));
    if (!src.commands.fix.length) return refuse(fm("noFixCommands", lang, { cause, host }));
    const fix = proposeFrom(incident, host, cause, src);
    if (!store.transition(fix.id, "proposed", "approved", { approvedBy: actor.id })) {
      const current = store.get(fix.id) ?? fix;
      return refuse(
        fm("alreadyHandled", lang, {
          fix: fix.id,
          state: current.state,
          by: current.approvedBy ? ` (${current.approvedBy})` : "",
        }),
        "fix_already_handled",
      );
    }
    audit(actor, "fix_approved", fix, { commands: fix.commands, evidenceSha256: fix.evidenceSha256 });
    await sink.post({
      text: fm("approved", lang, { fix: fix.id, cause, host, actor: actor.id }),
      language: lang,
    });
    const approved = store.get(fix.id) ?? fix;
    return { fix: await execute(approved, actor, src, sink, lang) };
  }

  async function rollback(
    incident: number,
    cause: string,
    host: string,
    actor: FixActor,
    sink: ReplySink,
    lang: Language = "en",
  ): Promise<RunFixOutcome> {
    const fix = store.latest(incident, host, cause);
    const refuse = async (text: string) => {
      audit(actor, "rollback_refused", fix ?? { host, incidentId: incident }, { cause, reason: text });
      await sink.post({ text, ephemeral: true, language: lang });
      return { refused: text };
    };
    if (!fix) return refuse(fm("noFixToRollBack", lang, { incident, cause, host }));
    if (fix.state !== "verified") return refuse(fm("notVerified", lang, { fix: fix.id, state: fix.state }));
    if (!store.lockHost(fix.host, fix.id, lockStaleMs))
      return refuse(fm("hostBusy", lang, { host, other: store.lockHolder(fix.host) ?? "?" }));
    try {
      if (!store.transition(fix.id, "verified", "rolled_back", { rolledBackBy: actor.id }))
        return refuse(fm("notVerified", lang, { fix: fix.id, state: store.get(fix.id)?.state ?? "?" }));
      audit(actor, "rollback_started", fix, { recorded: fix.recorded?.map((v) => v.command) ?? [] });
      await sink.post({
        text: fm("rollbackStart", lang, { fix: fix.id, host, actor: actor.id }),
        language: lang,
      });
      let transport: Transport;
      try {
        transport = await connectTo(host);
      } catch (err) {
        const reason = fm("connectFailed", lang, { fix: fix.id, host, error: (err as Error).message });
        store.db
          .prepare("UPDATE fixes SET reason = ?, result = ? WHERE id = ?")
          .run(reason, JSON.stringify({ outcome: "failed", error: reason }), fix.id);
        audit(actor, "rollback_failed", fix, { reason });
        await sink.post({ text: reason, language: lang });
        return { fix: store.get(fix.id) };
      }
      try {
        const back = await restore(remote(transport, commandTimeoutMs), fix, actor, fix.recorded ?? []);
        await postRuns(sink, lang, fm("stepRollback", lang), host, back.runs);
        const restoredText = back.lost
          ? fm("hostLost", lang, {
              fix: fix.id,
              host,
              command: "rollback",
              error: "connection lost",
              deadman: "",
            })
          : back.restored
            ? fm("restoredSame", lang)
            : fm("restoredDiffers", lang, { which: back.differs.join(", ") });
        const result: FixResult = {
          outcome: "rolled_back",
          restored: back.restored,
          error: back.lost ? "lost" : undefined,
        };
        store.db
          .prepare("UPDATE fixes SET reason = ?, result = ?, updated_at = ? WHERE id = ?")
          .run(restoredText, JSON.stringify(result), clock().toISOString(), fix.id);
        // The verified fix no longer stands: its confirmed case goes back to the incident's history.
        deps.db
          .prepare("UPDATE incidents SET status = 'diagnosed', resolution = ?, updated_at = ? WHERE id = ?")
          .run(`fix #${fix.id} rolled back by ${actor.id}`, clock().toISOString(), fix.incidentId);
        audit(actor, "rollback_done", fix, { result, differs: back.differs });
        await sink.post({
          text: fm("rolledBack", lang, { fix: fix.id, host, restored: restoredText }),
          language: lang,
        });
        return { fix: store.get(fix.id) };
      } finally {
        await transport.close().catch(() => {});
      }
    } finally {
      store.unlockHost(fix.host, fix.id);
    }
  }

  async function authorise(
    actor: FixActor,
    incident: number,
    checkSelf: boolean,
  ): Promise<"ok" | "notApprover" | "selfApprove"> {
    if (!(await deps.isApprover(actor.id))) return "notApprover";
    if (checkSelf && !deps.allowSelfApprove && actor.source === "slack") {
      const inc = incidentRow(incident);
      if (inc && inc.requested_by === actor.id) return "selfApprove";
    }
    return "ok";
  }

  function describe(
    incident: number,
    cause: string,
    host?: string,
  ): { host: string; commands: FindingCommands } | { error: string } {
    if (!incidentRow(incident)) return { error: fm("noIncident", "en", { incident }) };
    let name = host;
    if (!name) {
      const rows = deps.db
        .prepare(
          `SELECT DISTINCT d.host FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
           WHERE d.incident_id = ? AND f.cause = ? ORDER BY d.host`,
        )
        .all(incident, cause) as { host: string }[];
      if (rows.length > 1)
        return {
          error: `\`${cause}\` fired on several hosts of incident #${incident} (${rows.map((r) => r.host).join(", ")}); name one with --host`,
        };
      name = rows[0]?.host;
    }
    const src = name ? proposalSource(incident, name, cause) : undefined;
    if (!name || !src) return { error: fm("noFinding", "en", { incident, cause, host: name ?? "any host" }) };
    if (!src.commands.fix.length) return { error: fm("noFixCommands", "en", { cause, host: name }) };
    return { host: name, commands: src.commands };
  }

  return {
    store,
    describe,
    async handleAction(action, sink, language) {
      const source = deps.source ?? "slack";
      const actor: FixActor = { id: action.user, source };
      const value = decodeValue(action.value);
      const lang = language;
      const host = value?.host;
      const cause = value?.cause;
      audit(
        actor,
        `click_${action.action}`,
        { host: host && HOST.test(host) ? host : undefined, incidentId: value?.incident },
        {
          value: action.value.slice(0, 300),
          channel: action.channel,
          thread: action.thread,
        },
      );
      if (!value || !host || !cause || !HOST.test(host) || !CAUSE.test(cause)) {
        await sink.post({ text: fm("badValue", lang), ephemeral: true, language: lang });
        return;
      }
      const verdict = await authorise(actor, value.incident, action.action === "run_fix");
      if (verdict !== "ok") {
        const text = fm(verdict, lang);
        audit(actor, "click_refused", { host, incidentId: value.incident }, { cause, reason: verdict });
        await sink.post({ text, ephemeral: true, language: lang });
        return;
      }
      if (action.action === "rollback_fix") {
        await rollback(value.incident, cause, host, actor, sink, lang);
        return;
      }
      await approveAndRun(value.incident, host, cause, actor, sink, lang);
    },
    async runFix(incident, cause, actor, options) {
      const lang = options.language ?? "en";
      const sink: ReplySink = options.sink ?? { post: async () => {}, progress: async () => {} };
      const plan = describe(incident, cause, options.host);
      if (!options.yes) {
        // The operator said no: the proposal ends as rejected (a later run proposes it afresh).
        const src = "error" in plan ? undefined : proposalSource(incident, plan.host, cause);
        const fix = src && !("error" in plan) ? proposeFrom(incident, plan.host, cause, src) : undefined;
        if (fix) store.transition(fix.id, "proposed", "rejected", { reason: `declined by ${actor.id}` });
        audit(actor, "fix_declined", { incidentId: incident, host: options.host, id: fix?.id }, { cause });
        return { refused: "not confirmed", fix: fix && store.get(fix.id) };
      }
      if ("error" in plan) {
        audit(
          actor,
          "fix_refused",
          { incidentId: incident, host: options.host },
          { cause, reason: plan.error },
        );
        return { refused: plan.error };
      }
      const host = plan.host;
      return approveAndRun(incident, host, cause, actor, sink, lang);
    },
    rollback,
  };
}
