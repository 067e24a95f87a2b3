/**
 * The knowledge engine: rules loaded and validated once, one json-rules-engine Engine per subject
 * built once, then evaluated per diagnosis against the host model derived from HostFacts.
 */
import { Engine } from "json-rules-engine";
import type { SymptomCategory } from "../diagnosis/types.js";
import type { HostFacts } from "../facts/types.js";
import { buildHostModel } from "./model/build.js";
import { type HostModel, SUBJECT_FACT, SUBJECTS, type Subject } from "./model/fields.js";
import { checkParam, type ParamKind } from "./patterns.js";
import { compile, type Predicate } from "./predicate.js";
import { score } from "./rank.js";
import { TEXT_KIND } from "./schema.js";
import { render, renderLenient } from "./template.js";
import type {
  CaseRecord,
  Condition,
  EvaluateRequest,
  Evaluation,
  LoadedRule,
  RankedFinding,
  RuleFile,
} from "./types.js";

type Item = Record<string, unknown>;

export interface Knowledge {
  rules: LoadedRule[];
  /** Ranked findings, highest confidence first. */
  evaluate(facts: HostFacts, request: EvaluateRequest, history?: CaseRecord[]): Promise<RankedFinding[]>;
  /** Findings plus the distinguishing check, the packet paths and notes. */
  diagnose(facts: HostFacts, request: EvaluateRequest, history?: CaseRecord[]): Promise<Evaluation>;
  /** The host model the rules see (for `--explain`, tests and debugging). */
  model(facts: HostFacts, targets: string[]): HostModel;
}

// Plain field access instead of JSONPath: rules name one field of one item.
const pathResolver = (value: unknown, path: string): unknown =>
  value !== null && typeof value === "object" ? (value as Item)[path] : undefined;

export function withRequires(rule: RuleFile): Record<string, unknown> {
  const gates = rule.requires.map((p) => ({ fact: "probes", path: p, operator: "equal", value: "ok" }));
  return { all: [...gates, rule.conditions] };
}

/** TEXT parameters pass a loose check (printable, bounded); they never reach commands (schema). */
function kindsOf(rule: RuleFile): Record<string, ParamKind> {
  const out: Record<string, ParamKind> = {};
  for (const [k, v] of Object.entries(rule.params)) out[k] = (v === TEXT_KIND ? "word" : v) as ParamKind;
  return out;
}

const TEXT_RE = /^[^\u0000-\u001f\u007f]{1,300}$/;

function fillText(template: string, values: Record<string, unknown>, rule: RuleFile): string {
  const kinds = kindsOf(rule);
  const textValues: Record<string, unknown> = { ...values };
  const textParams = Object.entries(rule.params).filter(([, k]) => k === TEXT_KIND);
  // Free-text values are substituted after the strict ones, and only when printable and bounded.
  let out = renderLenient(
    template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (m, n: string) =>
      textParams.some(([t]) => t === n) ? `\u0000${n}\u0000` : m,
    ),
    textValues,
    kinds,
  );
  for (const [name] of textParams) {
    const v = values[name];
    const s = typeof v === "string" && TEXT_RE.test(v) ? v : "?";
    out = out.split(`\u0000${name}\u0000`).join(s);
  }
  return out;
}

interface Hit {
  loaded: LoadedRule;
  item: Item;
  host: Item;
}

export function createKnowledge(rules: LoadedRule[]): Knowledge {
  const engines = new Map<Subject, Engine>();
  const screens = new Map<Subject, Predicate[]>();
  for (const s of SUBJECTS) {
    const engine = new Engine([], { allowUndefinedFacts: false, pathResolver });
    let n = 0;
    for (const lr of rules)
      if (lr.rule.subject === s) {
        const conditions = withRequires(lr.rule);
        engine.addRule({ name: lr.rule.id, conditions: conditions as never, event: { type: lr.rule.id } });
        screens.set(s, [...(screens.get(s) ?? []), compile(conditions as Condition)]);
        n++;
      }
    if (n > 0) engines.set(s, engine);
  }
  const byId = new Map(rules.map((r) => [r.rule.id, r]));

  async function hits(model: HostModel, status: HostFacts["status"]): Promise<Hit[]> {
    const out: Hit[] = [];
    const host = model.host as unknown as Item;
    for (const [subject, engine] of engines) {
      const items = (subject === "host" ? [model.host] : model[subject]) as unknown as Item[];
      for (const item of items) {
        const facts: Record<string, unknown> = { probes: status, host };
        facts[SUBJECT_FACT[subject]] = item;
        // Most items break no rule: skip json-rules-engine for them (see predicate.ts).
        if (!(screens.get(subject) ?? []).some((p) => p(facts))) continue;
        const { events } = await engine.run(facts);
        for (const e of events) {
          const loaded = byId.get(e.type);
          if (loaded) out.push({ loaded, item, host });
        }
      }
    }
    return out;
  }

  function resolve(ref: string, subject: Subject, item: Item, host: Item): unknown {
    const [fact, field] = ref.split(".") as [string, string];
    if (fact === "host") return host[field];
    if (fact === SUBJECT_FACT[subject]) return item[field];
    return undefined;
  }

  async function diagnose(
    facts: HostFacts,
    request: EvaluateRequest,
    history: CaseRecord[] = [],
  ): Promise<Evaluation> {
    const m = buildHostModel(facts, { targets: request.targets });
    const broken = new Set(m.paths.map((p) => p.brokenAt).filter((x) => x !== ""));
    const notes: string[] = [];
    const merged = new Map<string, RankedFinding>();
    for (const h of await hits(m, facts.status)) {
      const r = h.loaded.rule;
      // Inferred causes (residual or by design) only mean something as an answer to the complaint.
      if (
        r.strength === "inferred" &&
        request.categories.length > 0 &&
        !r.symptoms.some((x) => request.categories.includes(x))
      )
        continue;
      const values: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(r.bind))
        values[name] = resolve(ref, r.subject, h.item, h.host);
      const lang = request.language;
      const kinds = kindsOf(r);
      const commands = {
        check: [] as string[],
        fix: [] as string[],
        rollback: [] as string[],
        verify: [] as string[],
      };
      const dropped: string[] = [];
      for (const k of ["check", "fix", "rollback", "verify"] as const)
        for (const t of r.commands[k]) {
          const res = render(t, values, kinds);
          if (res.ok) commands[k].push(res.text);
          else {
            dropped.push(`${k}: ${t}`);
            const shown =
              typeof res.value === "string" ? JSON.stringify(res.value.slice(0, 40)) : String(res.value);
            notes.push(
              `${r.id}: ${k} command left out: {{${res.param}}} = ${shown} is not a valid ${kinds[res.param] ?? "value"}`,
            );
          }
        }
      const deviceParams =
        r.devices ??
        Object.keys(r.params)
          .filter((p) => r.params[p] === "ifname")
          .slice(0, 1);
      const devices = deviceParams.map((p) => values[p]).filter((v): v is string => checkParam("ifname", v));
      const specific = ["taps", "ports", "links", "guests"].includes(r.subject);
      const itemOnPath = h.item.onTargetPath === true;
      const s = score(
        {
          cause: r.id,
          strength: r.strength,
          layer: r.layer,
          symptoms: r.symptoms,
          categories: request.categories,
          onBrokenHop: devices.some((d) => broken.has(d)),
          offPath:
            request.targets.length > 0 && specific && !itemOnPath && !devices.some((d) => broken.has(d)),
        },
        history,
      );
      const finding: RankedFinding = {
        id: r.id,
        title: fillText(r.title[lang], values, r),
        explanation: fillText(r.explanation[lang], values, r),
        confidence: s.confidence,
        evidence: r.evidence.map((t) => fillText(t, values, r)),
        ...commands,
        strength: r.strength,
        devices,
        why: s.why,
      };
      if (r.risky) finding.risky = true;
      if (dropped.length) finding.dropped = dropped;
      const prev = merged.get(r.id);
      if (!prev) merged.set(r.id, finding);
      else mergeInto(prev, finding);
    }
    const findings = [...merged.values()].sort(
      (a, b) => b.confidence - a.confidence || a.id.localeCompare(b.id),
    );
    const out: Evaluation = {
      findings,
      paths: m.paths.map((p) =>
        p.brokenHop
          ? `${p.target}: breaks at ${p.brokenHop}${p.brokenAt ? ` (${p.brokenAt})` : ""}: ${p.reason}`
          : `${p.target}: path looks intact`,
      ),
      notes,
    };
    const d = distinguish(findings, request.language);
    if (d) out.distinguish = d;
    return out;
  }

  return {
    rules,
    diagnose,
    async evaluate(facts, request, history = []) {
      return (await diagnose(facts, request, history)).findings;
    },
    model: (facts, targets) => buildHostModel(facts, { targets }),
  };
}

function uniq(list: string[]): string[] {
  return [...new Set(list)];
}

/** The same cause on several devices: one finding, the strongest confidence, all evidence and commands. */
function mergeInto(a: RankedFinding, b: RankedFinding): void {
  const first = a.confidence >= b.confidence ? a : b;
  a.title = first.title;
  a.explanation = first.explanation;
  a.why = first.why;
  a.confidence = Math.max(a.confidence, b.confidence);
  a.evidence = uniq([...a.evidence, ...b.evidence]);
  for (const k of ["check", "fix", "rollback", "verify"] as const) a[k] = uniq([...a[k], ...b[k]]);
  a.devices = uniq([...a.devices, ...b.devices]);
  if (b.risky) a.risky = true;
  if (b.dropped) a.dropped = uniq([...(a.dropped ?? []), ...b.dropped]);
}

/** When the top two are within 0.1, the checks that tell them apart. */
export function distinguish(findings: RankedFinding[], lang: "en" | "zh"): string | undefined {
  const [a, b] = findings;
  if (!a || !b || a.confidence - b.confidence > 0.1) return undefined;
  const ca = a.check[0] ?? a.id;
  const cb = b.check[0] ?? b.id;
  return lang === "zh"
    ? `「${a.title}」与「${b.title}」可能性接近：运行 \`${ca}\` 和 \`${cb}\`，看哪一个的证据成立。`
    : `"${a.title}" and "${b.title}" are close: run \`${ca}\` and \`${cb}\` and see whose evidence holds.`;
}

export type { SymptomCategory };
