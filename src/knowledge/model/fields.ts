/**
 * The host model's vocabulary: every collection (subject) a rule can iterate and every field a
 * condition or a template can name. `rules check` validates against this map, and the builder is
 * typed from it, so a field exists in rules exactly when the model produces it.
 * Conventions: "" = unknown/none for strings, -1 = unknown for numbers.
 */
export const SUBJECT_FIELDS = {
  host: {
    name: "string",
    ipForward: "number",
    brNetfilter: "boolean",
    bridgeNfCallIptables: "number",
    forwardPolicy: "string",
    iptForwardPolicy: "string",
    iptForwardPolicyPackets: "number",
    inputPolicy: "string",
    nftForwardDrop: "boolean",
    nftForwardDropTable: "string",
    nftForwardDropChain: "string",
    nftForwardDropText: "string",
    nftInputDrop: "boolean",
    nftInputDropTable: "string",
    nftInputDropChain: "string",
    nftInputDropText: "string",
    nftInputDropHandle: "number",
    nftForwardDropHandle: "number",
    firewallRuleCount: "number",
    libvirtRules: "boolean",
    conntrackCount: "number",
    conntrackMax: "number",
    conntrackFillPercent: "number",
    conntrackDrops: "number",
    conntrackFullLog: "number",
    neighCount: "number",
    gcThresh3: "number",
    neighOverflowLog: "number",
    ownAddressLog: "number",
    duplicateMac: "string",
    duplicateMacCount: "number",
    duplicateMacIps: "string",
    nmActive: "boolean",
    nmDisturbedTap: "string",
    nmDisturbedState: "string",
    ovsBrokenPort: "string",
    ovsBrokenBridge: "string",
    ovsBrokenError: "string",
    ovsDaemonDown: "boolean",
    firewalldActive: "boolean",
    dockerActive: "boolean",
    ufwActive: "boolean",
    defaultGateway: "string",
    defaultDev: "string",
    virsh: "boolean",
    userModeDomain: "string",
    userModeCount: "number",
    inactiveNetwork: "string",
    inactiveNetworkUsers: "number",
    rpFilterAll: "number",
    arpIgnoreAll: "number",
    proxyArpAll: "number",
    rpFilterDrops: "number",
    martianLog: "number",
    martianDev: "string",
    arpFilterDrops: "number",
  },
  links: {
    name: "string",
    kind: "string",
    role: "string",
    master: "string",
    adminUp: "boolean",
    carrier: "boolean",
    mtu: "number",
    qdiscKind: "string",
    qdiscHandle: "string",
    qdiscDrops: "number",
    qdiscLossPercent: "number",
    qdiscShaping: "boolean",
    ebtDrops: "number",
    ebtDropText: "string",
    ebtDropChain: "string",
    onTargetPath: "boolean",
  },
  bridges: {
    name: "string",
    adminUp: "boolean",
    carrier: "boolean",
    mtu: "number",
    ipv4: "string",
    cidr: "string",
    subnet: "string",
    hasIPv4: "boolean",
    connectedRoute: "boolean",
    defaultRoute: "boolean",
    portCount: "number",
    tapCount: "number",
    uplinkCount: "number",
    upPortCount: "number",
    stpState: "number",
    forwardDelay: "number",
    vlanFiltering: "number",
    nfCallIptables: "number",
    nat: "boolean",
    network: "string",
    isolatedPortCount: "number",
    proxyArp: "number",
    forwarding: "number",
    rpFilter: "number",
    arpIgnore: "number",
    bridgedFiltered: "boolean",
    forwardBlocked: "boolean",
    forwardBlockedBy: "string",
    inputBlocked: "boolean",
    inputBlockedBy: "string",
    inputBlockedRule: "string",
    expectsUplink: "boolean",
    strayNic: "string",
    overlapDev: "string",
    overlapPrefix: "string",
    proxyArpOverlapDev: "string",
    proxyArpOverlapPrefix: "string",
    onTargetPath: "boolean",
  },
  ports: {
    name: "string",
    bridge: "string",
    role: "string",
    state: "string",
    adminUp: "boolean",
    carrier: "boolean",
    bridgeUp: "boolean",
    isolated: "boolean",
    isolatedPeers: "number",
    learning: "boolean",
    flood: "boolean",
    bcastFlood: "boolean",
    locked: "boolean",
    staticFdb: "number",
    mtu: "number",
    bridgeMtu: "number",
    mtuOdd: "boolean",
    hasIPv4: "boolean",
    cidr: "string",
    gateway: "string",
    stpState: "number",
    forwardDelay: "number",
    forwardDelayTimer: "number",
    vlanFiltering: "number",
    pvid: "number",
    vlanCount: "number",
    uplinkVlans: "string",
    pvidOnUplink: "boolean",
    pvidUntagged: "boolean",
    onTargetPath: "boolean",
  },
  taps: {
    name: "string",
    kind: "string",
    mac: "string",
    master: "string",
    enslaved: "boolean",
    ovsPort: "boolean",
    expectedBridge: "string",
    expectedFrom: "string",
    adminUp: "boolean",
    carrier: "boolean",
    operstate: "string",
    tunQueues: "number",
    persist: "boolean",
    portState: "string",
    guestMac: "string",
    guestIp: "string",
    domain: "string",
    ifaceType: "string",
    virshLink: "string",
    running: "boolean",
    mtu: "number",
    parent: "string",
    parentMaster: "string",
    parentHasHostIp: "boolean",
    parentHostIp: "string",
    macvtapMode: "string",
    nmState: "string",
    onTargetPath: "boolean",
  },
  uplinks: {
    name: "string",
    kind: "string",
    master: "string",
    enslaved: "boolean",
    adminUp: "boolean",
    carrier: "boolean",
    isolated: "boolean",
    wireless: "boolean",
    hostVirtualised: "boolean",
    gatewayReachable: "boolean",
    guestOutsideFails: "boolean",
  },
  networks: {
    name: "string",
    bridge: "string",
    subnet: "string",
    source: "string",
    forwardMode: "string",
    active: "boolean",
    bridgeExists: "boolean",
    bridgeUp: "boolean",
    usedByDomains: "number",
    tapCount: "number",
    masquerade: "boolean",
    subnetRules: "number",
    ipForward: "number",
    ifForwarding: "number",
    rejectRules: "boolean",
    rejectText: "string",
    dhcpExpected: "boolean",
    dhcpListening: "boolean",
    dnsmasqRunning: "boolean",
    dhcpBlocked: "boolean",
    dhcpBlockedBy: "string",
    checksumFill: "boolean",
    iptablesBackend: "boolean",
    guestNoIp: "boolean",
    firewalldZone: "string",
    onTargetPath: "boolean",
  },
  guests: {
    ip: "string",
    mac: "string",
    tap: "string",
    bridge: "string",
    domain: "string",
    neighState: "string",
    pingSent: "number",
    pingReceived: "number",
    arpingMacs: "number",
    arpingMacList: "string",
    sameIpDomains: "number",
    inBridgeSubnet: "boolean",
    bridgeSubnet: "string",
    onTargetPath: "boolean",
  },
  paths: {
    target: "string",
    kind: "string",
    dev: "string",
    expectedDev: "string",
    gateway: "string",
    neighState: "string",
    neighMac: "string",
    port: "string",
    tap: "string",
    bridge: "string",
    brokenHop: "string",
    brokenAt: "string",
    reason: "string",
    pingSent: "number",
    pingReceived: "number",
    pingFailed: "boolean",
    mtuPingFailed: "boolean",
    hostSideClean: "boolean",
    routeConflict: "boolean",
    conflictPrefix: "string",
    guestNet: "string",
    guestNetBridge: "string",
  },
} as const;

export type Subject = keyof typeof SUBJECT_FIELDS;
export const SUBJECTS = Object.keys(SUBJECT_FIELDS) as Subject[];

/** The fact name a condition uses for one item of the subject. */
export const SUBJECT_FACT: Record<Subject, string> = {
  host: "host",
  links: "link",
  bridges: "bridge",
  ports: "port",
  taps: "tap",
  uplinks: "uplink",
  networks: "network",
  guests: "guest",
  paths: "path",
};

type FieldTypeOf<T> = T extends "string"
  ? string
  : T extends "number"
    ? number
    : T extends "boolean"
      ? boolean
      : never;

export type ItemOf<S extends Subject> = {
  -readonly [K in keyof (typeof SUBJECT_FIELDS)[S]]: FieldTypeOf<(typeof SUBJECT_FIELDS)[S][K]>;
};

export type HostItem = ItemOf<"host">;
export type LinkItem = ItemOf<"links">;
export type BridgeItem = ItemOf<"bridges">;
export type PortItem = ItemOf<"ports">;
export type TapItem = ItemOf<"taps">;
export type UplinkItem = ItemOf<"uplinks">;
export type NetworkItem = ItemOf<"networks">;
export type GuestItem = ItemOf<"guests">;
export type PathItem = ItemOf<"paths">;

/** The host model: what rules see. */
export interface HostModel {
  host: HostItem;
  links: LinkItem[];
  bridges: BridgeItem[];
  ports: PortItem[];
  taps: TapItem[];
  uplinks: UplinkItem[];
  networks: NetworkItem[];
  guests: GuestItem[];
  paths: PathItem[];
}

/** Field type by fact name and field, for validation. */
export function fieldType(fact: string, field: string): string | undefined {
  const subject = (Object.keys(SUBJECT_FACT) as Subject[]).find((s) => SUBJECT_FACT[s] === fact);
  if (!subject) return undefined;
  return (SUBJECT_FIELDS[subject] as Record<string, string>)[field];
}
