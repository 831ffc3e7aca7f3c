#!/usr/bin/env python3
"""Crafted probes for the ICMPv4 fixture lab (capture.sh). Run inside the
lab's client namespace as root; sends only to the address given on the
command line, which capture.sh keeps inside its own namespaces.

  lab_send.py timestamp DST         ICMP timestamp request (type 13)
  lab_send.py extecho-name DST IF   RFC 8335 extended echo request by name
  lab_send.py extecho-addr DST A    RFC 8335 extended echo request by IPv4 address
  lab_send.py paramprob SRC DST     IPv4 packet with a too-short timestamp option
  lab_send.py frag SRC DST          first fragment only (reassembly timeout)
  lab_send.py proto SRC DST         IPv4 packet of unassigned protocol 253
"""
import socket
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp(type_, code, rest: bytes, body: bytes) -> bytes:
    msg = struct.pack("!BBH", type_, code, 0) + rest + body
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def send_icmp(dst: str, msg: bytes) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(msg, (dst, 0))


def ipv4(src: str, dst: str, proto: int, payload: bytes, options: bytes = b"",
         ident: int = 0x4242, flags_frag: int = 0x4000, ttl: int = 64) -> bytes:
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), ident,
                      flags_frag, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr += options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def send_raw_ip(dst: str, packet: bytes) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.sendto(packet, (dst, 0))


def ext_object(class_num: int, c_type: int, payload: bytes) -> bytes:
    return struct.pack("!HBB", 4 + len(payload), class_num, c_type) + payload


def ext_structure(objects: bytes) -> bytes:
    hdr = struct.pack("!BBH", 0x20, 0, 0)  # version 2, reserved, checksum
    c = csum(hdr + objects)
    return struct.pack("!BBH", 0x20, 0, c) + objects


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "timestamp":
        # originate = 0x01020304 so the fixture shows where the field lands
        send_icmp(sys.argv[2], icmp(13, 0, struct.pack("!HH", 0x1d1d, 1),
                                    struct.pack("!III", 0x01020304, 0, 0)))
    elif cmd == "extecho-name":
        name = sys.argv[3].encode()
        name += b"\0" * (-len(name) % 4)
        obj = ext_object(3, 1, name)  # class 3 Interface Identification, C-Type 1 by name
        # id 0x2a2a, seq 7, L bit set: Linux answers only for interfaces on
        # the probed node itself (L = 1) and silently drops L = 0 queries.
        send_icmp(sys.argv[2], icmp(42, 0, struct.pack("!HBB", 0x2a2a, 7, 1), ext_structure(obj)))
    elif cmd == "extecho-addr":
        # C-Type 3 by address: AFI 1 (IPv4), address length 4, reserved
        obj = ext_object(3, 3, struct.pack("!HBB", 1, 4, 0) + socket.inet_aton(sys.argv[3]))
        send_icmp(sys.argv[2], icmp(42, 0, struct.pack("!HBB", 0x2a2b, 8, 1), ext_structure(obj)))
    elif cmd == "paramprob":
        # Option 68 (timestamp) with length 2 (< 4): ip_options_compile rejects
        # it and the receiver answers Parameter Problem pointing at byte 21.
        opts = bytes([68, 2, 0, 0])
        payload = icmp(8, 0, struct.pack("!HH", 0x5050, 1), b"paramprob")
        send_raw_ip(sys.argv[3], ipv4(sys.argv[2], sys.argv[3], 1, payload, opts))
    elif cmd == "frag":
        # More-fragments set, offset 0: the first fragment alone, so the
        # receiver's reassembly times out and it sends Time Exceeded code 1.
        payload = icmp(8, 0, struct.pack("!HH", 0x6060, 1), b"F" * 32)
        send_raw_ip(sys.argv[3], ipv4(sys.argv[2], sys.argv[3], 1, payload, flags_frag=0x2000, ident=0x6161))
    elif cmd == "proto":
        send_raw_ip(sys.argv[3], ipv4(sys.argv[2], sys.argv[3], 253, b"unassigned protocol"))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
