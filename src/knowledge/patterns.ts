/** Pattern kinds for values filled into command templates. A value reaches a command only if it matches. */
export type ParamKind = "ifname" | "ipv4" | "cidr" | "mac" | "int" | "word";

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = `${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`;

export const PARAM_PATTERNS: Record<ParamKind, RegExp> = {
  ifname: /^[A-Za-z0-9_.:@-]{1,15}$/,
  ipv4: new RegExp(`^${IPV4}$`),
  cidr: new RegExp(`^${IPV4}/(3[0-2]|[12]?\\d)$`),
  mac: /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/,
  int: /^-?\d{1,12}$/,
  word: /^[A-Za-z0-9_.:-]{1,64}$/,
};

export const PARAM_KINDS = Object.keys(PARAM_PATTERNS) as ParamKind[];

export function isParamKind(value: unknown): value is ParamKind {
  return typeof value === "string" && (PARAM_KINDS as string[]).includes(value);
}

/** True when the value may be filled into a command for that kind. */
export function checkParam(kind: ParamKind, value: unknown): value is string | number {
  if (typeof value === "number") return Number.isFinite(value) && PARAM_PATTERNS[kind].test(String(value));
  return typeof value === "string" && PARAM_PATTERNS[kind].test(value);
}
