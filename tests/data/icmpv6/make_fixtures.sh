#!/bin/bash
# Builds a namespace lab and captures real ICMPv6 messages emitted by the Linux
# kernel; extract_fixtures.py turns the pcaps into the *.hex fixtures here.
# Needs root. Sends only inside namespaces it creates (prefix ikB) and deletes
# them on exit.
#
#   ikB-h1 eth0 fd00:1::1 ──┐
#                           br0 fd00:1::2 [ikB-r, forwarding] rh2 fd00:2::1 ── eth0 fd00:2::2 ikB-h2 (MTU 1280)
#   ikB-h3 eth0 fd00:1::3 ──┘
set -u
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
OUT=${1:-/tmp/ikB}
mkdir -p "$OUT"
NS="ikB-h1 ikB-h2 ikB-h3 ikB-r"
PIDS=""
# tcpdump is started with a plain "ip netns exec … &" (which execs it), so
# $! is tcpdump's own pid and the kill below reaches it.
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  for n in $NS; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT INT TERM
for n in $NS; do ip netns del "$n" 2>/dev/null; ip netns add "$n"; ip -n "$n" link set lo up; done
x() { local n=$1; shift; ip netns exec "$n" "$@"; }

ip -n ikB-h1 link add eth0 type veth peer name rh1 netns ikB-r
ip -n ikB-h3 link add eth0 type veth peer name rh3 netns ikB-r
ip -n ikB-h2 link add eth0 type veth peer name rh2 netns ikB-r
for n in ikB-h1 ikB-h2 ikB-h3; do x $n ethtool -K eth0 tx off >/dev/null 2>&1; done
x ikB-r sysctl -qw net.ipv6.conf.all.forwarding=1
x ikB-r sysctl -qw net.ipv6.icmp.ratelimit=0
x ikB-h2 sysctl -qw net.ipv6.icmp.ratelimit=0
x ikB-h2 sysctl -qw net.ipv6.ip6frag_time=1
x ikB-h2 sysctl -qw net.ipv4.icmp_echo_enable_probe=1
ip -n ikB-r link add br0 type bridge mcast_snooping 1
ip -n ikB-r link set rh1 master br0
ip -n ikB-r link set rh3 master br0
ip -n ikB-r link set br0 up
ip -n ikB-r link set rh1 up
ip -n ikB-r link set rh3 up
ip -n ikB-r addr add fd00:1::2/64 dev br0 nodad
ip -n ikB-r link set rh2 mtu 1280 up
ip -n ikB-r addr add fd00:2::1/64 dev rh2 nodad
ip -n ikB-h2 link set eth0 mtu 1280 up
ip -n ikB-h2 addr add fd00:2::2/64 dev eth0 nodad
ip -n ikB-h2 route add default via fd00:2::1
ip -n ikB-h3 link set eth0 up
ip -n ikB-h3 addr add fd00:1::3/64 dev eth0 nodad
ip -n ikB-r route add unreachable fd00:30::/64
ip -n ikB-r route add prohibit fd00:31::/64
ip -n ikB-r route add blackhole fd00:32::/64
x ikB-r nft -f - <<'NFT'
table inet ikb {
  chain forward_filter {
    type filter hook forward priority 0;
    ip6 daddr fd00:2::10 reject with icmpv6 type addr-unreachable
    ip6 daddr fd00:2::11 reject with icmpv6 type port-unreachable
    ip6 daddr fd00:2::12 reject with icmpv6 type policy-fail
    ip6 daddr fd00:2::13 reject with icmpv6 type reject-route
    ip6 daddr fd00:2::14 reject with icmpv6 type admin-prohibited
    ip6 daddr fd00:2::15 reject with icmpv6 type no-route
    ip6 daddr fd00:2::2 frag frag-off != 0 drop
  }
}
NFT

# 1. Start-up of ikB-h1, seen from the bridge port: DAD NS, MLDv2 reports, RS.
ip netns exec ikB-r tcpdump -q -i rh1 -s 0 -U -w "$OUT/startup.pcap" ip6 2>/dev/null & PIDS="$PIDS $!"
sleep 1
ip -n ikB-h1 link set eth0 up
ip -n ikB-h1 addr add fd00:1::1/64 dev eth0
sleep 4
ip -n ikB-h1 route add default via fd00:1::2
ip -n ikB-h1 route add fd00:1::3/128 via fd00:1::2

# 2. Everything else, seen from ikB-h1.
ip netns exec ikB-h1 tcpdump -q -i eth0 -s 0 -U -w "$OUT/h1.pcap" ip6 2>/dev/null & PIDS="$PIDS $!"
sleep 1
P="timeout 8 ping -6 -n -q -c 1 -W 2"
x ikB-h1 $P fd00:2::2                  # echo, NS/NA
x ikB-h1 $P -t 1 fd00:2::2             # time exceeded code 0
x ikB-h1 $P -s 1400 -M do fd00:2::2    # packet too big (1280)
x ikB-h1 $P -s 2000 fd00:2::2          # second fragment dropped: time exceeded code 1
sleep 2
x ikB-h1 $P fd00:30::1                 # unreachable route: code 0
x ikB-h1 $P fd00:31::1                 # prohibit route: code 1
x ikB-h1 $P fd00:32::1                 # blackhole: nothing
for a in 10 11 12 13 14 15; do x ikB-h1 $P fd00:2::$a; done
x ikB-h1 timeout 8 ping -6 -n -q -c 1 -W 5 fd00:2::99  # neighbour fails: address unreachable
# The first redirect to a new peer is rate limited away (inet_peer tokens start at 0).
x ikB-h1 timeout 8 ping -6 -n -q -c 4 -i 1.1 fd00:1::3  # via router on the same link: redirect
x ikB-h1 python3 "$(dirname "$0")/lab_send.py" "$(ip -n ikB-h1 -6 addr show dev eth0 scope link | awk '/inet6/{print $2}' | cut -d/ -f1)"
# MLD queries from the bridge querier (v2 then v1), answered by ikB-h1.
ip -n ikB-r link set br0 type bridge mcast_mld_version 2 mcast_querier 1
sleep 3
# Leaving a group makes the querier send a group-specific query.
x ikB-h1 python3 -c '
import socket, struct, time
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r = socket.inet_pton(socket.AF_INET6, "ff12::5678") + struct.pack("@I", socket.if_nametoindex("eth0"))
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, r)
time.sleep(1)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, r)
time.sleep(2)'
ip -n ikB-r link set br0 type bridge mcast_querier 0
ip -n ikB-r link set br0 type bridge mcast_mld_version 1 mcast_querier 1
sleep 3
sleep 1
