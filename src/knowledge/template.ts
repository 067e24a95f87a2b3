import { checkParam, type ParamKind } from "./patterns.js";

const PARAM_RE = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/** The parameter names a template uses, in order of appearance (with repeats removed). */
export function templateParams(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(PARAM_RE)) if (!names.includes(m[1] ?? "")) names.push(m[1] ?? "");
  return names;
}

export type RenderResult = { ok: true; text: string } | { ok: false; param: string; value: unknown };

/**
 * Fills a template. Every value is checked against its declared pattern kind; the first value that is
 * missing or does not match makes the whole template fail, so it never reaches the text.
 */
export function render(
  template: string,
  values: Record<string, unknown>,
  kinds: Record<string, ParamKind>,
): RenderResult {
  for (const name of templateParams(template)) {
    const kind = kinds[name];
    const value = values[name];
    if (!kind || !checkParam(kind, value)) return { ok: false, param: name, value };
  }
  return { ok: true, text: template.replace(PARAM_RE, (_m, name: string) => String(values[name])) };
}

/** For titles and evidence: a bad or missing value shows as "?" instead of dropping the line. */
export function renderLenient(
  template: string,
  values: Record<string, unknown>,
  kinds: Record<string, ParamKind>,
): string {
  return template.replace(PARAM_RE, (_m, name: string) => {
    const kind = kinds[name];
    const value = values[name];
    return kind && checkParam(kind, value) ? String(value) : "?";
  });
}
