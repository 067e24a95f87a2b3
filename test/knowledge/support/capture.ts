/** Collects an evidence bundle from a lab host over SSH with the real probe registry. */
import { collect } from "../../../src/diagnosis/collect.js";
import type { InventoryHost } from "../../../src/inventory/types.js";
import type { Lab } from "../../../src/lab/lab.js";
import { selectProbes } from "../../../src/probes/index.js";
import type { EvidenceBundle } from "../../../src/probes/types.js";
import { connectHost } from "../../../src/transport/connect.js";

export async function captureBundle(lab: Lab, targets: string[]): Promise<EvidenceBundle> {
  const host: InventoryHost = {
    name: lab.hostName,
    kind: "ssh",
    address: lab.address,
    port: lab.port,
    user: lab.user,
    keyFile: lab.keyFile,
    groups: ["all"],
    vars: {},
  };
  const t = await connectHost(host, {
    knownHosts: lab.knownHostsFile,
    sshKey: lab.keyFile,
    sshKeyPassphrase: undefined,
    agentSocket: undefined,
  });
  try {
    const ctx = { targets };
    return await collect(t, { probes: selectProbes(ctx), ctx });
  } finally {
    await t.close();
  }
}
