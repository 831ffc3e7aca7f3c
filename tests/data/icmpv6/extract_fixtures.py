#!/usr/bin/env python3
# Turns the pcaps written by make_fixtures.sh into one-packet fixtures:
#   # comment lines (how the packet was made)
#   src <IPv6 source>
#   dst <IPv6 destination>
#   <ICMPv6 message as hex, whitespace ignored>
import ipaddress, struct, sys, os

def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if caplen == 0:
            break
        yield data[off:off + caplen]
        off += caplen

def icmpv6(frame):
    if len(frame) < 54 or frame[12:14] != b"\x86\xdd":
        return None
    ip = frame[14:]
    nh, src, dst = ip[6], ip[8:24], ip[24:40]
    plen = struct.unpack("!H", ip[4:6])[0]
    pos = 40
    end = 40 + plen
    while nh in (0, 43, 60, 44):
        if nh == 44:
            if struct.unpack("!H", ip[pos + 2:pos + 4])[0] & 0xFFF8:
                return None
            nh, pos = ip[pos], pos + 8
            return None  # fragmented ICMPv6: not a whole message
        nh, pos = ip[pos], pos + (ip[pos + 1] + 1) * 8
    if nh != 58:
        return None
    return (str(ipaddress.IPv6Address(src)), str(ipaddress.IPv6Address(dst)), ip[pos:end])

def pick(msgs, pred):
    for m in msgs:
        if pred(*m):
            return m
    raise SystemExit("no packet matches fixture predicate")

def write(outdir, name, comment, m):
    src, dst, body = m
    lines = ["# " + c for c in comment.split("\n")]
    lines += ["src " + src, "dst " + dst]
    hx = body.hex()
    for i in range(0, len(hx), 64):
        lines.append(" ".join(hx[j:j + 4] for j in range(i, min(i + 64, len(hx)), 4)))
    with open(os.path.join(outdir, name + ".hex"), "w") as f:
        f.write("\n".join(lines) + "\n")

def main():
    capdir, outdir = sys.argv[1], sys.argv[2]
    start = [m for m in (icmpv6(p) for p in packets(os.path.join(capdir, "startup.pcap"))) if m]
    h1 = [m for m in (icmpv6(p) for p in packets(os.path.join(capdir, "h1.pcap"))) if m]
    T = lambda t, c=None: (lambda s, d, b: b[0] == t and (c is None or b[1] == c))
    lab = "Linux 6.18 namespace lab (make_fixtures.sh), captured with tcpdump"
    F = [
        ("echo_request", start + h1, lambda s, d, b: b[0] == 128 and len(b) == 64, "ping -6 fd00:2::2 from ikB-h1"),
        ("echo_reply", h1, lambda s, d, b: b[0] == 129 and len(b) == 64, "reply of ikB-h2 to ping -6"),
        ("neighbor_solicitation_dad", start, lambda s, d, b: b[0] == 135 and s == "::", "duplicate address detection NS of a link-local address (source ::, only the RFC 7527 nonce option)"),
        ("neighbor_solicitation", h1, lambda s, d, b: b[0] == 135 and s == "fd00:1::1" and d.startswith("ff02"), "address resolution NS by ikB-h1 for fd00:1::2 (source link-layer option)"),
        ("neighbor_advertisement", h1, lambda s, d, b: b[0] == 136 and s == "fd00:1::2", "solicited NA from router ikB-r (R, S, O flags, target link-layer option)"),
        ("router_solicitation", start, lambda s, d, b: b[0] == 133 and len(b) == 16, "RS by ikB-h1 after its interface came up (source link-layer option)"),
        ("mldv2_report", start, lambda s, d, b: b[0] == 143 and len(b) == 68, "MLDv2 report of ikB-r's bridge on link-up, before its address is usable (source ::): solicited-node, ff05::2, ff02::2 (a forwarding node joins all-routers)"),
        ("mldv2_report_source", h1, lambda s, d, b: b[0] == 143 and len(b) == 44, "MLDv2 report on leaving the source-specific group ff32:40:fd00:2::8000:1 (BLOCK_OLD_SOURCES, source fd00:2::2)"),
        ("mldv2_report_two_records_sources", h1, lambda s, d, b: b[0] == 143 and len(b) == 64, "MLDv2 report after the source-specific join: ALLOW_NEW_SOURCES (1 source) + CHANGE_TO_EXCLUDE ff12::4321"),
        ("mldv1_report", h1, T(131), "MLDv1 report for ff12::1234 (force_mld_version=1)"),
        ("mldv1_done", h1, T(132), "MLDv1 done for ff12::1234 (force_mld_version=1)"),
        ("mldv2_query_general", h1, lambda s, d, b: b[0] == 130 and len(b) == 28 and b[8:24] == bytes(16), "MLDv2 general query by the bridge querier of ikB-r"),
        ("mldv2_query_group", h1, lambda s, d, b: b[0] == 130 and len(b) == 28 and b[8:24] != bytes(16), "MLDv2 group-specific query by the bridge querier"),
        ("mldv1_query", h1, lambda s, d, b: b[0] == 130 and len(b) == 24, "MLDv1 general query by the bridge querier (mcast_mld_version 1)"),
        ("time_exceeded_hop_limit", h1, T(3, 0), "ping -6 -t 1 fd00:2::2 through router ikB-r"),
        ("time_exceeded_reassembly", h1, T(3, 1), "ping -6 -s 2000 with the second fragment dropped by nft; ikB-h2 ip6frag_time=1"),
        ("packet_too_big", h1, T(2, 0), "ping -6 -s 1400 -M do over the 1280-byte link"),
        ("unreachable_no_route", h1, lambda s, d, b: b[0] == 1 and b[1] == 0 and b[32:40] == bytes.fromhex("fd00003000000000"), "ip -6 route add unreachable fd00:30::/64"),
        ("unreachable_prohibited", h1, lambda s, d, b: b[0] == 1 and b[1] == 1 and b[32:40] == bytes.fromhex("fd00003100000000"), "ip -6 route add prohibit fd00:31::/64"),
        ("unreachable_beyond_scope", h1, T(1, 2), "raw socket, link-local source to a global destination through the router"),
        ("unreachable_address", h1, lambda s, d, b: b[0] == 1 and b[1] == 3 and b[47] == 0x99, "neighbour discovery failed for fd00:2::99"),
        ("unreachable_port", h1, T(1, 4), "nft reject with icmpv6 type port-unreachable"),
        ("unreachable_policy_fail", h1, T(1, 5), "nft reject with icmpv6 type policy-fail"),
        ("unreachable_reject_route", h1, T(1, 6), "nft reject with icmpv6 type reject-route"),
        ("parameter_problem_next_header", h1, T(4, 1), "raw IPv6 packet with next header 253 to ikB-h2"),
        ("parameter_problem_option", h1, T(4, 2), "UDP with destination option type 0x80 (unknown, discard and report)"),
        ("redirect", h1, T(137), "ikB-r redirects ikB-h1 to on-link fd00:1::3 (target = destination)"),
        ("extended_echo_request_name", h1, lambda s, d, b: b[0] == 160 and b[6] == 1, "RFC 8335 probe by name eth0 (raw socket from lab_send.py)"),
        ("extended_echo_reply_name", h1, lambda s, d, b: b[0] == 161 and b[6] == 1, "kernel reply (icmp_echo_enable_probe=1) to the probe by name eth0"),
        ("extended_echo_reply_no_such_interface", h1, lambda s, d, b: b[0] == 161 and b[6] == 2, "kernel reply to a probe by name nope"),
        ("extended_echo_reply_index", h1, lambda s, d, b: b[0] == 161 and b[6] == 3, "kernel reply to a probe by ifindex 1 (lo)"),
        ("extended_echo_reply_address", h1, lambda s, d, b: b[0] == 161 and b[6] == 4, "kernel reply to a probe by address fd00:2::2"),
    ]
    for name, msgs, pred, how in F:
        try:
            write(outdir, name, how + "\n" + lab, pick(msgs, pred))
        except SystemExit:
            print("missing:", name)

main()
