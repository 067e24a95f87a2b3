/**
 * A DHCP client that checks UDP checksums itself on a raw socket and ignores the kernel's "checksum
 * not ready" hint, as RHEL 5-era dhclient did. busybox udhcpc 1.35 honours PACKET_AUXDATA and accepts
 * unfilled checksums, so it cannot show dhcp_checksum_offload (#45); this client can. It only does
 * DISCOVER -> OFFER (enough to show "no lease") and prints what it saw. Run with /usr/bin/python3
 * (Debian python3-minimal) inside a guest namespace: argv = interface, tries, seconds per try.
 */
export const STRICT_DHCP_CLIENT_SOURCE = String.raw`
import random, socket, struct, sys, time
iface, tries, per_try = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
sock.bind((iface, 0))
mac = sock.getsockname()[4]
xid = random.getrandbits(32)
bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                    b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
bootp += b"\x63\x82\x53\x63" + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\0" * 4, b"\xff" * 4)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
frame = b"\xff" * 6 + mac + b"\x08\x00" + ip + udp

for attempt in range(tries):
    print("strict-dhcp: sending discover", flush=True)
    sock.send(frame)
    deadline = time.time() + per_try
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            pkt = sock.recv(4096)
        except socket.timeout:
            break
        if len(pkt) < 14 + 20 + 8 + 240 or pkt[12:14] != b"\x08\x00":
            continue
        ihl = (pkt[14] & 0x0F) * 4
        iph = pkt[14:14 + ihl]
        if iph[9] != 17:
            continue
        total = struct.unpack("!H", iph[2:4])[0]
        seg = pkt[14 + ihl:14 + total]
        sport, dport, ulen, check = struct.unpack("!HHHH", seg[:8])
        body = seg[8:]
        if dport != 68 or body[0] != 2 or struct.unpack("!I", body[4:8])[0] != xid:
            continue
        yiaddr = socket.inet_ntoa(body[16:20])
        server = socket.inet_ntoa(iph[12:16])
        pseudo = iph[12:20] + struct.pack("!BBH", 0, 17, ulen)
        if check != 0 and csum(pseudo + seg[:ulen]) != 0:
            print("strict-dhcp: offer of %s from %s dropped: bad udp checksum 0x%04x" % (yiaddr, server, check), flush=True)
            continue
        print("strict-dhcp: offer of %s from %s accepted" % (yiaddr, server), flush=True)
        sys.exit(0)
print("strict-dhcp: no lease, failing", flush=True)
sys.exit(1)
`;

/** argv running the strict client once in the current namespace. */
export function strictDhcpClient(tries = 3, secondsPerTry = 2): string[] {
  return ["/usr/bin/python3", "-c", STRICT_DHCP_CLIENT_SOURCE, "eth0", String(tries), String(secondsPerTry)];
}

/** argv of a guest that keeps trying (a booting VM waiting for its address). */
export function strictDhcpClientForever(): string[] {
  return [
    "bash",
    "-c",
    'while :; do /usr/bin/python3 -c "$0" eth0 3 2; sleep 2; done',
    STRICT_DHCP_CLIENT_SOURCE,
  ];
}
