import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  blobType,
  checkHostKey,
  fingerprint,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from "../../src/transport/known-hosts.js";

// Real keys from ssh-keygen, one per type ssh2 can verify, plus a second ed25519 for "changed".
const TYPES: Array<[string, string[]]> = [
  ["ssh-ed25519", ["-t", "ed25519"]],
  ["ecdsa-sha2-nistp256", ["-t", "ecdsa", "-b", "256"]],
  ["ecdsa-sha2-nistp384", ["-t", "ecdsa", "-b", "384"]],
  ["ecdsa-sha2-nistp521", ["-t", "ecdsa", "-b", "521"]],
  ["ssh-rsa", ["-t", "rsa", "-b", "2048"]],
  ["ssh-dss", ["-t", "dsa"]],
];

let dir: string;
const pub = new Map<string, { line: string; blob: Buffer }>();

function keygen(name: string, args: string[]): { line: string; blob: Buffer } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", [...args, "-N", "", "-q", "-C", "test", "-f", file]);
  const line = readFileSync(`${file}.pub`, "utf8").trim();
  return { line, blob: Buffer.from(line.split(" ")[1]!, "base64") };
}

const keyPart = (name: string) => pub.get(name)!.line.split(" ").slice(0, 2).join(" ");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hm-kh-"));
  for (const [type, args] of TYPES) pub.set(type, keygen(type, args));
  pub.set("ed25519-other", keygen("other", ["-t", "ed25519"]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("known_hosts", () => {
  it("matches every key type ssh2 supports, plain and [host]:port", () => {
    for (const [type] of TYPES) {
      const { blob } = pub.get(type)!;
      expect(blobType(blob)).toBe(type);
      const entries = parseKnownHosts(
        `kvm01,198.51.100.21 ${keyPart(type)}\n[192.0.2.2]:2222 ${keyPart(type)}\n`,
      );
      expect(entries).toHaveLength(2);
      expect(checkHostKey(entries, "kvm01", 22, blob)).toBe("match");
      expect(checkHostKey(entries, "198.51.100.21", 22, blob)).toBe("match");
      expect(checkHostKey(entries, "192.0.2.2", 2222, blob)).toBe("match");
      // A port-22 entry does not vouch for another port, nor the reverse.
      expect(checkHostKey(entries, "kvm01", 2222, blob)).toBe("unknown");
      expect(checkHostKey(entries, "192.0.2.2", 22, blob)).toBe("unknown");
    }
  });

  it("matches entries hashed by ssh-keygen -H, and ssh-keygen -F agrees", () => {
    const file = join(dir, "known_hosts");
    writeFileSync(
      file,
      [
        `kvm01 ${keyPart("ssh-ed25519")}`,
        `[192.0.2.2]:2222 ${keyPart("ecdsa-sha2-nistp256")}`,
        `203.0.113.9 ${keyPart("ssh-rsa")}`,
      ].join("\n"),
    );
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("kvm01");
    expect(text.match(/^\|1\|/gm)).toHaveLength(3);
    const entries = readKnownHosts(file);
    expect(entries.every((e) => e.hosts.kind === "hashed")).toBe(true);
    const cases: Array<[string, number, string]> = [
      ["kvm01", 22, "ssh-ed25519"],
      ["192.0.2.2", 2222, "ecdsa-sha2-nistp256"],
      ["203.0.113.9", 22, "ssh-rsa"],
    ];
    for (const [host, port, type] of cases) {
      expect(checkHostKey(entries, host, port, pub.get(type)!.blob)).toBe("match");
      const name = port === 22 ? host : `[${host}]:${port}`;
      expect(execFileSync("ssh-keygen", ["-F", name, "-f", file]).toString()).toContain(type);
    }
    expect(checkHostKey(entries, "kvm02", 22, pub.get("ssh-ed25519")!.blob)).toBe("unknown");
    expect(checkHostKey(entries, "kvm01", 22, pub.get("ed25519-other")!.blob)).toBe("changed");
  });

  it("says changed for another key of the same type, unknown for a type not on file", () => {
    const entries = parseKnownHosts(`kvm01 ${keyPart("ssh-ed25519")}\n`);
    expect(checkHostKey(entries, "kvm01", 22, pub.get("ed25519-other")!.blob)).toBe("changed");
    expect(checkHostKey(entries, "kvm01", 22, pub.get("ecdsa-sha2-nistp256")!.blob)).toBe("unknown");
    expect(knownKeyTypes(entries, "kvm01", 22)).toEqual(["ssh-ed25519"]);
  });

  it("accepts a host with a stale and a current line, as OpenSSH does", () => {
    const entries = parseKnownHosts(`kvm01 ${keyPart("ed25519-other")}\nkvm01 ${keyPart("ssh-ed25519")}\n`);
    expect(checkHostKey(entries, "kvm01", 22, pub.get("ssh-ed25519")!.blob)).toBe("match");
  });

  it("refuses a changed key under any of the host's names even when another name matches", () => {
    const entries = parseKnownHosts(
      `kvm01 ${keyPart("ed25519-other")}\n198.51.100.21 ${keyPart("ssh-ed25519")}\n`,
    );
    expect(checkHostKey(entries, ["198.51.100.21", "kvm01"], 22, pub.get("ssh-ed25519")!.blob)).toBe(
      "changed",
    );
  });

  it("honours @revoked, skips @cert-authority, wildcards and negation", () => {
    const ed = pub.get("ssh-ed25519")!.blob;
    const text = [
      "# comment line",
      "",
      `@cert-authority *.example.net ${keyPart("ssh-ed25519")}`,
      `@revoked * ${keyPart("ecdsa-sha2-nistp384")}`,
      `kvm*,!kvm9 ${keyPart("ssh-ed25519")} trailing comment`,
      `*.lab ${keyPart("ecdsa-sha2-nistp384")}`,
      "@bogus kvm01 ssh-ed25519 AAAA",
    ].join("\n");
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(4);
    expect(checkHostKey(entries, "a.example.net", 22, ed)).toBe("unknown");
    expect(checkHostKey(entries, "kvm07", 22, ed)).toBe("match");
    expect(checkHostKey(entries, "KVM07", 22, ed)).toBe("match");
    expect(checkHostKey(entries, "kvm9", 22, ed)).toBe("unknown");
    expect(checkHostKey(entries, "x.lab", 22, pub.get("ecdsa-sha2-nistp384")!.blob)).toBe("revoked");
  });

  it("skips malformed lines instead of failing", () => {
    const entries = parseKnownHosts(
      [
        "kvm01",
        "kvm01 ssh-ed25519",
        "kvm01 ssh-ed25519 !!!notbase64",
        `kvm01 ssh-rsa ${keyPart("ssh-ed25519").split(" ")[1]}`,
        "|1|short|short ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==",
        `kvm02 ${keyPart("ssh-ed25519")}`,
      ].join("\n"),
    );
    expect(entries.map((e) => e.line)).toEqual([6]);
    expect(readKnownHosts(join(dir, "does-not-exist"))).toEqual([]);
  });

  it("prints the SHA256 fingerprint exactly as ssh-keygen -l does", () => {
    for (const [type] of TYPES) {
      const out = execFileSync("ssh-keygen", [
        "-l",
        "-E",
        "sha256",
        "-f",
        join(dir, `${type}.pub`),
      ]).toString();
      expect(out.split(" ")[1]).toBe(fingerprint(pub.get(type)!.blob));
    }
  });
});
