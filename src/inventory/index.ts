import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { buildInventory } from "./build.js";
import { InventoryError } from "./errors.js";
import { readIniInventory } from "./ini.js";
import { emptyRaw, type Inventory } from "./types.js";
import { readYamlInventory } from "./yaml.js";

export { EmptyGroupError, EmptyInventoryError, InventoryError, UnknownHostError } from "./errors.js";
export type { Inventory, InventoryHost, JumpHost } from "./types.js";

/** Reads an Ansible inventory file, YAML or INI form, and checks every host's connection settings. */
export function loadInventory(file: string): Inventory {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InventoryError(
      file,
      code === "ENOENT" ? "no such file" : `cannot read: ${(e as Error).message}`,
    );
  }
  return parseInventory(text, file);
}

/** The form is taken from the extension (.yml/.yaml/.json → YAML, .ini/.cfg → INI), else from the text. */
export function parseInventory(text: string, file: string): Inventory {
  const ext = extname(file).toLowerCase();
  const yaml = [".yml", ".yaml", ".json"].includes(ext)
    ? true
    : [".ini", ".cfg"].includes(ext)
      ? false
      : looksLikeYaml(text);
  const raw = yaml ? readYamlInventory(text, file) : readIniInventory(text, file);
  return buildInventory(raw, file);
}

/** An INI inventory starts with a [section] or a bare host line; a YAML one with `name:`. */
function looksLikeYaml(text: string): boolean {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#") || t.startsWith(";")) continue;
    if (t === "---" || t.startsWith("{")) return true;
    return /^[^\s=[]+:(\s|$)/.test(t);
  }
  return true;
}

/** No inventory file: only localhost can be reached, and every other name is unknown. */
export function localOnlyInventory(file: string): Inventory {
  return buildInventory(emptyRaw(), file);
}
