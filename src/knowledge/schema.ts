/**
 * Validation of one parsed rule file. Every error names the file and the field, in words a rule
 * author can act on: `rules/x.json: commands.fix[0]: unknown parameter {{bridg}}`.
 */
import { SYMPTOM_CATEGORIES } from "../diagnosis/types.js";
import { CAUSE_IDS, FORBIDDEN_COMMANDS, KNOWN_PROBES } from "./causes.js";
import { fieldType, SUBJECT_FACT, SUBJECT_FIELDS, SUBJECTS, type Subject } from "./model/fields.js";
import { isParamKind } from "./patterns.js";
import { templateParams } from "./template.js";
import { RuleError } from "./types.js";

export const OPERATORS = [
  "equal",
  "notEqual",
  "lessThan",
  "lessThanInclusive",
  "greaterThan",
  "greaterThanInclusive",
  "in",
  "notIn",
  "contains",
  "doesNotContain",
] as const;

const STRENGTHS = ["direct", "strong", "circumstantial", "inferred"];
const REQUIRED = [
  "id",
  "title",
  "explanation",
  "symptoms",
  "strength",
  "layer",
  "requires",
  "subject",
  "conditions",
  "params",
  "bind",
  "evidence",
  "commands",
  "risky",
  "test",
];
const OPTIONAL = ["devices", "note"];
const COMMAND_KINDS = ["check", "fix", "rollback", "verify"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** The `text` kind: free text from facts, allowed in titles and evidence but never in commands. */
export const TEXT_KIND = "text";

export function validateRule(raw: unknown, file: string, fileId?: string): RuleError[] {
  const errors: RuleError[] = [];
  const err = (field: string, msg: string) => errors.push(new RuleError(file, field, msg));
  if (!isObj(raw)) {
    err("", "a rule file must hold one JSON object");
    return errors;
  }
  for (const k of Object.keys(raw))
    if (!REQUIRED.includes(k) && !OPTIONAL.includes(k)) err(k, "unknown field");
  for (const k of REQUIRED) if (!(k in raw)) err(k, "missing field");

  const id = raw.id;
  if ("id" in raw) {
    if (typeof id !== "string") err("id", "must be a string");
    else {
      if (!(CAUSE_IDS as readonly string[]).includes(id))
        err("id", `"${id}" is not a cause id of the catalog`);
      if (fileId !== undefined && id !== fileId)
        err("id", `"${id}" does not match the file name (${fileId}.json)`);
    }
  }
  for (const k of ["title", "explanation"]) {
    if (!(k in raw)) continue;
    const t = raw[k];
    if (!isObj(t)) {
      err(k, 'must be {"en": "...", "zh": "..."}');
      continue;
    }
    for (const lang of ["en", "zh"])
      if (typeof t[lang] !== "string" || (t[lang] as string).trim() === "")
        err(`${k}.${lang}`, "missing or empty text");
    for (const extra of Object.keys(t))
      if (extra !== "en" && extra !== "zh") err(`${k}.${extra}`, "unknown language");
  }
  if ("symptoms" in raw) {
    if (!isStrArray(raw.symptoms) || raw.symptoms.length === 0)
      err("symptoms", "must be a non-empty array of symptom categories");
    else
      raw.symptoms.forEach((s, i) => {
        if (!(SYMPTOM_CATEGORIES as readonly string[]).includes(s))
          err(`symptoms[${i}]`, `unknown symptom category "${s}"`);
      });
  }
  if ("strength" in raw && !STRENGTHS.includes(raw.strength as string))
    err("strength", `must be one of ${STRENGTHS.join(", ")}`);
  if (
    "layer" in raw &&
    !(Number.isInteger(raw.layer) && (raw.layer as number) >= 1 && (raw.layer as number) <= 7)
  )
    err("layer", "must be an integer 1..7");
  if ("requires" in raw) {
    if (!isStrArray(raw.requires)) err("requires", "must be an array of probe ids");
    else
      raw.requires.forEach((p, i) => {
        if (!(KNOWN_PROBES as readonly string[]).includes(p)) err(`requires[${i}]`, `unknown probe "${p}"`);
      });
  }
  let subject: Subject | undefined;
  if ("subject" in raw) {
    if (typeof raw.subject === "string" && (SUBJECTS as string[]).includes(raw.subject))
      subject = raw.subject as Subject;
    else err("subject", `must be one of ${SUBJECTS.join(", ")}`);
  }
  const facts = subject ? new Set([SUBJECT_FACT[subject], "host"]) : undefined;
  if ("conditions" in raw) {
    const c = raw.conditions;
    if (!isObj(c) || !("all" in c || "any" in c || "not" in c))
      err("conditions", "must be an object with all, any or not");
    else checkCondition(c, "conditions", facts, err);
  }
  const params = new Map<string, string>();
  if ("params" in raw) {
    if (!isObj(raw.params)) err("params", "must map parameter names to pattern kinds");
    else
      for (const [name, kind] of Object.entries(raw.params)) {
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) err(`params.${name}`, "bad parameter name");
        if (!isParamKind(kind) && kind !== TEXT_KIND)
          err(
            `params.${name}`,
            `unknown pattern kind "${String(kind)}" (ifname, ipv4, cidr, mac, int, word, text)`,
          );
        params.set(name, String(kind));
      }
  }
  if ("bind" in raw) {
    if (!isObj(raw.bind)) err("bind", 'must map parameter names to "fact.field"');
    else {
      for (const [name, ref] of Object.entries(raw.bind)) {
        if (!params.has(name)) err(`bind.${name}`, "binds a parameter that params does not declare");
        if (typeof ref !== "string" || !/^[a-z]+\.[A-Za-z0-9]+$/.test(ref)) {
          err(`bind.${name}`, 'must be "fact.field"');
          continue;
        }
        const [fact, field] = ref.split(".") as [string, string];
        if (facts && !facts.has(fact)) err(`bind.${name}`, `unknown fact "${fact}" for subject ${subject}`);
        else if (fieldType(fact, field) === undefined)
          err(`bind.${name}`, `unknown field "${field}" of fact "${fact}"`);
      }
      for (const name of params.keys())
        if (!(name in raw.bind)) err(`params.${name}`, "declared but not bound to a fact (bind)");
    }
  }
  const checkTemplate = (text: unknown, field: string, command: boolean) => {
    if (typeof text !== "string") {
      err(field, "must be a string");
      return;
    }
    for (const p of templateParams(text)) {
      if (!params.has(p)) err(field, `unknown parameter {{${p}}}`);
      else if (command && params.get(p) === TEXT_KIND)
        err(field, `parameter {{${p}}} is free text and may not appear in a command`);
    }
    if (command)
      for (const [re, why] of FORBIDDEN_COMMANDS) if (re.test(text)) err(field, `forbidden command: ${why}`);
  };
  for (const k of ["title", "explanation"])
    if (isObj(raw[k]))
      for (const lang of ["en", "zh"]) checkTemplate((raw[k] as Obj)[lang], `${k}.${lang}`, false);
  if ("evidence" in raw) {
    if (!Array.isArray(raw.evidence) || raw.evidence.length === 0)
      err("evidence", "must be a non-empty array of templates");
    else
      raw.evidence.forEach((t, i) => {
        checkTemplate(t, `evidence[${i}]`, false);
      });
  }
  if ("commands" in raw) {
    const c = raw.commands;
    if (!isObj(c)) err("commands", "must be {check, fix, rollback, verify}");
    else {
      for (const k of Object.keys(c)) if (!COMMAND_KINDS.includes(k)) err(`commands.${k}`, "unknown field");
      for (const k of COMMAND_KINDS) {
        const list = c[k];
        if (!Array.isArray(list)) err(`commands.${k}`, "missing or not an array");
        else
          list.forEach((t, i) => {
            checkTemplate(t, `commands.${k}[${i}]`, true);
          });
      }
      if (Array.isArray(c.check) && c.check.length === 0)
        err("commands.check", "needs at least one check command");
    }
  }
  if ("devices" in raw) {
    if (!isStrArray(raw.devices)) err("devices", "must be an array of parameter names");
    else
      raw.devices.forEach((d, i) => {
        if (params.get(d) !== "ifname") err(`devices[${i}]`, `"${d}" is not an ifname parameter`);
      });
  }
  if ("risky" in raw && typeof raw.risky !== "boolean") err("risky", "must be true or false");
  if ("test" in raw) {
    const t = raw.test;
    if (
      !isObj(t) ||
      Object.keys(t).length !== 1 ||
      !(typeof t.lab === "string" || typeof t.replay === "string")
    )
      err("test", 'must be {"lab": "<fault id>"} or {"replay": "<path>"}');
  }
  if ("note" in raw && typeof raw.note !== "string") err("note", "must be a string");
  return errors;
}

function checkCondition(
  c: unknown,
  field: string,
  facts: Set<string> | undefined,
  err: (field: string, msg: string) => void,
): void {
  if (!isObj(c)) {
    err(field, "a condition must be an object");
    return;
  }
  if ("all" in c || "any" in c) {
    const key = "all" in c ? "all" : "any";
    const list = c[key];
    for (const k of Object.keys(c)) if (k !== key) err(`${field}.${k}`, "unknown field in a condition group");
    if (!Array.isArray(list) || list.length === 0) err(`${field}.${key}`, "must be a non-empty array");
    else
      list.forEach((x, i) => {
        checkCondition(x, `${field}.${key}[${i}]`, facts, err);
      });
    return;
  }
  if ("not" in c) {
    for (const k of Object.keys(c))
      if (k !== "not") err(`${field}.${k}`, "unknown field in a condition group");
    checkCondition(c.not, `${field}.not`, facts, err);
    return;
  }
  for (const k of Object.keys(c))
    if (!["fact", "path", "operator", "value"].includes(k))
      err(`${field}.${k}`, "unknown field in a condition");
  const fact = c.fact;
  if (typeof fact !== "string") {
    err(`${field}.fact`, "missing fact");
    return;
  }
  if (facts && !facts.has(fact)) {
    err(`${field}.fact`, `unknown fact "${fact}" (this subject offers ${[...facts].join(", ")})`);
    return;
  }
  const path = c.path;
  let type: string | undefined;
  if (typeof path !== "string") err(`${field}.path`, "missing path (a field name of the fact)");
  else {
    type = fieldType(fact, path);
    if (type === undefined && facts) err(`${field}.path`, `unknown field "${path}" of fact "${fact}"`);
  }
  const op = c.operator;
  if (typeof op !== "string" || !(OPERATORS as readonly string[]).includes(op)) {
    err(`${field}.operator`, `unknown operator "${String(op)}"`);
    return;
  }
  if (!("value" in c)) {
    err(`${field}.value`, "missing value");
    return;
  }
  if (!type) return;
  const v = c.value;
  const typeOk = (x: unknown) => typeof x === type;
  if (op === "in" || op === "notIn") {
    if (!Array.isArray(v) || !v.every(typeOk)) err(`${field}.value`, `must be an array of ${type}`);
  } else if (op === "contains" || op === "doesNotContain") {
    err(`${field}.operator`, `"${op}" needs an array field; "${path}" is a ${type}`);
  } else if (!typeOk(v)) err(`${field}.value`, `must be a ${type} (field "${path}" is a ${type})`);
}

/** Keeps TypeScript aware that SUBJECT_FIELDS is used for validation via fieldType. */
export const SUBJECT_FIELD_COUNT = Object.values(SUBJECT_FIELDS).reduce(
  (n, f) => n + Object.keys(f).length,
  0,
);
