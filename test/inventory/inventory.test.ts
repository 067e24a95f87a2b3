import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Inventory,
  InventoryError,
  loadInventory,
  parseInventory,
  UnknownHostError,
} from "../../src/inventory/index.js";
import { closestNames, editDistance } from "../../src/inventory/suggest.js";

const fx = (name: string) => resolve(import.meta.dirname, "../fixtures/inventory", name);

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe.each(["lab.yml", "lab.ini"])("inventory %s", (file) => {
  const inv: Inventory = loadInventory(fx(file));
  const one = (name: string) => {
    const hosts = inv.resolve(name);
    expect(hosts).toHaveLength(1);
    return hosts[0]!;
  };

  it("lists every host, range patterns expanded", () => {
    expect(inv.hostNames()).toEqual(["bastion", "edge01", "kvm01", "kvm02", "kvm11", "kvm12", "kvm13"]);
  });

  it("gives group vars to hosts, the more specific group winning, host vars winning over all", () => {
    const kvm01 = one("kvm01");
    expect(kvm01).toMatchObject({ kind: "ssh", address: "198.51.100.21", port: 22, user: "root" });
    expect(kvm01.jump).toBeUndefined();
    expect(one("kvm02").user).toBe("admin");
    expect(one("edge01").user).toBe("ops");
    expect(one("kvm12")).toMatchObject({ address: "kvm12", port: 2200, user: "root" });
  });

  it("resolves a relative key file from the inventory's directory", () => {
    expect(one("bastion").keyFile).toBe(fx("keys/jump_ed25519"));
    expect(one("kvm01").keyFile).toBeUndefined();
  });

  it("records every group a host is in", () => {
    expect(one("kvm01").groups).toEqual(["all", "edge", "kvm", "kvm_east"]);
  });

  it("resolves groups to their hosts, nested children included", () => {
    expect(inv.resolve("kvm").map((h) => h.name)).toEqual(["kvm01", "kvm02", "kvm11", "kvm12", "kvm13"]);
    expect(inv.resolve("kvm_west").map((h) => h.name)).toEqual(["kvm11", "kvm12", "kvm13"]);
    expect(inv.resolve("all")).toHaveLength(7);
  });

  it("takes a jump host that is an inventory host with that host's settings", () => {
    expect(one("kvm11").jump).toEqual({
      name: "bastion",
      address: "192.0.2.1",
      port: 2222,
      user: "jump",
      keyFile: fx("keys/jump_ed25519"),
    });
  });

  it("reads -J user@host:port for a jump host outside the inventory", () => {
    expect(one("edge01").jump).toEqual({ address: "203.0.113.60", port: 2022, user: "relay" });
  });

  it("always resolves localhost, as a local host", () => {
    expect(one("localhost")).toMatchObject({ name: "localhost", kind: "local" });
  });

  it("refuses an unknown name and suggests the closest ones", () => {
    const err = errorOf(() => inv.resolve("kvm1"));
    expect(err).toBeInstanceOf(UnknownHostError);
    expect(err.message).toBe(
      'unknown host "kvm1"; did you mean kvm01, kvm11, kvm12? Only hosts in the inventory (MEDIC_INVENTORY) can be diagnosed.',
    );
    expect((errorOf(() => inv.resolve("kvm_eas")) as UnknownHostError).suggestions).toEqual(["kvm_east"]);
    expect(errorOf(() => inv.resolve("zzzzzzzz")).message).toBe(
      'unknown host "zzzzzzzz". Only hosts in the inventory (MEDIC_INVENTORY) can be diagnosed.',
    );
  });
});

describe("malformed inventories", () => {
  it.each([
    ["bad-port.yml", 5],
    ["bad-port.ini", 2],
  ])("%s: names the host, the variable, the bad value and the line", (file, line) => {
    const err = errorOf(() => loadInventory(fx(file)));
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).problem).toBe("kvm01: ansible_port 'abc' is not a number");
    expect((err as InventoryError).line).toBe(line);
    expect(err.message).toBe(`${fx(file)}:${line}: kvm01: ansible_port 'abc' is not a number`);
  });

  it("reports a YAML syntax error with its line", () => {
    const err = errorOf(() => loadInventory(fx("broken.yml"))) as InventoryError;
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.problem).toMatch(/^not valid YAML/);
    expect(err.line).toBe(5);
  });

  it("refuses an unknown group key and an unknown INI section kind", () => {
    const yml = errorOf(() => loadInventory(fx("bad-key.yml"))) as InventoryError;
    expect(yml.problem).toBe('group "kvm": unexpected key "host" (only hosts, children and vars)');
    expect(yml.line).toBe(4);
    const ini = errorOf(() => loadInventory(fx("bad-section.ini"))) as InventoryError;
    expect(ini.problem).toBe('unknown section kind ":hostvars" (only :vars and :children)');
    expect(ini.line).toBe(4);
  });

  it("reports an unterminated quote on its line", () => {
    const err = errorOf(() => loadInventory(fx("unterminated.ini"))) as InventoryError;
    expect(err.problem).toBe("unterminated ' quote");
    expect(err.line).toBe(3);
  });

  it("refuses a group cycle", () => {
    const err = errorOf(() => loadInventory(fx("cycle.yml"))) as InventoryError;
    expect(err.problem).toMatch(/^groups form a cycle: all -> a -> b -> a$/);
  });

  it("refuses a ProxyCommand it cannot follow, naming the host", () => {
    const err = errorOf(() => loadInventory(fx("proxycommand.ini"))) as InventoryError;
    expect(err.problem).toMatch(/^kvm02: ProxyCommand "nc -X 5 -x proxy:1080 %h %p" is not supported/);
    expect(err.line).toBe(3);
  });

  it("says when the file is missing", () => {
    const err = errorOf(() => loadInventory(fx("nope.yml"))) as InventoryError;
    expect(err.problem).toBe("no such file");
  });

  it.each([
    [
      "all:\n  hosts:\n    kvm01:\n      ansible_port: 70000\n",
      "kvm01: ansible_port: port 70000 is out of range (1-65535)",
    ],
    [
      "all:\n  hosts:\n    kvm01:\n      ansible_host: 'a b'\n",
      "kvm01: ansible_host 'a b' is not a host name or address",
    ],
    [
      "all:\n  hosts:\n    kvm01:\n      ansible_user: 'ro ot'\n",
      "kvm01: ansible_user 'ro ot' is not a valid user name",
    ],
    [
      "all:\n  hosts:\n    kvm01:\n      ansible_connection: winrm\n",
      "kvm01: ansible_connection 'winrm' is not supported (only ssh and local)",
    ],
    [
      "all:\n  hosts:\n    kvm01:\n      ansible_ssh_common_args: -J a,b\n",
      'kvm01: only one jump host is supported, got "a,b"',
    ],
    ["- kvm01\n", "the top level must be a mapping of groups (all: ...)"],
  ])("refuses %j", (text, problem) => {
    const err = errorOf(() => parseInventory(text, "inv.yml")) as InventoryError;
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.problem).toBe(problem);
    expect(err.line).toBe(text.startsWith("-") ? 1 : 4);
  });
});

describe("other forms", () => {
  it("reads an INI file without extension, ungrouped hosts included", () => {
    const inv = loadInventory(fx("hosts"));
    expect(inv.hostNames()).toEqual(["kvm01", "kvm02"]);
    expect(inv.resolve("ungrouped").map((h) => h.name)).toEqual(["kvm01", "kvm02"]);
    expect(inv.resolve("kvm01")[0]).toMatchObject({ address: "198.51.100.21", port: 22 });
  });

  it("reads ProxyJump spelled as an -o option with a space and ProxyCommand ssh -W", () => {
    const inv = parseInventory(
      [
        "a ansible_ssh_common_args='-o \"ProxyJump jump@192.0.2.1:2222\"'",
        "b ansible_ssh_common_args='-oProxyCommand=\"ssh -W %h:%p -q -p 2222 jump@192.0.2.1\"'",
        "c ansible_ssh_extra_args='-Jjump@[2001:db8::1]:2022'",
        "d ansible_connection=local",
        "e ansible_ssh_common_args='-o StrictHostKeyChecking=yes'",
      ].join("\n"),
      "hosts.ini",
    );
    const jump = { address: "192.0.2.1", port: 2222, user: "jump" };
    expect(inv.resolve("a")[0]!.jump).toEqual(jump);
    expect(inv.resolve("b")[0]!.jump).toEqual(jump);
    expect(inv.resolve("c")[0]!.jump).toEqual({ address: "2001:db8::1", port: 2022, user: "jump" });
    expect(inv.resolve("d")[0]!.kind).toBe("local");
    expect(inv.resolve("e")[0]!.jump).toBeUndefined();
  });

  it("lets a group-wide jump host reach the bastion itself directly", () => {
    const inv = parseInventory(
      "all:\n  vars:\n    ansible_ssh_common_args: -J bastion\n  hosts:\n    bastion:\n      ansible_host: 192.0.2.1\n    kvm01:\n",
      "x.yml",
    );
    expect(inv.resolve("bastion")[0]!.jump).toBeUndefined();
    expect(inv.resolve("kvm01")[0]!.jump).toEqual({ name: "bastion", address: "192.0.2.1", port: 22 });
  });

  it("accepts an empty file: only localhost resolves", () => {
    const inv = parseInventory("", "empty.yml");
    expect(inv.hostNames()).toEqual([]);
    expect(inv.resolve("localhost")[0]!.kind).toBe("local");
    expect(() => inv.resolve("kvm01")).toThrow(UnknownHostError);
  });

  it("reads a top-level group other than all as a child of all", () => {
    const inv = parseInventory("kvm:\n  hosts:\n    kvm01:\n      ansible_port: '2022'\n", "x.yml");
    expect(inv.resolve("kvm")[0]).toMatchObject({ name: "kvm01", port: 2022, groups: ["all", "kvm"] });
  });
});

describe("suggestions", () => {
  it("measures edit distance", () => {
    expect(editDistance("kvm1", "kvm01")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
  it("ranks by distance, then name, ignoring case, at most three", () => {
    expect(closestNames("KVM1", ["kvm01", "kvm11", "kvm1x", "web01", "kvm"])).toEqual([
      "kvm",
      "kvm01",
      "kvm11",
    ]);
    expect(closestNames("db", ["web01"])).toEqual([]);
  });
});
