#!/bin/bash
# End-to-end tests of `icmpkit sweep` against fping run in the same test: the
# lines must have the same SHAPE (digits masked; sorted where fping prints in
# arrival order) and the exit codes must agree. Usage: sweep.sh CASE ICMPKIT
# Cases: cidr count lab input json errors progress silent.
# Exit 0 = pass, 1 = fail, 77 = skipped. Traffic: loopback, or namespaces this
# script creates (prefix ikJ) and deletes.
set -u
CASE=$1
ICMPKIT=$(readlink -f "$2")
FAILS=0
TMP=$(mktemp -d /tmp/ikJ-sweep.XXXXXX)
NS=ikJs$$
cleanup() {
  ip netns del "${NS}a" 2>/dev/null
  ip netns del "${NS}b" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
need_root() { if [ "$(id -u)" != 0 ]; then echo "SKIP: $CASE needs root (fping, namespaces)"; exit 77; fi; }
need_fping() { command -v fping >/dev/null || { echo "SKIP: fping missing"; exit 77; }; }

# Digits become N, and runs of spaces one space (fping pads names and
# right-aligns counters to widths that depend on the numbers).
shape() { sed -E 's/[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?/N/g; s/ +/ /g'; }

# same_shape NAME EXPECTED_RC SORT STREAMS -- ARGS: run `fping ARGS` and
# `icmpkit sweep ARGS` (in $RUN_IN when set); compare the shapes of the
# STREAMS (out, err or both), sorted when SORT=sort; and the exit codes.
same_shape() {
  local name=$1 want_rc=$2 sort=$3 streams=$4; shift 5
  ${RUN_IN:-} fping "$@" >"$TMP/ref.out" 2>"$TMP/ref.err"
  local ref_rc=$?
  ${RUN_IN:-} "$ICMPKIT" sweep "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$ref_rc" != "$want_rc" ]; then bad "$name: fping exited $ref_rc, expected $want_rc: $(cat "$TMP/ref.out" "$TMP/ref.err")"; return; fi
  if [ "$rc" != "$ref_rc" ]; then bad "$name: exit $rc, fping $ref_rc: $(cat "$TMP/out" "$TMP/err")"; return; fi
  local s
  for s in $streams; do
    local a="$TMP/ref.$s" b="$TMP/$s"
    if [ "$sort" = sort ]; then
      diff <(shape <"$a" | sort) <(shape <"$b" | sort) >"$TMP/diff"
    else
      diff <(shape <"$a") <(shape <"$b") >"$TMP/diff"
    fi
    if [ $? != 0 ]; then
      bad "$name: std$s shapes differ from fping (< fping, > icmpkit)"
      sed 's/^/    /' "$TMP/diff"
      return
    fi
  done
  pass "$name (exit $rc, shaped like fping)"
}

expect_fail() {  # expect_fail NAME CODE STDERR_PATTERN -- ARGS
  local name=$1 code=$2 pattern=$3; shift 4
  "$ICMPKIT" sweep "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local rc=$?
  if [ $rc != "$code" ]; then bad "$name: exit $rc, want $code: $(cat "$TMP/err")"; return; fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/err"; then bad "$name: stderr lacks /$pattern/: $(cat "$TMP/err")"; return; fi
  pass "$name"
}

# Namespace a (10.99.1.1) routes via b (10.99.1.2): b rejects 10.99.50.0/24
# (host unreachable); 10.99.60.0/24 is a blackhole.
make_lab() {
  ip netns add "${NS}a" && ip netns add "${NS}b" || { echo "SKIP: cannot create namespaces"; exit 77; }
  ip link add "${NS}x" netns "${NS}a" type veth peer name "${NS}y" netns "${NS}b" || { echo "SKIP: no veth"; exit 77; }
  ip -n "${NS}a" addr add 10.99.1.1/24 dev "${NS}x"
  ip -n "${NS}b" addr add 10.99.1.2/24 dev "${NS}y"
  for n in a b; do ip -n "${NS}$n" link set lo up; done
  ip -n "${NS}a" link set "${NS}x" up
  ip -n "${NS}b" link set "${NS}y" up
  ip netns exec "${NS}b" sysctl -qw net.ipv4.ip_forward=1
  ip -n "${NS}a" route add default via 10.99.1.2
  ip -n "${NS}b" route add blackhole 10.99.60.0/24
  # Unreachables come from nft reject, not from an unreachable route: routing
  # errors are rate limited host-wide (route.error_cost), reject only by the
  # namespace's icmp_ratelimit, switched off here.
  # Out a second (dead-end) veth, not back out the first: that would add a
  # redirect. The reject happens in the forward hook, before it leaves.
  ip -n "${NS}b" link add "${NS}d" type veth peer name "${NS}e" &&
    ip -n "${NS}b" link set "${NS}d" up && ip -n "${NS}b" link set "${NS}e" up
  ip -n "${NS}b" route add 10.99.50.0/24 dev "${NS}d"
  ip netns exec "${NS}b" sysctl -qw net.ipv4.icmp_ratelimit=0
  ip netns exec "${NS}b" nft add table ip ikJlab &&
    ip netns exec "${NS}b" nft add chain ip ikJlab ikJfwd '{ type filter hook forward priority 0; }' &&
    ip netns exec "${NS}b" nft add rule ip ikJlab ikJfwd ip daddr 10.99.50.0/24 reject with icmp type host-unreachable ||
    { echo "SKIP: nft failed"; exit 77; }
}

case_cidr() {
  need_root; need_fping
  same_shape "-g 127.0.0.0/28" 0 sort "out err" -- -g 127.0.0.0/28
  same_shape "-g 127.0.0.0/28 -s (statistics block)" 0 sort "out" -- -g 127.0.0.0/28 -s
  same_shape "-s block layout" 0 nosort "err" -- -s -q 127.0.0.1
  same_shape "-g START END -a -q" 0 sort "out err" -- -g 127.0.0.1 127.0.0.3 -a -q
  same_shape "-g /31 keeps both addresses" 0 sort "out" -- -g 127.0.0.0/31
  # IPv6 blocks (fping 5.1 refuses them): every address of the block.
  "$ICMPKIT" sweep -g ::1/128 >"$TMP/v6" 2>"$TMP/err"
  rc=$?
  if [ $rc = 0 ] && [ "$(cat "$TMP/v6")" = "::1 is alive" ]; then pass "-g ::1/128"; else bad "-g ::1/128: exit $rc: $(cat "$TMP/v6" "$TMP/err")"; fi
}

case_count() {
  need_root; need_fping
  same_shape "-c 2 (count lines, stderr summary)" 0 sort "out err" -- -c 2 -p 200 127.0.0.1 127.0.0.2 ::1
  same_shape "-c 2 -q" 0 nosort "out" -- -c 2 -p 200 -q 127.0.0.1 ::1
  same_shape "-C 3 -q (per-probe RTTs)" 0 sort "out err" -- -C 3 -p 100 -q 127.0.0.1 ::1
  same_shape "-c 1 -q -s" 0 nosort "out" -- -c 1 -q -s 127.0.0.1
}

case_lab() {
  need_root; need_fping
  make_lab
  RUN_IN="ip netns exec ${NS}a"
  same_shape "alive, unreachable, blackhole (default mode)" 1 sort "out" -- -t 200 -r 1 10.99.1.2 10.99.50.1 10.99.60.1
  same_shape "-c 2 with no replies" 1 sort "out" -- -c 2 -p 300 10.99.1.2 10.99.50.1 10.99.60.1
  same_shape "-u shows the unreachable" 1 sort "out" -- -u -t 200 -r 0 10.99.1.2 10.99.60.1
  same_shape "-e shows the RTT" 1 sort "out" -- -e -t 200 -r 0 10.99.1.2 10.99.60.1
  $RUN_IN "$ICMPKIT" sweep -c 1 10.99.50.1 >"$TMP/out" 2>"$TMP/err"
  if grep -q '^ICMP Host Unreachable from 10\.99\.1\.2 for ICMP Echo sent to 10\.99\.50\.1$' "$TMP/err"; then
    pass "ICMP error warning on stderr"
  else
    bad "ICMP error warning: $(cat "$TMP/out" "$TMP/err")"
  fi
  RUN_IN=
}

case_input() {
  need_root; need_fping
  printf '# targets\n127.0.0.1\n\n::1  # v6\nlocalhost\n' >"$TMP/list"
  same_shape "-f FILE (comments, mixed families, names)" 0 sort "out" -- -f "$TMP/list"
  fping -f - <"$TMP/list" >"$TMP/ref" 2>&1
  "$ICMPKIT" sweep -f - <"$TMP/list" >"$TMP/out" 2>&1
  if diff <(sort "$TMP/ref") <(sort "$TMP/out") >/dev/null; then pass "-f - reads stdin"; else bad "-f -: $(cat "$TMP/out")"; fi
  same_shape "-4 with mixed targets" 2 sort "out" -- -4 127.0.0.1 ::1
}

case_json() {
  need_root
  "$ICMPKIT" sweep --json -c 2 -p 100 127.0.0.1 ::1 >"$TMP/j" 2>"$TMP/err"
  rc=$?
  if [ $rc = 0 ] && python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
events = [l["event"] for l in lines]
assert events.count("reply") == 4 and events.count("target") == 2 and events[-1] == "summary", events
s = lines[-1]
assert s["targets"] == 2 and s["alive"] == 2 and s["sent"] == 4 and s["received"] == 4 and s["exit_code"] == 0, s
assert {l["address"] for l in lines if l["event"] == "target"} == {"127.0.0.1", "::1"}
' "$TMP/j" 2>"$TMP/pyerr"; then pass "--json: result objects then a summary"; else bad "--json exit $rc: $(cat "$TMP/pyerr" "$TMP/j" "$TMP/err")"; fi
}

case_errors() {
  need_root
  expect_fail "-a with -u" 3 "only one of -a, -u" -- -a -u 127.0.0.1
  expect_fail "-c 0" 3 "at least 1" -- -c 0 127.0.0.1
  expect_fail "bad -g block" 3 "prefix length 33 is longer than 32 bits" -- -g 127.0.0.0/33
  expect_fail "-g too large" 3 "at most 1048576 can be generated" -- -g 10.0.0.0/8
  expect_fail "-g reversed range" 3 "before the start" -- -g 127.0.0.9 127.0.0.1
  expect_fail "unknown flag" 3 "" -- --bogus 127.0.0.1
  expect_fail "no targets" 3 "no targets" --
  expect_fail "missing -f file" 4 "cannot open target file" -- -f /nonexistent/ikJ
  # Unresolvable name: exit 2, named on stderr; in a private namespace so no
  # DNS query leaves the machine.
  unshare -n sh -c "ip link set lo up; '$ICMPKIT' sweep no-such-host.invalid 127.0.0.1" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc = 2 ] && grep -q "no-such-host.invalid" "$TMP/err" && grep -q "^127.0.0.1 is alive$" "$TMP/out"; then
    pass "unknown host: exit 2, the others still pinged"
  else
    bad "unknown host: exit $rc: $(cat "$TMP/out" "$TMP/err")"
  fi
  if command -v setpriv >/dev/null && unshare -n true 2>/dev/null; then
    unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='1 0';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' sweep 127.0.0.1" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc = 4 ] && grep -q "icmpkit doctor" "$TMP/err"; then pass "no permission: exit 4, suggests icmpkit doctor"; else bad "no permission: exit $rc: $(cat "$TMP/err")"; fi
    unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='0 2147483647';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' sweep -g 127.0.0.0/29 ::1" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    # -g with a non-CIDR second argument is a usage error; without -g it works:
    unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='0 2147483647';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' sweep 127.0.0.1 127.0.0.2 ::1" >"$TMP/out2" 2>"$TMP/err2"
    local rc2=$?
    if [ $rc = 3 ] && [ $rc2 = 0 ] && [ "$(grep -c 'is alive' "$TMP/out2")" = 3 ]; then
      pass "sweep as nobody through ping sockets"
    else
      bad "nobody sweep: exit $rc: $(cat "$TMP/out" "$TMP/err" "$TMP/out2" "$TMP/err2")"
    fi
  fi
}

case_progress() {
  need_root
  command -v script >/dev/null || { echo "SKIP: script(1) missing"; exit 77; }
  # A terminal on stderr and a sweep of about 3 s: a progress line appears;
  # redirected stderr: none.
  script -qec "'$ICMPKIT' sweep -c 4 -p 900 127.0.0.1 >'$TMP/out'" /dev/null >"$TMP/tty" 2>&1
  if grep -q "targets done" "$TMP/tty" && ! grep -q "targets done" "$TMP/out"; then
    pass "progress line on a terminal's stderr"
  else
    bad "progress: $(cat -v "$TMP/tty")"
  fi
  "$ICMPKIT" sweep -c 4 -p 900 127.0.0.1 >"$TMP/out" 2>"$TMP/err"
  if ! grep -q "targets done" "$TMP/err"; then pass "no progress line when stderr is not a terminal"; else bad "progress on a pipe"; fi
}

# 5,000 silent targets (b blackholes 10.98.0.0/16) with a 10 s timeout, and
# SIGINT 2 s in: every probe must have been sent by then (xmt 1 for each in
# the summary), as fping -i 0 sends them. A sweep that held targets back
# until earlier ones timed out (it kept 4,096 running) would show 904 unsent.
# (fping itself is not run here: it does not end within seconds of SIGINT.)
case_silent() {
  need_root
  make_lab
  ip -n "${NS}b" route add blackhole 10.98.0.0/16
  local i
  for i in $(seq 0 4999); do echo "10.98.$((i / 250)).$((i % 250 + 1))"; done >"$TMP/silent"
  : >"$TMP/silent.err"
  ip netns exec "${NS}a" "$ICMPKIT" sweep -c 1 -t 10000 -i 0 -q -f "$TMP/silent" >/dev/null 2>"$TMP/silent.err" &
  local pid=$! waited=0
  sleep 2
  kill -INT "$pid"
  # Bounded: a sweep that ignored the signal is ended here and fails the case.
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid"
    bad "still running 5 s after SIGINT"
    return
  fi
  wait "$pid"
  local sent
  sent=$(grep -c 'xmt/rcv/%loss = 1/0/100%' "$TMP/silent.err")
  if [ "$sent" = 5000 ]; then
    pass "all 5,000 silent targets sent within 2 s, then SIGINT"
  else
    bad "$sent of 5,000 silent targets sent before SIGINT: $(head -3 "$TMP/silent.err")"
  fi
}

case "$CASE" in
  silent) case_silent ;;
  cidr) case_cidr ;;
  count) case_count ;;
  lab) case_lab ;;
  input) case_input ;;
  json) case_json ;;
  errors) case_errors ;;
  progress) case_progress ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
