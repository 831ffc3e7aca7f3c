#!/bin/bash
# h3-headers capture lab: host ikC-h -- router ikC-r -- target ikC-t.
set -u
P=ikC
OUT=/work/main/build-h3/lab
cleanup() { for n in h r t; do ip netns del ${P}-$n 2>/dev/null; done; }
trap cleanup EXIT
cleanup
for n in h r t; do ip netns add ${P}-$n; ip -n ${P}-$n link set lo up; done
ip link add ${P}h0 netns ${P}-h type veth peer name ${P}r0 netns ${P}-r
ip link add ${P}r1 netns ${P}-r type veth peer name ${P}t0 netns ${P}-t
ip netns exec ${P}-h ethtool -K ${P}h0 tx off >/dev/null
ip netns exec ${P}-r ethtool -K ${P}r0 tx off >/dev/null
ip netns exec ${P}-r ethtool -K ${P}r1 tx off >/dev/null
ip netns exec ${P}-t ethtool -K ${P}t0 tx off >/dev/null
ip -n ${P}-h addr add 10.77.1.2/24 dev ${P}h0; ip -n ${P}-h addr add fd77:1::2/64 dev ${P}h0 nodad
ip -n ${P}-r addr add 10.77.1.1/24 dev ${P}r0; ip -n ${P}-r addr add fd77:1::1/64 dev ${P}r0 nodad
ip -n ${P}-r addr add 10.77.2.1/24 dev ${P}r1; ip -n ${P}-r addr add fd77:2::1/64 dev ${P}r1 nodad
ip -n ${P}-t addr add 10.77.2.2/24 dev ${P}t0; ip -n ${P}-t addr add fd77:2::2/64 dev ${P}t0 nodad
for i in h0; do ip -n ${P}-h link set ${P}$i up; done
for i in r0 r1; do ip -n ${P}-r link set ${P}$i up; done
ip -n ${P}-t link set ${P}t0 up
ip netns exec ${P}-r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n ${P}-h route add default via 10.77.1.1; ip -n ${P}-h -6 route add default via fd77:1::1
ip -n ${P}-t route add default via 10.77.2.1; ip -n ${P}-t -6 route add default via fd77:2::1
ip netns exec ${P}-t nft -f - <<'NFT'
table inet ikc {
  chain input { type filter hook input priority 0;
    meta nfproto ipv4 tcp dport 9 reject with icmp type admin-prohibited
    meta nfproto ipv6 tcp dport 9 reject with icmpv6 type admin-prohibited
    udp dport 33434 reject with icmpx type port-unreachable
  }
}
NFT
ip link add link ${P}r0 name ${P}r0.5 netns ${P}-r type vlan id 5 2>&1 || ip -n ${P}-r link add link ${P}r0 name ${P}r0.5 type vlan id 5
ip -n ${P}-h link add link ${P}h0 name ${P}h0.5 type vlan id 5 && echo vlan ok
ip -n ${P}-h addr add 10.77.5.2/24 dev ${P}h0.5; ip -n ${P}-h link set ${P}h0.5 up
ip -n ${P}-r addr add 10.77.5.1/24 dev ${P}r0.5; ip -n ${P}-r link set ${P}r0.5 up
sleep 2
ip netns exec ${P}-h ping -c1 -W1 10.77.2.2 >/dev/null && echo v4 path ok
ip netns exec ${P}-h ping -6 -c1 -W1 fd77:2::2 >/dev/null && echo v6 path ok
ip netns exec ${P}-h timeout 30 tcpdump -i ${P}h0 -U -s 0 -w $OUT/cap.pcap 'not (icmp6 and (ip6[40] >= 133 and ip6[40] <= 136))' 2>/dev/null &
TPID=$!
sleep 1.5
H="ip netns exec ${P}-h"
$H ping -c1 -W1 -t1 -s 24 10.77.2.2 >/dev/null; sleep 0.3
$H ping -6 -c1 -W1 -t1 -s 24 fd77:2::2 >/dev/null; sleep 0.3
$H python3 $OUT/send.py
$H ping -c1 -W1 -s 1600 10.77.2.2 >/dev/null; sleep 0.3
$H ping -6 -c1 -W1 -s 1600 fd77:2::2 >/dev/null; sleep 0.3
$H ping -c1 -W1 -I ${P}h0.5 10.77.5.1 >/dev/null; sleep 0.3
sleep 1
kill $TPID; wait $TPID 2>/dev/null
