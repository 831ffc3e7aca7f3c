#!/usr/bin/env python3
# Run inside ikB-h1 by make_fixtures.sh: provokes the ICMPv6 messages that ping
# cannot (beyond scope, parameter problems, RFC 8335 probes, MLD joins/leaves).
# Sends only to fd00:2::2 (ikB-h2) and to link-scope multicast on eth0.
import socket, struct, sys, time

link_local = sys.argv[1]
dst = ("fd00:2::2", 0)
ifindex = socket.if_nametoindex("eth0")

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

# Destination unreachable code 2 (beyond scope): link-local source, global destination.
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.bind((link_local, 0, 0, ifindex))
s.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x4242, 1) + b"beyond-scope", dst)
s.close()
time.sleep(0.3)

# Parameter problem code 1 (unrecognized next header 253).
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 253)
s.sendto(b"experiment-253!!", dst)
s.close()
time.sleep(0.3)

# Parameter problem code 2 (unrecognized IPv6 option 0x80 in destination options).
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 0x80, 4, 1, 2, 3, 4]))
s.sendto(b"dstopt", ("fd00:2::2", 9))
s.close()
time.sleep(0.3)

# RFC 8335 extended echo requests (the kernel of ikB-h2 answers with replies).
def probe(seq, ctype, payload):
    obj = struct.pack("!HBB", 4 + len(payload), 3, ctype) + payload
    ext = bytearray(struct.pack("!BBH", 0x20, 0, 0) + obj)
    struct.pack_into("!H", ext, 2, csum(bytes(ext)))
    return struct.pack("!BBHHBB", 160, 0, 0, 0x1234, seq, 0x01) + bytes(ext)

s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.sendto(probe(1, 1, b"eth0"), dst)                                   # by name, exists
time.sleep(0.2)
s.sendto(probe(2, 1, b"nope"), dst)                                   # by name, missing
time.sleep(0.2)
s.sendto(probe(3, 2, struct.pack("!I", 1)), dst)                      # by index (lo)
time.sleep(0.2)
s.sendto(probe(4, 3, struct.pack("!HBB", 2, 16, 0) + socket.inet_pton(socket.AF_INET6, "fd00:2::2")), dst)
time.sleep(0.2)
s.close()

# MLDv1 report and done, then MLDv2 reports (include/exclude changes, sources).
def sysctl(path, value):
    with open("/proc/sys/net/ipv6/conf/eth0/" + path, "w") as f:
        f.write(value)

def mreq(group):
    return socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", ifindex)

sysctl("force_mld_version", "1")
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq("ff12::1234"))
time.sleep(0.5)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq("ff12::1234"))
time.sleep(0.5)
sysctl("force_mld_version", "0")
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq("ff12::4321"))
time.sleep(0.5)

def sockaddr6(addr):
    # struct sockaddr_in6 inside a 128-byte sockaddr_storage
    sa = struct.pack("@HHI", socket.AF_INET6, 0, 0) + socket.inet_pton(socket.AF_INET6, addr) + struct.pack("@I", 0)
    return sa + bytes(128 - len(sa))

MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP = 46, 47
gsr = struct.pack("@I", ifindex) + bytes(4) + sockaddr6("ff32:40:fd00:2::8000:1") + sockaddr6("fd00:2::2")
try:
    m.setsockopt(socket.IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, gsr)
    time.sleep(0.5)
    m.setsockopt(socket.IPPROTO_IPV6, MCAST_LEAVE_SOURCE_GROUP, gsr)
except OSError as e:
    print("source-specific join failed:", e, file=sys.stderr)
time.sleep(0.5)
m.close()
time.sleep(0.5)
