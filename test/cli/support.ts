import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, ROOT, type RunResult, runNode } from "../support/cli.js";

/**
 * Builds dist/ once per test file (the CLI runs as a real child process). Type errors in files
 * that are mid-work elsewhere do not stop tsc from emitting, so only a missing cli.js counts.
 */
export function buildCli(): void {
  spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: ROOT,
      stdio: "ignore",
    },
  );
  if (!existsSync(CLI)) throw new Error("dist/src/cli.js was not built (npx tsc -p tsconfig.build.json)");
}

/** A scratch directory as the working directory (so no .env of the checkout is read). */
export function scratch(): { dir: string; env: Record<string, string>; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hmi-cli-"));
  return {
    dir,
    env: { MEDIC_DB: join(dir, "medic.db"), MEDIC_INVENTORY: join(dir, "inventory.yml"), LOG_LEVEL: "warn" },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function hostmedic(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 60_000,
): Promise<RunResult> {
  return runNode(CLI, args, { env, cwd, timeoutMs });
}

export function writeInventory(
  file: string,
  hosts: Record<string, { address: string; port: number; key?: string }>,
): void {
  const lines = ["all:", "  children:", "    kvm:", "      hosts:"];
  for (const [name, h] of Object.entries(hosts)) {
    lines.push(
      `        ${name}:`,
      `          ansible_host: ${h.address}`,
      `          ansible_port: ${h.port}`,
    );
    if (h.key) lines.push(`          ansible_ssh_private_key_file: ${h.key}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

export function sshKey(dir: string): string | null {
  const key = join(dir, "id_ed25519");
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], { stdio: "ignore" });
    return key;
  } catch {
    return null;
  }
}
