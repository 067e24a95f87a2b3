import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cleanupStalePrefix } from "../../src/lab/cleanup.js";

/** Prefixes tests use for labs (one per engineer area); stale labs of these are removed. */
const TEST_PREFIXES = [
  "hml",
  "hml2",
  "hmlc",
  "hmlf",
  "hme",
  "hmk",
  "hms",
  "hmf",
  "hmp",
  "hmi",
  "hmh",
  "hmj",
  "hmx",
];

/** Commands the lab runs, and the Debian packages that bring them. */
const COMMANDS = [
  "ip",
  "iptables",
  "nft",
  "sshd",
  "ssh-keygen",
  "ssh",
  "ping",
  "arping",
  "ebtables",
  "bridge",
  "tcpdump",
  "dnsmasq",
  "busybox",
  "conntrack",
  "sudo",
  "tc",
  "ethtool",
  "python3",
];
const PACKAGES = [
  "iproute2",
  "iptables",
  "nftables",
  "openssh-server",
  "openssh-client",
  "iputils-ping",
  "arping",
  "bridge-utils",
  "tcpdump",
  "ethtool",
  "conntrack",
  "dnsmasq-base",
  "busybox",
  "sudo",
  "ebtables",
  "python3-minimal",
];

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function missingCommands(): string[] {
  return COMMANDS.filter((cmd) => !SEARCH_PATH.some((dir) => existsSync(`${dir}/${cmd}`)));
}

function installLabPackages(): void {
  const missing = missingCommands();
  if (missing.length === 0) return;
  process.stderr.write(`lab: installing Debian packages (missing: ${missing.join(", ")})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...PACKAGES], {
    stdio: "inherit",
    env,
  });
}

function cleanupStale(): void {
  for (const prefix of TEST_PREFIXES) cleanupStalePrefix(prefix);
}

export function setup(): void {
  if (process.getuid?.() !== 0) return; // lab tests skip themselves with a reason
  installLabPackages();
  cleanupStale();
}

export function teardown(): void {
  if (process.getuid?.() !== 0) return;
  cleanupStale();
}
