#!/usr/bin/env bash
# Re-creates the ICMPv4 fixtures in this folder from real packets.
#
# Needs root, iproute2, nftables, tcpdump, iputils ping and python3. Builds a
# three-namespace lab and sends ONLY to addresses inside it:
#
#   ikA-c  c0 10.71.1.2/24 ── r0 10.71.1.1/24  ikA-r  r1 10.71.2.1/24 ── s0 10.71.2.2/24  ikA-s
#                                               (forwarding; r1 MTU 1280)
#
# Each scenario runs tcpdump on c0 (so every packet is as the client sees it),
# and extract.py writes one IPv4 packet per .hex file with a '#' comment line
# saying how it was made. Namespaces are deleted on exit (trap).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
work="$(mktemp -d)"
C=ikA-c R=ikA-r S=ikA-s

cleanup() {
  for ns in $C $R $S; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

cleanup
mkdir -p "$work"
for ns in $C $R $S; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add c0 netns $C type veth peer name r0 netns $R
ip link add r1 netns $R type veth peer name s0 netns $S
ip -n $C addr add 10.71.1.2/24 dev c0
ip -n $R addr add 10.71.1.1/24 dev r0
ip -n $R addr add 10.71.2.1/24 dev r1
ip -n $S addr add 10.71.2.2/24 dev s0
ip -n $R link set r1 mtu 1280
ip -n $S link set s0 mtu 1280
for pair in "$C c0" "$R r0" "$R r1" "$S s0"; do
  set -- $pair
  ip -n "$1" link set "$2" up
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
done
ip -n $C route add default via 10.71.1.1
ip -n $S route add default via 10.71.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
for ns in $R $S; do ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0; done
ip netns exec $S sysctl -qw net.ipv4.icmp_echo_enable_probe=1
ip netns exec $S sysctl -qw net.ipv4.ipfrag_time=2
sleep 1  # let the veths come up (IPv6 DAD does not matter here)

# capture NAME SECONDS COMMAND...: runs COMMAND in ikA-c while tcpdump records
# ICMP on c0 into $work/NAME.pcap.
capture() {
  local name="$1" wait="$2"; shift 2
  ip netns exec $C tcpdump -i c0 -U -s 0 -w "$work/$name.pcap" icmp >/dev/null 2>&1 &
  local pid=$!
  sleep 1
  ip netns exec $C "$@" >/dev/null 2>&1 || true
  sleep "$wait"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
extract() { python3 "$here/extract.py" "$work/$1.pcap" "$2" "$out/$3" "$4" || echo "MISSING $3" >&2; }

send="python3 $here/lab_send.py"

capture echo 1 ping -c 1 -W 1 -p 6963 -s 24 10.71.2.2
extract echo 8 echo_request.hex "ping -c1 -s 24 -p 6963 10.71.2.2 from ikA-c (iputils raw/dgram socket)"
extract echo 0 echo_reply.hex "reply from ikA-s (10.71.2.2) to ping -c1 -s 24 -p 6963"

capture ttl 1 ping -c 1 -W 1 -t 1 10.71.2.2
extract ttl 11 time_exceeded_ttl.hex "ping -t 1 10.71.2.2: router ikA-r (10.71.1.1) answers Time Exceeded code 0"

capture frag-needed 1 ping -c 1 -W 1 -M do -s 1400 10.71.2.2
extract frag-needed 3 unreachable_frag_needed.hex "ping -M do -s 1400: ikA-r link to ikA-s has MTU 1280, Frag Needed (code 4, next-hop MTU 1280)"
ip -n $C route flush cache

ip -n $R route add unreachable 10.71.6.0/24
capture route-unreachable 1 ping -c 1 -W 1 10.71.6.1
extract route-unreachable 3 unreachable_host_route.hex "ping 10.71.6.1 behind 'ip route add unreachable 10.71.6.0/24' on ikA-r (code 1)"
sleep 1
ip -n $R route add prohibit 10.71.7.0/24
capture route-prohibit 1 ping -c 1 -W 1 10.71.7.1
extract route-prohibit 3 unreachable_admin_prohibited_route.hex "ping 10.71.7.1 behind 'ip route add prohibit 10.71.7.0/24' on ikA-r (code 13)"
sleep 1
capture no-route 1 ping -c 1 -W 1 10.71.8.1
extract no-route 3 unreachable_net_no_route.hex "ping 10.71.8.1: ikA-r has no route (code 0)"
sleep 1

capture port 1 bash -c "echo probe > /dev/udp/10.71.2.2/33434"
extract port 3 unreachable_port_udp.hex "UDP to closed port 33434 on ikA-s: kernel Port Unreachable (code 3)"

capture proto 1 $send proto 10.71.1.2 10.71.2.2
extract proto 3 unreachable_protocol.hex "IPv4 protocol 253 to ikA-s: kernel Protocol Unreachable (code 2)"

# nft reject: every Destination Unreachable code, one UDP port per code.
ip netns exec $S nft -f - <<'EOF'
table ip ikA {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 40000 reject with icmp type net-unreachable
    udp dport 40001 reject with icmp type host-unreachable
    udp dport 40002 reject with icmp type prot-unreachable
    udp dport 40003 reject with icmp type port-unreachable
    udp dport 40009 reject with icmp type net-prohibited
    udp dport 40010 reject with icmp type host-prohibited
    udp dport 40013 reject with icmp type admin-prohibited
  }
}
EOF
# Codes nft has no keyword for: try the numeric form, skip when refused.
for code in 4 5 6 7 8 11 12 14 15; do
  ip netns exec $S nft add rule ip ikA input udp dport $((40000 + code)) reject with icmp type $code 2>/dev/null ||
    ip netns exec $S nft add rule ip ikA input udp dport $((40000 + code)) reject with icmp $code 2>/dev/null ||
    echo "nft refused numeric reject code $code" >&2
done
names=(net host protocol port frag_needed source_route_failed net_unknown host_unknown
       host_isolated net_prohibited host_prohibited net_tos host_tos admin_prohibited
       precedence_violation precedence_cutoff)
for code in $(seq 0 15); do
  capture "nft$code" 1 bash -c "echo probe > /dev/udp/10.71.2.2/$((40000 + code))"
  if [ -s "$work/nft$code.pcap" ]; then
    extract "nft$code" 3 "unreachable_nft_${code}_${names[$code]}.hex" \
      "UDP to 10.71.2.2:$((40000 + code)), ikA-s nft 'reject with icmp type' code $code"
  fi
done
ip netns exec $S nft delete table ip ikA

ip -n $R route add 10.71.5.0/24 via 10.71.1.3 dev r0
ip -n $R neigh add 10.71.1.3 lladdr 02:00:00:00:01:03 dev r0 nud permanent
capture redirect 1 ping -c 1 -W 1 10.71.5.1
extract redirect 5 redirect_host.hex "ping 10.71.5.1: ikA-r routes it back out r0 via 10.71.1.3 and sends Redirect (host) gateway 10.71.1.3"

capture param 1 $send paramprob 10.71.1.2 10.71.2.2
extract param 12 parameter_problem_pointer.hex "IPv4 packet with timestamp option of length 2 (lab_send.py paramprob): ikA-r answers Parameter Problem code 0, pointer 21"

capture frag 3 $send frag 10.71.1.2 10.71.2.2
extract frag 11 time_exceeded_reassembly.hex "first fragment only (lab_send.py frag), ikA-s ipfrag_time=2: Time Exceeded code 1"

capture timestamp 1 $send timestamp 10.71.2.2
extract timestamp 13 timestamp_request.hex "ICMP timestamp request from lab_send.py timestamp (crafted, raw socket)"
extract timestamp 14 timestamp_reply.hex "Linux kernel on ikA-s answering lab_send.py timestamp"

capture extecho-name 1 $send extecho-name 10.71.2.2 s0
extract extecho-name 42 extended_echo_request_name.hex "RFC 8335 request by name "s0", L bit set (lab_send.py extecho-name, crafted)"
extract extecho-name 43 extended_echo_reply_name.hex "ikA-s (icmp_echo_enable_probe=1) answering extended echo for interface s0"
capture extecho-missing 1 $send extecho-name 10.71.2.2 nosuch0
extract extecho-missing 43 extended_echo_reply_no_such_interface.hex "ikA-s answering extended echo for missing interface 'nosuch0'"
capture extecho-addr 1 $send extecho-addr 10.71.2.2 10.71.2.2
extract extecho-addr 42 extended_echo_request_addr.hex "RFC 8335 request by IPv4 address 10.71.2.2, L bit set (lab_send.py extecho-addr, crafted)"
extract extecho-addr 43 extended_echo_reply_addr.hex "ikA-s answering extended echo by address 10.71.2.2"

echo "fixtures written to $out"
