import type { Config } from "../config.js";
import type { InventoryHost } from "../inventory/types.js";
import { localTransport } from "./local.js";
import { connectSsh } from "./ssh.js";
import type { Transport } from "./types.js";

/** The part of Config a connection needs. */
export type ConnectConfig = Pick<Config, "knownHosts" | "sshKey" | "sshKeyPassphrase" | "agentSocket"> & {
  connectTimeoutMs?: number;
};

export const DEFAULT_CONNECT_TIMEOUT_MS = 8_000;

/** localhost (or ansible_connection=local) runs here without SSH; every other host over ssh2. */
export function connectHost(host: InventoryHost | "localhost", cfg: ConnectConfig): Promise<Transport> {
  if (host === "localhost" || host.kind === "local") return Promise.resolve(localTransport());
  return connectSsh(host, {
    knownHostsFile: cfg.knownHosts,
    ...(cfg.sshKey !== undefined && { keyFile: cfg.sshKey }),
    ...(cfg.sshKeyPassphrase !== undefined && { passphrase: cfg.sshKeyPassphrase }),
    ...(cfg.agentSocket !== undefined && { agentSocket: cfg.agentSocket }),
    connectTimeoutMs: cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
}
