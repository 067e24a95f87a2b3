import { InventoryError } from "./errors.js";

/**
 * Ansible host ranges: `kvm[01:03]` → kvm01, kvm02, kvm03; `[a:c]` for letters; `[0:10:5]` with a
 * stride. A name without brackets is returned as is. Throws with a readable problem on a bad range.
 */
export function expandHostPattern(name: string): string[] {
  const m = /^(.*?)\[([^\]]+)\](.*)$/.exec(name);
  if (!m) return [name];
  const [, head = "", range = "", tail = ""] = m;
  const parts = range.split(":");
  if (parts.length < 2 || parts.length > 3) throw new Error(`bad host range "[${range}]" in "${name}"`);
  const [from = "", to = "", strideText] = parts;
  const stride = strideText === undefined ? 1 : Number(strideText);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`bad stride in host range "${name}"`);
  const items: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from);
    const b = Number(to);
    const width = from.length > 1 && from.startsWith("0") ? from.length : 0;
    if (b < a) throw new Error(`host range "${name}" runs backwards`);
    if ((b - a) / stride > 10_000) throw new Error(`host range "${name}" is too large`);
    for (let i = a; i <= b; i += stride) items.push(String(i).padStart(width, "0"));
  } else if (/^[a-z]$/.test(from) && /^[a-z]$/.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += stride) items.push(String.fromCharCode(c));
    if (items.length === 0) throw new Error(`host range "${name}" runs backwards`);
  } else {
    throw new Error(`bad host range "[${range}]" in "${name}"`);
  }
  return items.flatMap((item) => expandHostPattern(`${head}${item}${tail}`));
}

/** The hosts of a pattern written at `line` of an inventory file; a bad range is reported there. */
export function expandHostPatternAt(pattern: string, file: string, line: number | undefined): string[] {
  try {
    return expandHostPattern(pattern);
  } catch (e) {
    throw new InventoryError(file, (e as Error).message, line);
  }
}
