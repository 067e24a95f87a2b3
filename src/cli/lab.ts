import { cleanupPrefix, namespacesOfPrefix } from "../lab/cleanup.js";
import { faults } from "../lab/faults/index.js";
import { attachLab, type Lab, labUp } from "../lab/lab.js";
import { checkPrefix, EXTRAS, type Extra } from "../lab/plan.js";
import { stateFile } from "../lab/state.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage:
  hostmedic lab up [--prefix P] [--with EXTRA,...] [--bastion] [--users] [--host-name NAME]
  hostmedic lab down [--prefix P]
  hostmedic lab fault ID [--prefix P]
  hostmedic lab faults

A KVM-like host in network namespaces (needs root): \${P}host with br0 198.51.100.1/24 (guests vm1
198.51.100.10, vm2 .11), the NAT network virbr0 203.0.113.1/25 (vm3 203.0.113.10), a LAN router
\${P}out (198.51.100.254, "internet" 203.0.113.200) and a real sshd on a 192.0.2.x management link.
\`up\` leaves it running and prints the inventory, known_hosts and key to use; \`fault\` injects a
cause of the catalog; \`down\` removes every namespace, link, process and file of the lab.

options:
  --prefix P      names of namespaces and links start with P (default "hm"; [a-z][a-z0-9]{0,9})
  --with LIST     optional parts: ${EXTRAS.filter((e) => e !== "bridgedUplink").join(", ")}
  --bastion       a jump host \${P}jump with its own sshd; the host is reachable through it
  --users         also the non-root login medic-lab (key authorized, sudo asks for a password)
  --host-name N   inventory name of the host (default \${P}kvm01)`;

interface Parsed {
  positional: string[];
  prefix: string;
  extras: Extra[];
  bastion: boolean;
  users: boolean;
  hostName?: string;
}

function parse(argv: string[]): Parsed | string {
  const out: Parsed = { positional: [], prefix: "hm", extras: [], bastion: false, users: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (arg === "--prefix") {
      const v = value();
      if (!v) return "--prefix needs a value";
      out.prefix = v;
    } else if (arg === "--with") {
      const v = value();
      if (!v) return "--with needs a list, e.g. --with macvtap,dhcp";
      for (const name of v.split(",").filter(Boolean)) {
        if (!(EXTRAS as readonly string[]).includes(name)) {
          return `unknown part "${name}" for --with (known: ${EXTRAS.join(", ")})`;
        }
        out.extras.push(name as Extra);
      }
    } else if (arg === "--bastion") {
      out.bastion = true;
    } else if (arg === "--users") {
      out.users = true;
    } else if (arg === "--host-name") {
      const v = value();
      if (!v || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(v)) return "--host-name needs a host name";
      out.hostName = v;
    } else if (arg.startsWith("--")) {
      return `unknown option ${arg}`;
    } else {
      out.positional.push(arg);
    }
  }
  try {
    checkPrefix(out.prefix);
  } catch (error) {
    return (error as Error).message;
  }
  return out;
}

function describeLab(lab: Lab, io: CliIo): void {
  io.out(
    [
      `lab "${lab.prefix}" is up: host ${lab.hostName} at ${lab.address} (ssh ${lab.user}@${lab.address})`,
      `  inventory:   ${lab.inventoryFile}`,
      `  known_hosts: ${lab.knownHostsFile}`,
      `  key:         ${lab.keyFile}`,
      ...(lab.nonRootUser
        ? [`  non-root:    ${lab.nonRootUser.name} with key ${lab.nonRootUser.keyFile}`]
        : []),
      ...(lab.bastion
        ? [`  bastion:     ${lab.bastion.user}@${lab.bastion.address} (group kvm_via_jump)`]
        : []),
      `  state:       ${stateFile(lab.prefix)}`,
      "",
      "To use it:",
      `export MEDIC_INVENTORY=${lab.inventoryFile}`,
      `export MEDIC_KNOWN_HOSTS=${lab.knownHostsFile}`,
      `export MEDIC_SSH_KEY=${lab.keyFile}`,
      "",
      `Then e.g.: hostmedic lab fault tap_not_enslaved --prefix ${lab.prefix}; hostmedic diagnose ${lab.hostName} "vm 198.51.100.10 cannot reach the host"`,
      `Remove it: hostmedic lab down --prefix ${lab.prefix}`,
    ].join("\n"),
  );
}

function listFaults(io: CliIo): void {
  const width = Math.max(...[...faults.keys()].map((id) => id.length));
  const lines = [...faults.values()].map(
    (f) => `${String(f.number).padStart(2)}  ${f.id.padEnd(width)}  ${f.description}`,
  );
  io.out(["#   cause id".padEnd(width + 4), ...lines].join("\n"));
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || wantsHelp(argv)) {
    io.out(USAGE);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const parsed = parse(argv);
  if (typeof parsed === "string") {
    io.err(`hostmedic lab: ${parsed}`);
    return EXIT.usage;
  }
  const [sub, ...rest] = parsed.positional;
  if (sub === "faults") {
    listFaults(io);
    return EXIT.ok;
  }
  if (!["up", "down", "fault"].includes(sub ?? "")) {
    io.err(`hostmedic lab: unknown subcommand "${sub ?? ""}" (up, down, fault, faults)`);
    return EXIT.usage;
  }
  if (process.getuid?.() !== 0) {
    io.err("hostmedic lab: needs root (network namespaces, veth links, a second sshd); run it with sudo");
    return EXIT.usage;
  }
  const { prefix } = parsed;
  switch (sub) {
    case "up": {
      if (rest.length > 0) {
        io.err(`hostmedic lab up: unexpected argument "${rest[0]}"`);
        return EXIT.usage;
      }
      const lab = await labUp({
        prefix,
        extras: Object.fromEntries(parsed.extras.map((e) => [e, true])),
        bastion: parsed.bastion,
        sshUsers: parsed.users,
        ...(parsed.hostName ? { hostName: parsed.hostName } : {}),
      });
      lab.detach(); // it outlives this command
      describeLab(lab, io);
      return EXIT.ok;
    }
    case "down": {
      const existed = namespacesOfPrefix(prefix).length > 0;
      await cleanupPrefix(prefix);
      io.out(existed ? `lab "${prefix}" removed` : `no lab "${prefix}" was up; leftovers (if any) removed`);
      return EXIT.ok;
    }
    default: {
      const [id, ...extra] = rest;
      if (!id || extra.length > 0) {
        io.err("usage: hostmedic lab fault ID [--prefix P]   (ids: hostmedic lab faults)");
        return EXIT.usage;
      }
      const fault = faults.get(id);
      if (!fault) {
        io.err(`hostmedic lab: unknown fault "${id}" (see: hostmedic lab faults)`);
        return EXIT.usage;
      }
      const lab = attachLab(prefix);
      if (!lab) {
        io.err(`hostmedic lab: no lab "${prefix}" is up (start one: hostmedic lab up --prefix ${prefix})`);
        return EXIT.failure;
      }
      try {
        await lab.fault(id);
      } catch (error) {
        io.err(`hostmedic lab: ${id} not injected: ${(error as Error).message}`);
        return EXIT.failure;
      }
      io.out(
        [
          `injected #${fault.number} ${fault.id} into lab "${prefix}": ${fault.description}`,
          `a user would say: "${fault.symptom.en}" / "${fault.symptom.zh}"`,
          `try: hostmedic diagnose ${lab.hostName} "${fault.symptom.en}"`,
        ].join("\n"),
      );
      return EXIT.ok;
    }
  }
}
