#!/bin/bash
# End-to-end tests of `icmpkit ping` against iputils ping run in the same
# test: the lines must have the same SHAPE (digits masked), and the exit codes
# must agree. Usage: ping.sh CASE ICMPKIT
# Cases: v4 v6 lab flags errors unprivileged.
# Exit 0 = pass, 1 = fail, 77 = skipped. Traffic: loopback, or namespaces this
# script creates (prefix ikJ) and deletes.
set -u
CASE=$1
ICMPKIT=$(readlink -f "$2")
FAILS=0
TMP=$(mktemp -d /tmp/ikJ-ping.XXXXXX)
NS=ikJp$$
cleanup() {
  ip netns del "${NS}a" 2>/dev/null
  ip netns del "${NS}b" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
need_root() { if [ "$(id -u)" != 0 ]; then echo "SKIP: $CASE needs root (namespaces, iputils comparison)"; exit 77; fi; }
need_ping() { command -v ping >/dev/null || { echo "SKIP: iputils ping missing"; exit 77; }; }

# Digits become N, so "time=0.045 ms" and "time=0.051 ms" have one shape.
shape() { sed -E 's/[0-9]+(\.[0-9]+)?/N/g'; }

# same_shape NAME EXPECTED_RC -- ARGS: run iputils `ping ARGS` and `icmpkit
# ping ARGS` (prefixed with $RUN_IN when set), compare shapes and exit codes.
same_shape() {
  local name=$1 want_rc=$2; shift 3
  ${RUN_IN:-} ping "$@" >"$TMP/ref" 2>"$TMP/ref.err"
  local ref_rc=$?
  ${RUN_IN:-} "$ICMPKIT" ping "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$ref_rc" != "$want_rc" ]; then
    bad "$name: iputils ping exited $ref_rc, expected $want_rc (lab broken?): $(cat "$TMP/ref" "$TMP/ref.err")"
    return
  fi
  if [ "$rc" != "$ref_rc" ]; then bad "$name: exit $rc, iputils $ref_rc: $(cat "$TMP/out" "$TMP/err")"; return; fi
  if ! diff <(shape <"$TMP/ref") <(shape <"$TMP/out") >"$TMP/diff"; then
    bad "$name: line shapes differ from iputils ping (< iputils, > icmpkit)"
    sed 's/^/    /' "$TMP/diff"
    return
  fi
  pass "$name (exit $rc, $(wc -l <"$TMP/out") lines shaped like iputils)"
}

expect_fail() {  # expect_fail NAME CODE STDERR_PATTERN -- ARGS
  local name=$1 code=$2 pattern=$3; shift 4
  "$ICMPKIT" ping "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local rc=$?
  if [ $rc != "$code" ]; then bad "$name: exit $rc, want $code: $(cat "$TMP/err")"; return; fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/err"; then bad "$name: stderr lacks /$pattern/: $(cat "$TMP/err")"; return; fi
  pass "$name"
}

# Two namespaces: a (10.99.1.1, fd99::1) routes everything via b (10.99.1.2,
# fd99::2), where nft rejects 10.99.50.0/24 and fd99:50::/64 (unreachable),
# 10.99.60.0/24 a blackhole, and 10.99.70.0/24 points back at a (TTL 1 dies at b).
make_lab() {
  ip netns add "${NS}a" && ip netns add "${NS}b" || { echo "SKIP: cannot create namespaces"; exit 77; }
  ip link add "${NS}x" netns "${NS}a" type veth peer name "${NS}y" netns "${NS}b" || { echo "SKIP: no veth"; exit 77; }
  ip -n "${NS}a" addr add 10.99.1.1/24 dev "${NS}x"
  ip -n "${NS}b" addr add 10.99.1.2/24 dev "${NS}y"
  ip -n "${NS}a" -6 addr add fd99::1/64 dev "${NS}x" nodad
  ip -n "${NS}b" -6 addr add fd99::2/64 dev "${NS}y" nodad
  for n in a b; do ip -n "${NS}$n" link set lo up; done
  ip -n "${NS}a" link set "${NS}x" up
  ip -n "${NS}b" link set "${NS}y" up
  ip netns exec "${NS}b" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "${NS}a" route add default via 10.99.1.2
  ip -n "${NS}a" -6 route add default via fd99::2
  ip -n "${NS}b" route add blackhole 10.99.60.0/24
  ip -n "${NS}b" route add 10.99.70.0/24 via 10.99.1.1
  # Unreachables come from nft reject, not from unreachable routes: routing
  # errors are rate limited host-wide (route.error_cost), reject is limited
  # only by the namespace's icmp_ratelimit, switched off here.
  # Out a second (dead-end) veth, not back out the first: that would add a
  # redirect. The reject happens in the forward hook, before it leaves.
  ip -n "${NS}b" link add "${NS}d" type veth peer name "${NS}e" &&
    ip -n "${NS}b" link set "${NS}d" up && ip -n "${NS}b" link set "${NS}e" up
  ip -n "${NS}b" route add 10.99.50.0/24 dev "${NS}d"
  ip -n "${NS}b" -6 route add fd99:50::/64 dev "${NS}d"
  ip netns exec "${NS}b" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  ip netns exec "${NS}b" nft add table inet ikJlab &&
    ip netns exec "${NS}b" nft add chain inet ikJlab ikJfwd '{ type filter hook forward priority 0; }' &&
    ip netns exec "${NS}b" nft add rule inet ikJlab ikJfwd ip daddr 10.99.50.0/24 reject with icmp type host-unreachable &&
    ip netns exec "${NS}b" nft add rule inet ikJlab ikJfwd ip6 daddr fd99:50::/64 reject with icmpv6 type no-route ||
    { echo "SKIP: nft failed"; exit 77; }
}

case_v4() {
  need_root; need_ping
  same_shape "ping -c 2 127.0.0.1" 0 -- -c 2 -i 0.2 127.0.0.1
  same_shape "ping -c 1 localhost (name shown with address)" 0 -- -c 1 localhost
  same_shape "ping -c 2 -q" 0 -- -c 2 -i 0.2 -q 127.0.0.1
  same_shape "ping -s 100 -p ab (PATTERN line, sizes)" 0 -- -c 1 -s 100 -p ab 127.0.0.1
  same_shape "ping -I lo (from line)" 0 -- -c 1 -I lo 127.0.0.1
  same_shape "ping -w 1 (deadline, no count)" 0 -- -w 1 -i 0.4 -q 127.0.0.1
  "$ICMPKIT" ping -c 2 -i 0.2 -D 127.0.0.1 >"$TMP/d" 2>&1
  if [ "$(grep -cE '^\[[0-9]+\.[0-9]{6}\] 64 bytes from 127\.0\.0\.1: icmp_seq=[12] ttl=64 time=' "$TMP/d")" = 2 ]; then
    pass "ping -D stamps each reply"
  else
    bad "ping -D: $(cat "$TMP/d")"
  fi
}

case_v6() {
  need_root; need_ping
  same_shape "ping -c 2 ::1" 0 -- -c 2 -i 0.2 ::1
  same_shape "ping -6 -c 1 -n ::1" 0 -- -6 -c 1 -n ::1
  "$ICMPKIT" ping -c 2 -i 0.1 --json ::1 >"$TMP/j" 2>"$TMP/err"
  if python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["event"] for l in lines] == ["reply", "reply", "summary"], lines
assert lines[0]["from"] == "::1" and lines[1]["seq"] == 2 and lines[0]["rtt_ms"] >= 0
assert lines[2]["transmitted"] == 2 and lines[2]["received"] == 2 and lines[2]["loss_percent"] == 0
' "$TMP/j" 2>"$TMP/pyerr"; then pass "ping --json ::1"; else bad "ping --json: $(cat "$TMP/pyerr" "$TMP/j" "$TMP/err")"; fi
}

case_lab() {
  need_root; need_ping
  make_lab
  RUN_IN="ip netns exec ${NS}a"
  same_shape "Destination Host Unreachable (nft reject)" 1 -- -c 2 -i 0.3 10.99.50.1
  same_shape "silence (blackhole), -W 1" 1 -- -c 2 -i 0.3 -W 1 10.99.60.1
  same_shape "Time to live exceeded (-t 1)" 1 -- -c 2 -i 0.3 -t 1 10.99.70.1
  same_shape "IPv6 Destination unreachable: No route" 1 -- -c 2 -i 0.3 fd99:50::1
  same_shape "-O -W reports unanswered probes" 1 -- -c 2 -i 0.5 -W 0.3 -O 10.99.60.1
  same_shape "reply through the lab" 0 -- -c 2 -i 0.2 10.99.1.2
  # Duplicates: nft duplicates each echo request, so each gets two replies.
  ip netns exec "${NS}a" nft add table ip ikJdup &&
    ip netns exec "${NS}a" nft add chain ip ikJdup out '{ type filter hook output priority 0; }' &&
    ip netns exec "${NS}a" nft add rule ip ikJdup out ip daddr 10.99.1.2 icmp type echo-request dup to 10.99.1.2 ||
    { bad "nft dup rule"; return; }
  $RUN_IN "$ICMPKIT" ping -c 2 -i 0.3 10.99.1.2 >"$TMP/dup" 2>&1
  if grep -qE '^64 bytes from 10\.99\.1\.2: icmp_seq=1 ttl=64 time=[0-9.]+ ms \(DUP!\)$' "$TMP/dup" &&
     grep -qE '^2 packets transmitted, 2 received, \+[12] duplicates, 0% packet loss, time [0-9]+ms$' "$TMP/dup"; then
    pass "(DUP!) lines and +N duplicates"
  else
    bad "duplicates: $(cat "$TMP/dup")"
  fi
  RUN_IN=
}

case_flags() {
  need_root
  expect_fail "-c 0" 2 "-c must be at least 1" -- -c 0 127.0.0.1
  expect_fail "-M bogus" 2 "invalid -M argument: bogus" -- -c 1 -M bogus 127.0.0.1
  expect_fail "-Q 300" 2 "TOS" -- -c 1 -Q 300 127.0.0.1
  expect_fail "-p xy" 2 "hex digits" -- -c 1 -p xy 127.0.0.1
  expect_fail "-t 0" 2 "1 <= value <= 255" -- -c 1 -t 0 127.0.0.1
  expect_fail "-W -1" 2 "bad linger time" -- -c 1 -W -1 127.0.0.1
  expect_fail "-s too large" 2 "out of range" -- -c 1 -s 70000 127.0.0.1
  expect_fail "-I unknown interface" 2 "unknown interface 'nosuchif0'" -- -c 1 -I nosuchif0 127.0.0.1
  expect_fail "-4 with an IPv6 address" 2 "IPv6 address but IPv4 was asked for" -- -4 -c 1 ::1
  expect_fail "unknown flag" 2 "" -- -c 1 --bogus 127.0.0.1
  expect_fail "missing host" 2 "HOST is required" --
  # -l preload, -f flood, -a bell: same statistics, the chosen output.
  "$ICMPKIT" ping -c 4 -l 2 -i 0.2 127.0.0.1 >"$TMP/l" 2>&1
  if grep -q '^4 packets transmitted, 4 received, 0% packet loss' "$TMP/l" && [ "$(grep -c 'icmp_seq=' "$TMP/l")" = 4 ]; then
    pass "-l 2 -c 4"
  else
    bad "-l: $(cat "$TMP/l")"
  fi
  "$ICMPKIT" ping -c 20 -f 127.0.0.1 >"$TMP/f" 2>&1
  if grep -q '^20 packets transmitted, 20 received' "$TMP/f" && ! grep -q 'icmp_seq=' "$TMP/f"; then
    pass "-f prints no reply lines"
  else
    bad "-f: $(cat "$TMP/f")"
  fi
  "$ICMPKIT" ping -c 1 -a 127.0.0.1 >"$TMP/a" 2>&1
  if grep -q $'\a' "$TMP/a"; then pass "-a rings the bell"; else bad "-a: no BEL"; fi
  # SIGINT ends an endless ping with the statistics and exit 0 (replies came).
  # The signal goes after the second reply line, not after a fixed time: on a
  # loaded machine a timer could fire before the first reply (exit 1).
  # The file exists before the job starts: the job's shell opens it after the
  # fork, so a first grep could otherwise find nothing, end the wait at once
  # and send SIGINT before ping has a handler for it (a background job of a
  # script starts with SIGINT ignored, so ping would then never end).
  : >"$TMP/int"
  "$ICMPKIT" ping -i 0.3 127.0.0.1 >"$TMP/int" 2>&1 &
  local pid=$! waited=0
  while [ "$(grep -c 'bytes from' "$TMP/int")" -lt 2 ] && [ $waited -lt 100 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -INT "$pid"
  # Bounded: a ping that ignored the signal is ended here and fails the case.
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  wait "$pid"
  rc=$?
  if [ $rc = 0 ] && grep -q '^--- 127.0.0.1 ping statistics ---$' "$TMP/int"; then
    pass "SIGINT prints statistics"
  else
    bad "SIGINT: exit $rc: $(cat "$TMP/int")"
  fi
}

case_errors() {
  # Host-name resolution failure, in a private network namespace so that no
  # DNS query leaves the machine.
  need_root
  unshare -n "$ICMPKIT" ping -c 1 no-such-host.invalid >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc = 2 ] && grep -q "no-such-host.invalid" "$TMP/err"; then pass "unresolvable host named, exit 2"; else bad "unresolvable: exit $rc: $(cat "$TMP/err")"; fi
  expect_fail "bad IPv4 literal" 2 "'300\.1\.1\.1' is not a valid IPv4 address" -- -c 1 300.1.1.1
}

case_unprivileged() {
  need_root
  command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
  unshare -n true 2>/dev/null || { echo "SKIP: cannot unshare"; exit 77; }
  local nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs"
  # Ping sockets allowed: works as nobody, both families.
  unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='0 2147483647';
    $nobody '$ICMPKIT' ping -c 2 -i 0.2 127.0.0.1; $nobody '$ICMPKIT' ping -c 1 ::1" >"$TMP/out" 2>"$TMP/err"
  if [ "$(grep -c 'bytes from' "$TMP/out")" = 3 ]; then pass "ping as nobody through ping sockets"; else bad "nobody: $(cat "$TMP/out" "$TMP/err")"; fi
  # Closed range, no capability: exit 2 and the hint to run doctor.
  unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='1 0';
    $nobody '$ICMPKIT' ping -c 1 127.0.0.1" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc = 2 ] && grep -q "icmpkit doctor" "$TMP/err" && grep -q "ping_group_range" "$TMP/err"; then
    pass "no permission: exit 2, suggests icmpkit doctor"
  else
    bad "no permission: exit $rc: $(cat "$TMP/err")"
  fi
  unshare -n sh -c "$nobody '$ICMPKIT' ping -c 1 -i 0.001 127.0.0.1" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc = 2 ] && grep -q "minimal interval allowed for user is 2ms" "$TMP/err"; then pass "user interval floor"; else bad "interval floor: exit $rc $(cat "$TMP/err")"; fi
}

case "$CASE" in
  v4) case_v4 ;;
  v6) case_v6 ;;
  lab) case_lab ;;
  flags) case_flags ;;
  errors) case_errors ;;
  unprivileged) case_unprivileged ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
