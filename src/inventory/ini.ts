import { InventoryError } from "./errors.js";
import { expandHostPatternAt } from "./pattern.js";
import { emptyRaw, type RawInventory, rawGroup, rawHost } from "./types.js";
import { shellWords } from "./words.js";

/**
 * Ansible's INI inventory form: `[group]` host lines with key=value vars, `[group:vars]`,
 * `[group:children]`; hosts before any section are `ungrouped`; `#` and `;` start comments.
 */
export function readIniInventory(text: string, file: string): RawInventory {
  const raw = emptyRaw();
  let section: { group: string; kind: "hosts" | "vars" | "children" } = { group: "ungrouped", kind: "hosts" };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      const m = /^\[([^\]:\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/.exec(line);
      if (!m) throw new InventoryError(file, `bad section header ${JSON.stringify(line)}`, lineNo);
      const kind = m[2] ?? "hosts";
      if (kind !== "hosts" && kind !== "vars" && kind !== "children") {
        throw new InventoryError(file, `unknown section kind ":${kind}" (only :vars and :children)`, lineNo);
      }
      section = { group: m[1]!, kind };
      rawGroup(raw, section.group, lineNo);
      if (section.group !== "all") rawGroup(raw, "all").children.add(section.group);
      continue;
    }
    const group = rawGroup(raw, section.group);
    if (section.group !== "all") rawGroup(raw, "all").children.add(section.group);
    if (section.kind === "vars") {
      const eq = line.indexOf("=");
      if (eq <= 0) throw new InventoryError(file, `expected key=value in [${section.group}:vars]`, lineNo);
      const key = line.slice(0, eq).trim();
      group.vars.set(key, { value: unquote(line.slice(eq + 1).trim(), file, lineNo), line: lineNo });
    } else if (section.kind === "children") {
      const child = line.split(/\s+/)[0]!;
      if (child === section.group) {
        throw new InventoryError(file, `group "${child}" contains itself`, lineNo);
      }
      group.children.add(child);
      rawGroup(raw, child, lineNo);
    } else {
      let words: string[];
      try {
        words = shellWords(stripComment(line));
      } catch (e) {
        throw new InventoryError(file, (e as Error).message, lineNo);
      }
      const [pattern, ...assignments] = words;
      if (!pattern) continue;
      for (const host of expandHostPatternAt(pattern, file, lineNo)) {
        group.hosts.add(host);
        const vars = rawHost(raw, host, lineNo);
        for (const a of assignments) {
          const eq = a.indexOf("=");
          if (eq <= 0) {
            throw new InventoryError(file, `${host}: expected key=value, got ${JSON.stringify(a)}`, lineNo);
          }
          vars.set(a.slice(0, eq), { value: a.slice(eq + 1), line: lineNo });
        }
      }
    }
  }
  return raw;
}

/** A `#` after whitespace and outside quotes starts a comment on a host line. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if ((c === "#" || c === ";") && i > 0 && /\s/.test(line[i - 1]!)) return line.slice(0, i);
  }
  return line;
}

function unquote(value: string, file: string, line: number): string {
  if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0])) {
    try {
      return shellWords(value).join(" ");
    } catch (e) {
      throw new InventoryError(file, (e as Error).message, line);
    }
  }
  return value;
}
