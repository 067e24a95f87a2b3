import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export interface InventoryHost {
  name: string;
  group: string;
  address: string;
  port: number;
  user: string;
  keyFile: string;
  /** e.g. `-o ProxyCommand="ssh ... -W %h:%p root@192.0.2.6"` for a host behind the bastion. */
  sshCommonArgs?: string;
}

/** The CONTRACT.md inventory form (Ansible YAML). */
export function inventoryYaml(hosts: InventoryHost[]): string {
  const children: Record<string, { hosts: Record<string, Record<string, string | number>> }> = {};
  for (const h of hosts) {
    const vars: Record<string, string | number> = {
      ansible_host: h.address,
      ansible_port: h.port,
      ansible_user: h.user,
      ansible_ssh_private_key_file: h.keyFile,
    };
    if (h.sshCommonArgs) vars.ansible_ssh_common_args = h.sshCommonArgs;
    children[h.group] ??= { hosts: {} };
    children[h.group]!.hosts[h.name] = vars;
  }
  return stringify({ all: { children } });
}

/** known_hosts lines: `address keytype key` (port 22) or `[address]:port keytype key`. */
export function knownHostsLine(address: string, port: number, publicKey: string): string {
  const [type, key] = publicKey.trim().split(/\s+/);
  const host = port === 22 ? address : `[${address}]:${port}`;
  return `${host} ${type} ${key}`;
}

export async function writeText(file: string, text: string, mode = 0o644): Promise<void> {
  await writeFile(file, text, { mode });
}
