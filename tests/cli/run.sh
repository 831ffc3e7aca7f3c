#!/bin/bash
# End-to-end tests of the icmpkit command. Usage: run.sh CASE ICMPKIT DATA_DIR
# Cases: decode errors doctor send_v4 send_v6 send_types listen capture.
# Exit 0 = pass, 1 = fail, 77 = skipped (needs root). Traffic: loopback only;
# cases that need a clean network run in a private network namespace
# (unshare -n), which has nothing but its own loopback.
set -u
CASE=$1
ICMPKIT=$(readlink -f "$2")
DATA=$(readlink -f "$3")
FAILS=0
# listen prints every ICMP message on the host: run it where the only traffic
# is its own, in a private network namespace with just a loopback.
if [ "$CASE" = listen ] && [ -z "${IKG_PRIVATE_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  export IKG_PRIVATE_NETNS=1
  exec unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$CASE" "$ICMPKIT" "$DATA"
fi
TMP=$(mktemp -d /tmp/ikG-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
need_root() { if [ "$(id -u)" != 0 ]; then echo "SKIP: $CASE needs root (raw sockets / namespaces)"; exit 77; fi; }

# expect_ok NAME PATTERN... -- ARGS: exit 0 and stdout matches every pattern.
expect_ok() {
  local name=$1; shift
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  "$ICMPKIT" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ $rc != 0 ]; then bad "$name: exit $rc: $(cat "$TMP/err")"; return; fi
  for p in "${patterns[@]}"; do
    if ! grep -qE -- "$p" "$TMP/out"; then bad "$name: output lacks /$p/"; sed 's/^/    /' "$TMP/out" | head -40; return; fi
  done
  pass "$name"
}

# expect_fail NAME CODE PATTERN -- ARGS: exit CODE and stderr matches PATTERN.
expect_fail() {
  local name=$1 code=$2 pattern=$3; shift 4
  "$ICMPKIT" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local rc=$?
  if [ $rc != "$code" ]; then bad "$name: exit $rc, want $code: $(cat "$TMP/err")"; return; fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/err"; then bad "$name: stderr lacks /$pattern/: $(cat "$TMP/err")"; return; fi
  pass "$name"
}

# Hex of a fixture without comments, "src/dst" lines, and the first SKIP bytes
# (14 for an Ethernet II frame).
fixture_hex() {
  local file=$1 skip=${2:-0}
  grep -v -E '^(#|src|dst)' "$DATA/$file" | tr -s ' \n' '  ' | tr ' ' '\n' | grep -v '^$' |
    sed 's/\(..\)/\1 /g' | tr -s ' \n' '  ' | cut -d' ' -f$((skip + 1))-
}

json_check() {  # json_check NAME PYTHON-EXPR (over `d`) < json
  local name=$1 expr=$2
  if python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)" 2>"$TMP/pyerr"; then
    pass "$name"
  else
    bad "$name: JSON check failed: $expr $(cat "$TMP/pyerr")"
  fi
}

case_decode() {
  # Real captures (tests/data, made in namespace labs by the wire helpers).
  expect_ok "decode v4 echo reply (IP header, from stdin)" \
    'type: 0 \(echo-reply\)' 'checksum: 0x[0-9a-f]{4} \(ok\)' 'protocol: 1 \(icmp\)' 'seq: 1' -- \
    decode "$(fixture_hex icmpv4/echo_reply.hex)"
  "$ICMPKIT" decode - <"$DATA/icmpv4/echo_reply.hex" >"$TMP/stdin.out" 2>&1 && grep -q 'echo-reply' "$TMP/stdin.out" &&
    pass "decode - reads stdin with # comments" || bad "decode - reads stdin"
  local te; te=$(fixture_hex quoted/v4_time_exceeded_echo_frame.hex 14)
  expect_ok "decode v4 time exceeded quoting echo" \
    'type: 11 \(time-exceeded\)' 'code: 0 \(ttl-exceeded\)' 'quoted:' 'destination: 10\.77\.2\.2' \
    'type: 8 \(echo-request\)' 'id: 0x1476' -- decode --ip "$te"
  local pu; pu=$(fixture_hex quoted/v6_port_unreachable_udp_frame.hex 14)
  expect_ok "decode v6 port unreachable quoting UDP" \
    'type: 1 \(destination-unreachable\)' 'code: 4 \(port-unreachable\)' 'checksum: 0x[0-9a-f]{4} \(ok\)' \
    'destination_port: 33434' 'source_port: 40002' -- decode "$pu"
  local tcp; tcp=$(fixture_hex quoted/v4_admin_prohibited_tcp_frame.hex 14)
  expect_ok "decode v4 admin prohibited quoting TCP" 'code: 13' 'tcp:' 'destination_port: 9' -- decode "$tcp"
  expect_ok "decode RFC 4950 MPLS extension" 'class: 1 \(mpls-label-stack\)' 'label: 16001' 'label: 299776' -- \
    decode --no-ip -4 "$(fixture_hex extensions/v4_time_exceeded_mpls.hex)"
  expect_ok "decode RFC 5837 interface information" 'interface-information' 'name: ikCr0' 'mtu: 1500' -- \
    decode --no-ip -6 "$(fixture_hex extensions/v6_time_exceeded_interface_info.hex)"
  local f="$DATA/icmpv6/echo_reply.hex"
  expect_ok "decode bare ICMPv6 with --src/--dst verifies the checksum" 'type: 129 \(echo-reply\)' \
    'checksum: 0x[0-9a-f]{4} \(ok\)' -- \
    decode --no-ip --src "$(awk '/^src/ {print $2}' "$f")" --dst "$(awk '/^dst/ {print $2}' "$f")" "$(fixture_hex icmpv6/echo_reply.hex)"
  expect_ok "decode MLDv2 report records" 'type: 143 \(mldv2-report\)' 'multicast_address: ff02::1:ff69:4388' -- \
    decode -6 --no-ip "$(fixture_hex icmpv6/mldv2_report.hex)"
  expect_ok "decode colon-separated bare ICMP echo request" 'type: 8 \(echo-request\)' 'id: 0x1234' 'seq: 1' -- \
    decode 08:00:e5:ca:12:34:00:01
  # JSON carries the same fields.
  "$ICMPKIT" decode --json "$te" >"$TMP/te.json" 2>"$TMP/err" || bad "decode --json exit $?"
  json_check "decode --json fields" \
    'd["icmp"]["type"] == 11 and d["icmp"]["quoted"]["icmp"]["id"] == 0x1476 and d["ipv4"]["source"] == "10.77.1.1"' <"$TMP/te.json"
  # Malformed input: precise error, exit 1.
  expect_fail "truncated IPv4 header" 1 'IPv4 header truncated: 2 bytes given, the header needs 20' -- decode --ip 45 00
  expect_fail "truncated ICMP header" 1 'ICMP message truncated: 3 bytes, the header needs 8' -- decode --no-ip 08 00 f7
  expect_fail "IPv4 total length overrun" 1 'IPv4 header: bad length' -- decode "${te:0:200}"
  expect_fail "not ICMP (UDP packet)" 1 'protocol is 17 \(udp\), not ICMP' -- \
    decode "$(fixture_hex ip/v4_udp_probe_ttl1_frame.hex 14)"
  # RFC 4884 length 0x20 words (128 bytes) in a 16-byte body overruns it.
  expect_fail "RFC 4884 length overrun" 1 'RFC 4884 length overruns' -- decode --no-ip 0b 00 00 00 00 20 00 00 45 00 00 1c 00 00 00 00
  expect_fail "IPv6 version mismatch" 1 'version nibble is 4, not 6' -- decode --ip -6 "$(fixture_hex icmpv4/echo_reply.hex)"
  expect_fail "bad hex character" 2 "invalid hex character 'g' at offset 3" -- decode 08 g0
  expect_fail "odd number of hex digits" 2 'odd number of hex digits' -- decode 08 0
  expect_fail "no hex" 2 'no hex digits' -- decode '# nothing'
}

case_errors() {
  expect_fail "unknown type name lists valid names" 2 "unknown ICMP type 'bogus'; valid names: echo-reply, .*echo-request" -- \
    send --type bogus 127.0.0.1
  expect_fail "unknown ICMPv6 type name" 2 "unknown ICMPv6 type 'timestamp-request'; valid names: .*packet-too-big" -- \
    send --type timestamp-request ::1
  expect_fail "type number out of range" 2 "out of range" -- send --type 300 127.0.0.1
  expect_fail "bad IPv4 address" 2 "'300\.1\.1\.1' is not a valid IPv4 address" -- send 300.1.1.1
  expect_fail "bad IPv6 address" 2 "'::1::2' is not a valid IPv6 address" -- send ::1::2
  expect_fail "family mismatch" 2 "IPv4 address but IPv6 was asked for" -- send -6 127.0.0.1
  expect_fail "bad scope interface" 2 "unknown interface 'nosuchif0'" -- send fe80::1%nosuchif0
  head -c 70000 /dev/zero >"$TMP/big"
  expect_fail "payload too large (file)" 2 "payload of 70000 bytes .* too large" -- send --file "$TMP/big" 127.0.0.1
  expect_fail "payload too large (hex, v4)" 2 "payload of 65508 bytes is too large: .*65507" -- \
    send --hex "$(head -c 65508 /dev/zero | od -An -v -tx1 | tr -d ' \n')" 127.0.0.1
  expect_fail "two payloads" 2 "give the payload once" -- send --data x --hex 00 127.0.0.1
  expect_fail "bad payload hex" 2 "--hex: invalid hex character" -- send --hex 0z 127.0.0.1
  expect_fail "missing payload file" 2 "--file '/nonexistent/ikG'" -- send --file /nonexistent/ikG 127.0.0.1
  expect_fail "--rest not 4 bytes" 2 "--rest must be exactly 4 bytes" -- send --rest 0102 127.0.0.1
  expect_fail "--mtu on echo" 2 "--mtu applies to" -- send --mtu 1400 127.0.0.1
  expect_fail "--pointer on echo" 2 "--pointer applies to parameter-problem" -- send --pointer 3 127.0.0.1
  expect_fail "--gateway on v6" 2 "--gateway applies to ICMP \(IPv4\) redirect" -- send --type redirect --gateway ::1 ::1
  expect_fail "bad --gateway" 2 "--gateway 'x' is not an IP address" -- send --type redirect --gateway x 127.0.0.1
  expect_fail "non-echo on a ping socket" 2 "sends echo requests only" -- send --mode dgram --type timestamp-request 127.0.0.1
  expect_fail "bad --mode" 2 "mode" -- send --mode bogus 127.0.0.1
  expect_fail "--count 0" 2 "--count must be at least 1" -- send --count 0 127.0.0.1
  expect_fail "unknown option" 2 "" -- send --bogus 127.0.0.1
  expect_fail "missing host" 2 "HOST is required" -- send
  expect_fail "listen bad type" 2 "unknown ICMP type 'bogus'" -- listen -4 --type bogus --timeout 1
  expect_fail "listen unbounded" 2 "listening must end" -- listen --timeout 0
  expect_fail "no subcommand" 2 "" --
  for cmd in "" doctor send listen decode; do
    if "$ICMPKIT" $cmd --help >"$TMP/help" 2>&1 && grep -q -i "usage" "$TMP/help"; then pass "--help $cmd"; else bad "--help $cmd"; fi
  done
  # Host-name resolution failure: in a private network namespace so that no
  # DNS query leaves the machine.
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    unshare -n "$ICMPKIT" send --count 1 --timeout 1 no-such-host.invalid >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc = 2 ] && grep -q "cannot resolve host 'no-such-host.invalid'" "$TMP/err"; then
      pass "unresolvable host name"
    else
      bad "unresolvable host name: exit $rc: $(cat "$TMP/err")"
    fi
    # No permission: an unprivileged user with the kernel default ping_group_range.
    if command -v setpriv >/dev/null; then
      unshare -n sh -c "sysctl -qw net.ipv4.ping_group_range='1 0'; ip link set lo up;
        setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' send --count 1 127.0.0.1" \
        >"$TMP/out" 2>"$TMP/err"
      rc=$?
      if [ $rc = 2 ] && grep -q "icmpkit doctor" "$TMP/err"; then pass "no permission suggests doctor"; else bad "no permission: exit $rc: $(cat "$TMP/err")"; fi
      local nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs"
      $nobody "$ICMPKIT" send --type timestamp-request 127.0.0.1 >"$TMP/out" 2>"$TMP/err"
      rc=$?
      if [ $rc = 2 ] && grep -q "Sending timestamp-request needs a raw socket (CAP_NET_RAW)" "$TMP/err"; then
        pass "non-echo type without CAP_NET_RAW says a raw socket is needed"
      else
        bad "non-echo without CAP_NET_RAW: exit $rc: $(cat "$TMP/err")"
      fi
      $nobody "$ICMPKIT" listen -4 --timeout 1 >"$TMP/out" 2>"$TMP/err"
      rc=$?
      if [ $rc = 2 ] && grep -q "Listening needs CAP_NET_RAW" "$TMP/err"; then pass "listen without CAP_NET_RAW"; else bad "listen without CAP_NET_RAW: exit $rc: $(cat "$TMP/err")"; fi
    fi
  fi
  [ $FAILS = 0 ]
}

case_doctor() {
  "$ICMPKIT" doctor --json >"$TMP/doctor.json" 2>"$TMP/err"
  rc=$?
  if [ $rc -gt 1 ]; then bad "doctor --json exit $rc: $(cat "$TMP/err")"; fi
  json_check "doctor --json parses and names both families" \
    'len(d["families"]) == 2 and {f["family"] for f in d["families"]} == {"ipv4", "ipv6"} and "ping_group_range" in d and all("opens" in f["dgram"] and "opens" in f["raw"] for f in d["families"])' \
    <"$TMP/doctor.json"
  # Exit 0 when every family has a socket kind that opens, 1 when not (an
  # unprivileged run here): both are answers, not failures.
  "$ICMPKIT" doctor >"$TMP/doctor.txt" 2>"$TMP/err"
  rc=$?
  if [ $rc -le 1 ] && grep -q 'ping_group_range' "$TMP/doctor.txt" && grep -q 'IPv4 (ICMP):' "$TMP/doctor.txt" &&
     grep -q 'IPv6 (ICMPv6):' "$TMP/doctor.txt" && grep -q 'raw socket:' "$TMP/doctor.txt" &&
     { [ $rc = 0 ] || grep -q 'fix:' "$TMP/doctor.txt"; }; then
    pass "doctor text (exit $rc)"
  else
    bad "doctor text: exit $rc: $(cat "$TMP/doctor.txt" "$TMP/err")"
  fi
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && command -v setpriv >/dev/null; then
    # Closed range, no capability: both kinds refused, the fix is the sysctl.
    unshare -n sh -c "sysctl -qw net.ipv4.ping_group_range='1 0';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' doctor -4 --json" >"$TMP/d2.json" 2>"$TMP/err"
    json_check "doctor as nobody: nothing opens, fix names ping_group_range" \
      'd["families"][0]["dgram"]["opens"] == False and d["families"][0]["raw"]["opens"] == False and d["families"][0]["auto"] is None and any("ping_group_range" in f for f in d["families"][0]["dgram"]["fixes"])' <"$TMP/d2.json"
    unshare -n sh -c "sysctl -qw net.ipv4.ping_group_range='0 2147483647';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' doctor -4 --json" >"$TMP/d3.json" 2>"$TMP/err"
    json_check "doctor as nobody with open range: dgram opens" \
      'd["families"][0]["dgram"]["opens"] == True and d["families"][0]["auto"] == "dgram"' <"$TMP/d3.json"
  fi
}

case_send() {  # case_send FAMILY_ADDRESS
  need_root
  local addr=$1
  expect_ok "send --count 1 $addr" "^reply from $addr: echo-reply code=0 id=0x[0-9a-f]{4} seq=1 ttl=[0-9]+ time=[0-9.]+ ms \\(socket: (raw|dgram)\\)" -- \
    send --count 1 "$addr"
  expect_ok "send --count 2 --json $addr" '"event":"reply"' '"seq":2' -- send --count 2 --interval 0.1 --json "$addr"
  "$ICMPKIT" send --count 1 --json "$addr" | grep '"reply"' | json_check "send --json reply parses" \
    'd["from"] == "'"$addr"'" and d["message"]["type_name"] == "echo-reply" and d["rtt_ms"] >= 0 and d["ttl"] > 0'
  expect_ok "send --mode raw --id --seq --data $addr" "echo-reply code=0 id=0x4242 seq=7 .*\\(socket: raw\\)" -- \
    send --mode raw --id 0x4242 --seq 7 --data hello --count 1 "$addr"
  # A ping socket as an unprivileged user, where the namespace's range allows it.
  if unshare -n true 2>/dev/null && command -v setpriv >/dev/null; then
    unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='0 2147483647';
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' send --count 1 --id 0x5151 '$addr'" \
      >"$TMP/out" 2>"$TMP/err"
    if grep -qE "^reply from $addr: echo-reply code=0 id=0x5151 seq=1 .*\\(socket: dgram\\)" "$TMP/out"; then
      pass "send as nobody uses a ping socket bound to --id ($addr)"
    else
      bad "send as nobody ($addr): $(cat "$TMP/out" "$TMP/err")"
    fi
    # An ICMP error through the error queue (dgram) / as a datagram (raw):
    # nft rejects the probe as it arrives on the namespace's loopback.
    unshare -n sh -c "ip link set lo up; sysctl -qw net.ipv4.ping_group_range='0 2147483647';
      nft add table inet ikG && nft add chain inet ikG in '{ type filter hook input priority 0; }' &&
      nft add rule inet ikG in meta l4proto { icmp, ipv6-icmp } icmp type echo-request reject with icmp type admin-prohibited 2>/dev/null ||
      nft add rule inet ikG in ip protocol icmp icmp type echo-request reject with icmp type admin-prohibited;
      nft add rule inet ikG in icmpv6 type echo-request reject with icmpv6 type admin-prohibited;
      setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs '$ICMPKIT' send --count 1 --timeout 1 '$addr';
      '$ICMPKIT' send --mode raw --count 1 --timeout 1 '$addr'" >"$TMP/out" 2>"$TMP/err"
    if grep -qE "error from .*(unreachable|type=3|type=1).*\\[error queue\\] \\(socket: dgram\\)" "$TMP/out"; then
      pass "error-queue record printed ($addr)"
    else
      bad "error-queue record ($addr): $(cat "$TMP/out" "$TMP/err")"
    fi
    if grep -qE "^error from .*destination-unreachable code=(13|1) .*\\(socket: raw\\)" "$TMP/out"; then
      pass "ICMP error on raw socket printed ($addr)"
    else
      bad "ICMP error on raw socket ($addr): $(cat "$TMP/out" "$TMP/err")"
    fi
  fi
}

case_send_types() {
  need_root
  expect_ok "timestamp request gets a timestamp reply" '^reply from 127\.0\.0\.1: timestamp-reply code=0 id=0x0101 seq=1' -- \
    send --type timestamp-request --id 0x0101 --hex "000000000000000000000000" --count 1 127.0.0.1
  expect_ok "type by number" 'timestamp-reply' -- send --type 13 --hex "000000000000000000000000" --count 1 127.0.0.1
  # Error types get no answer: exit 1, and the message went out on a raw socket.
  "$ICMPKIT" send --type destination-unreachable --code 4 --mtu 1280 --timeout 0.3 127.0.0.1 >"$TMP/out" 2>&1
  rc=$?
  if [ $rc = 1 ] && grep -q "no answer from 127.0.0.1 to destination-unreachable seq=1 within 0.3 s (socket: raw)" "$TMP/out"; then
    pass "unanswered message exits 1"
  else
    bad "unanswered message: exit $rc $(cat "$TMP/out")"
  fi
}

# Runs `icmpkit listen LISTEN_ARGS` in the background and repeats `icmpkit
# send SEND_ARGS` every 0.3 s until listen has exited, at most 10 times:
# listen's start-up time on a loaded machine cannot make it miss the
# exchange. Sets rc to listen's exit status.
listen_while_sending() {
  local out=$1 listen_args=$2 send_args=$3 pid i
  # shellcheck disable=SC2086 # the argument strings are word lists
  "$ICMPKIT" listen $listen_args >"$out" 2>"$TMP/err" &
  pid=$!
  for i in 1 2 3 4 5 6 7 8 9 10; do
    "$ICMPKIT" send $send_args >/dev/null 2>&1
    sleep 0.3
    kill -0 "$pid" 2>/dev/null || break
  done
  wait "$pid"
  rc=$?
}

case_listen() {
  need_root
  # listen sees the echo request and reply that a send on loopback causes.
  listen_while_sending "$TMP/listen.out" "-4 --count 2 --timeout 5 --type echo-request --type echo-reply" \
    "--count 1 --id 0x7e57 --seq 9 --mode raw 127.0.0.2"
  if [ $rc = 0 ] && grep -qE '127\.0\.0\.1 -> 127\.0\.0\.2: echo-request code=0 id=0x7e57 seq=9' "$TMP/listen.out" &&
     grep -qE '127\.0\.0\.2 -> 127\.0\.0\.1: echo-reply code=0 id=0x7e57 seq=9 ttl=64' "$TMP/listen.out"; then
    pass "listen -4 prints request and reply"
  else
    bad "listen -4: exit $rc: $(cat "$TMP/listen.out" "$TMP/err")"
  fi
  listen_while_sending "$TMP/listen6.out" "-6 --json --count 1 --timeout 5 --type echo-reply" "--count 1 --seq 3 ::1"
  json_check "listen -6 --json" 'd["family"] == "ipv6" and d["message"]["type_name"] == "echo-reply" and d["message"]["seq"] == 3' <"$TMP/listen6.out"
  expect_fail "listen times out with nothing" 1 "" -- listen -4 --type address-mask-reply --timeout 0.3
}

# A real capture made now: tcpdump on the loopback of a private network
# namespace records the echo request and reply of `icmpkit send`; decode must
# find the same fields in the bytes the kernel put on the wire.
case_capture() {
  need_root
  command -v tcpdump >/dev/null || { echo "SKIP: tcpdump missing"; exit 77; }
  unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
  local addr
  for addr in 127.0.0.1 ::1; do
    local filter=icmp
    [ "$addr" = ::1 ] && filter=icmp6
    (cd "$TMP" && unshare -n sh -c "ip link set lo up;
      timeout 10 tcpdump -Z root --immediate-mode -i lo -c 2 -U -w '$TMP/cap.pcap' $filter 2>/dev/null &
      pid=\$!
      # Sends until tcpdump has its two packets (it may start slowly under load).
      for i in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.5
        kill -0 \$pid 2>/dev/null || break
        '$ICMPKIT' send --mode raw --id 0x7e58 --seq 5 --data loopback-capture '$addr' >/dev/null 2>&1
      done
      wait")
    # tcpdump -x prints each packet from its IP header as "0x0010:  7f00 0001 ...".
    tcpdump -r "$TMP/cap.pcap" -x 2>/dev/null | awk '/^[0-9]/ {n++} /^\t0x/ {sub(/^\t0x[0-9a-f]+: +/, ""); print > ("'"$TMP"'/pkt" n ".hex")}'
    local n type
    for n in 1 2; do
      [ "$n" = 1 ] && type=echo-request || type=echo-reply
      if [ ! -s "$TMP/pkt$n.hex" ]; then bad "capture $addr: packet $n missing"; continue; fi
      expect_ok "decode captured $type ($addr)" "type: [0-9]+ \\($type\\)" 'checksum: 0x[0-9a-f]{4} \(ok\)' 'id: 0x7e58' 'seq: 5' \
        "data: $(printf loopback-capture | od -An -v -tx1 | tr -d ' \n')" -- decode - <"$TMP/pkt$n.hex"
    done
    rm -f "$TMP"/pkt*.hex "$TMP/cap.pcap"
  done
}

case "$CASE" in
  decode) case_decode ;;
  errors) case_errors ;;
  doctor) case_doctor ;;
  send_v4) case_send 127.0.0.1 ;;
  send_v6) case_send ::1 ;;
  send_types) case_send_types ;;
  listen) case_listen ;;
  capture) case_capture ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
