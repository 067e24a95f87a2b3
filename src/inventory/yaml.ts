import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { InventoryError } from "./errors.js";
import { expandHostPatternAt } from "./pattern.js";
import { emptyRaw, type RawInventory, rawGroup, rawHost, type VarMap } from "./types.js";

const GROUP_KEYS = new Set(["hosts", "children", "vars"]);

/** Ansible's YAML inventory form: `all: {hosts, children, vars}`, groups nested through children. */
export function readYamlInventory(text: string, file: string): RawInventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new InventoryError(file, `not valid YAML: ${first.message.split("\n")[0]}`, line);
  }
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;

  const raw = emptyRaw();
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return raw;
  if (!isMap(root)) throw new InventoryError(file, "the top level must be a mapping of groups (all: ...)", 1);

  const readVars = (map: Node | null, into: VarMap, where: string): void => {
    if (map === null || (isScalar(map) && map.value === null)) return;
    if (!isMap(map)) throw new InventoryError(file, `${where}: vars must be a mapping`, lineOf(map));
    for (const pair of map.items) {
      const key = keyText(pair.key, file, lineOf);
      into.set(key, { value: toPlain(pair.value as Node | null), line: lineOf(pair.key as Node) });
    }
  };

  const readGroup = (name: string, node: Node | null, line: number | undefined, seen: string[]): void => {
    if (seen.includes(name)) throw new InventoryError(file, `group "${name}" contains itself`, line);
    const group = rawGroup(raw, name, line);
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) throw new InventoryError(file, `group "${name}" must be a mapping`, lineOf(node));
    for (const pair of (node as YAMLMap).items) {
      const key = keyText(pair.key, file, lineOf);
      const value = pair.value as Node | null;
      if (!GROUP_KEYS.has(key)) {
        throw new InventoryError(
          file,
          `group "${name}": unexpected key "${key}" (only hosts, children and vars)`,
          lineOf(pair.key as Node),
        );
      }
      if (key === "vars") readVars(value, group.vars, `group "${name}"`);
      else if (value === null || (isScalar(value) && value.value === null)) continue;
      else if (!isMap(value)) {
        throw new InventoryError(file, `group "${name}": ${key} must be a mapping`, lineOf(value));
      } else if (key === "hosts") {
        for (const hp of value.items) {
          const pattern = keyText(hp.key, file, lineOf);
          const hline = lineOf(hp.key as Node);
          for (const host of expandHostPatternAt(pattern, file, hline)) {
            group.hosts.add(host);
            readVars(hp.value as Node | null, rawHost(raw, host, hline), host);
          }
        }
      } else {
        for (const cp of value.items) {
          const child = keyText(cp.key, file, lineOf);
          group.children.add(child);
          readGroup(child, cp.value as Node | null, lineOf(cp.key as Node), [...seen, name]);
        }
      }
    }
  };

  for (const pair of root.items) {
    const name = keyText(pair.key, file, lineOf);
    readGroup(name, pair.value as Node | null, lineOf(pair.key as Node), []);
    if (name !== "all") rawGroup(raw, "all").children.add(name);
  }
  return raw;
}

function keyText(
  key: unknown,
  file: string,
  lineOf: (n: Node | null | undefined) => number | undefined,
): string {
  if (isScalar(key) && (typeof key.value === "string" || typeof key.value === "number")) {
    const text = String(key.value).trim();
    if (text !== "") return text;
  }
  throw new InventoryError(file, "a key must be a non-empty name", lineOf(key as Node));
}

function toPlain(node: Node | null): unknown {
  if (node === null) return null;
  return node.toJSON();
}
