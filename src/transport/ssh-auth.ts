import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
// ssh2 is CommonJS: Node's ESM loader only gives its default export.
import ssh2, { type ParsedKey } from "ssh2";
import { TransportError } from "./types.js";

/** Where the client's keys come from (CONTRACT.md: MEDIC_SSH_KEY, then ssh-agent, then ~/.ssh/id_*). */
export interface KeySources {
  /** An explicit key file: the inventory's ansible_ssh_private_key_file, else MEDIC_SSH_KEY. */
  keyFile?: string;
  /** For an encrypted key file (MEDIC_SSH_KEY_PASSPHRASE). Never logged. */
  passphrase?: string;
  /** SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** Where ~/.ssh lives; tests point it elsewhere. */
  homeDir?: string;
}

export type AuthMethod =
  | { type: "publickey"; username: string; key: ParsedKey }
  | { type: "agent"; username: string; agent: string };

export interface AuthPlan {
  methods: AuthMethod[];
  /** What will be tried, for the auth_failed message: file paths and "ssh-agent", no key material. */
  tried: string[];
}

/**
 * An explicit key file is the only method when given (a wrong or missing passphrase is an error
 * here, before connecting). Otherwise the agent, then the default key files that can be read without
 * a passphrase.
 */
export function planAuth(username: string, sources: KeySources): AuthPlan {
  if (sources.keyFile) {
    const key = loadKey(sources.keyFile, sources.passphrase);
    return { methods: [{ type: "publickey", username, key }], tried: [`key file ${sources.keyFile}`] };
  }
  const methods: AuthMethod[] = [];
  const tried: string[] = [];
  if (sources.agentSocket) {
    methods.push({ type: "agent", username, agent: sources.agentSocket });
    tried.push("ssh-agent");
  }
  for (const name of ["id_ed25519", "id_rsa"]) {
    const file = join(sources.homeDir ?? homedir(), ".ssh", name);
    if (!existsSync(file)) continue;
    try {
      methods.push({ type: "publickey", username, key: loadKey(file, sources.passphrase) });
      tried.push(`key file ${file}`);
    } catch (e) {
      tried.push(`key file ${file} (skipped: ${(e as TransportError).message})`);
    }
  }
  if (methods.length === 0) {
    throw new TransportError(
      "auth_failed",
      `no SSH key to log in with${tried.length ? ` (${tried.join("; ")})` : ""}`,
      "Set MEDIC_SSH_KEY to a private key file, run an ssh-agent (SSH_AUTH_SOCK), or create ~/.ssh/id_ed25519.",
    );
  }
  return { methods, tried };
}

/**
 * Reads and decrypts a private key once, so a bad file or passphrase is a clear error before
 * connecting; the parsed key goes to ssh2 and nowhere else.
 */
export function loadKey(file: string, passphrase: string | undefined): ParsedKey {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TransportError(
      "auth_failed",
      code === "ENOENT"
        ? `key file ${file} does not exist`
        : `cannot read key file ${file} (${code ?? "error"})`,
      "Check MEDIC_SSH_KEY or the inventory's ansible_ssh_private_key_file.",
    );
  }
  const parsed = ssh2.utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      throw new TransportError(
        "auth_failed",
        `key file ${file} is encrypted and no passphrase was given`,
        "Set MEDIC_SSH_KEY_PASSPHRASE, or load the key into ssh-agent.",
      );
    }
    if (/passphrase/i.test(parsed.message)) {
      throw new TransportError(
        "auth_failed",
        `wrong passphrase for key file ${file}`,
        "Check MEDIC_SSH_KEY_PASSPHRASE.",
      );
    }
    throw new TransportError(
      "auth_failed",
      `key file ${file} is not a private key ssh2 can read (${parsed.message})`,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) {
    throw new TransportError("auth_failed", `key file ${file} holds no private key (a .pub file?)`);
  }
  return key;
}
