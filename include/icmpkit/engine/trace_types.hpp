// File: icmpkit/engine/trace_types.hpp
//
// The data of the traceroute engine (trace_engine.hpp): what a trace is asked
// to do (TraceConfig), what the net layer must send (TraceTransmit), what it feeds
// back (IcmpInput, TcpInput, ErrorQueueRecord, ConnectOutcome) and what comes out (ProbeResult,
// HopResult, TraceResult and the events that stream them). Probe outcomes are
// data: a timeout or a failed send is a ProbeResult, never an error_code.
// RFC 792 / RFC 4443 (errors quoting the probe), RFC 1191 / RFC 8201 (path
// MTU), RFC 4884 / RFC 4950 / RFC 5837 (extensions), Augustin et al. 2006/2007
// (Paris traceroute, multipath detection algorithm).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::engine {

using TraceClock = std::chrono::steady_clock;
using TraceTime = TraceClock::time_point;

/// Names one trace inside a TraceEngine (never 0).
using TraceId = std::uint32_t;
/// Names one transmitted probe; handed back in on_sent / on_send_failed.
using ProbeId = std::uint64_t;

/// What the probes are.
enum class ProbeMethod : std::uint8_t {
  icmp_echo,  ///< ICMP / ICMPv6 echo request (ping or raw socket).
  udp,        ///< UDP datagram (ordinary UDP socket, or raw).
  tcp_syn,    ///< TCP SYN (raw socket only).
};

/// How the flow identifier (the fields ECMP routers hash) behaves.
enum class FlowMode : std::uint8_t {
  /// Van Jacobson traceroute: UDP destination port = base + probe number
  /// (so every probe is a new flow). ICMP and TCP probes keep their flow
  /// fields constant anyway, but their ICMP checksum does vary.
  classic,
  /// Paris traceroute: every probe of a trace has the same ports, ICMP
  /// checksum, TOS and flow label; the probe is told apart by the UDP
  /// checksum (steered by two payload bytes), the echo sequence (with the
  /// checksum held constant by two payload bytes) or the TCP sequence.
  paris,
};

/// What a trace does.
enum class TraceMode : std::uint8_t {
  hops,       ///< traceroute: `queries` probes per TTL, one flow (or per-probe flows when classic).
  multipath,  ///< MDA: vary the flow to enumerate every interface at each TTL (Paris flow fields).
};

/// traceroute(8)'s -w MAX,HERE,NEAR. A probe is given up after
/// min(max, here * (rtt + 1 ms)) when a probe of the same TTL was answered
/// with `rtt`, else min(max, near * (rtt + 1 ms)) when a probe of a larger TTL
/// was (the nearest such TTL), else `max`. A factor of 0 disables that rule.
/// The rtt used is that of the first answer received at that TTL.
struct WaitPolicy {
  std::chrono::nanoseconds max = std::chrono::seconds(5);
  double here = 3.0;
  double near = 10.0;
};

/// Multipath detection settings (TraceMode::multipath).
struct MdaConfig {
  /// Confidence of each stopping decision: 0.95 (the published table) or 0.99.
  double confidence = 0.95;
  /// Most flow identifiers one trace may use (each is one port / checksum value).
  std::uint32_t max_flows = 4096;
  /// Most probes sent while enumerating one TTL (bounds a run on a huge fan-out).
  std::uint32_t max_probes_per_hop = 1024;
  /// Stop after this many consecutive TTLs without any answer.
  std::uint8_t gap_limit = 3;
};

/// One trace to run.
struct TraceConfig {
  wire::IpAddress destination;
  /// The local address probes leave from. Needed to build full UDP/TCP
  /// headers (their checksum covers it): required for tcp_syn, optional for
  /// udp (without it TraceTransmit::transport stays empty and only the UDP payload
  /// is given, for an ordinary UDP socket), unused for icmp_echo.
  std::optional<wire::IpAddress> source;
  ProbeMethod method = ProbeMethod::udp;
  FlowMode flow_mode = FlowMode::classic;
  TraceMode mode = TraceMode::hops;
  std::uint8_t first_ttl = 1;   ///< traceroute -f
  std::uint8_t max_ttl = 30;    ///< traceroute -m
  std::uint32_t queries = 3;    ///< traceroute -q (probes per TTL, hops mode)
  std::uint32_t parallel = 16;  ///< traceroute -N (probes of this trace in flight at once)
  WaitPolicy wait;              ///< traceroute -w
  /// UDP: the socket's local port; 0 means unknown (not checked on replies).
  /// TCP: the port SYNs leave from (required); multipath adds the flow number.
  std::uint16_t source_port = 0;
  /// UDP: base destination port (0 = 33434); classic adds the probe number,
  /// multipath the flow number. TCP: the destination port (0 = 80).
  std::uint16_t destination_port = 0;
  /// Raw ICMP sockets: the echo identifier to send and to check on replies.
  /// Ping sockets leave it empty: the kernel owns the identifier.
  std::optional<wire::EchoId> echo_id;
  /// Data bytes after the transport header (at least probe_min_payload; TCP
  /// sends none outside MTU mode).
  std::size_t payload_size = 24;
  std::uint8_t traffic_class = 0;  ///< IPv4 TOS / IPv6 traffic class (constant).
  std::uint32_t flow_label = 0;    ///< IPv6 flow label (constant).
  /// Path MTU mode (tracepath, traceroute --mtu): when set, every probe is a
  /// whole IP datagram of the current path MTU with DF set, starting here;
  /// Fragmentation Needed / Packet Too Big lower it and the probe is resent.
  std::optional<std::uint32_t> path_mtu;
  /// How often a probe whose send failed is handed out again before the
  /// failure becomes its outcome.
  std::uint32_t max_send_attempts = 3;
  MdaConfig mda;
};

/// One probe for the net layer to send. What the socket layer must set:
/// - `ttl` (IP_TTL / IPV6_UNICAST_HOPS) before sending, for every method;
/// - icmp_echo: send `transport` (the whole echo message) on a ping or raw
///   ICMP socket; a ping socket rewrites the identifier, nothing else changes;
/// - udp: on an ordinary UDP socket bound to `source_port` (when non-zero),
///   sendto(destination, destination_port) the bytes of `payload`; on a raw
///   socket send `transport` (UDP header with checksum, needs TraceConfig::source);
/// - tcp_syn: send `transport` (a SYN with checksum) on a raw TCP socket;
/// - `traffic_class`, `flow_label` (IPv6) constant per trace;
/// - `dont_fragment` (IP_MTU_DISCOVER = IP_PMTUDISC_PROBE / IPV6_DONTFRAG)
///   in MTU mode, where `ip_length` is the datagram size to produce.
struct TraceTransmit {
  TraceId trace = 0;
  ProbeId probe = 0;
  ProbeMethod method = ProbeMethod::udp;
  wire::IpAddress destination;
  wire::Ttl ttl;
  std::uint16_t flow = 0;  ///< Flow number (multipath), 0 otherwise.
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;
  bool dont_fragment = false;
  std::size_t ip_length = 0;          ///< Whole IP datagram, header included.
  std::vector<std::byte> payload;     ///< UDP data (ordinary UDP sockets).
  std::vector<std::byte> transport;   ///< Whole upper layer: echo message, UDP datagram or TCP segment.
};

/// An ICMP message read from a raw or ping socket (IP header already removed).
struct IcmpInput {
  wire::IpAddress from;
  ConstBytes message;
  std::optional<wire::Ttl> reply_ttl;  ///< IP_RECVTTL / IPV6_RECVHOPLIMIT when known.
};

/// A TCP segment read from a raw TCP socket (IP header removed).
struct TcpInput {
  wire::IpAddress from;
  ConstBytes segment;
  std::optional<wire::Ttl> reply_ttl;
};

/// One record from the IP_RECVERR / IPV6_RECVERR error queue of a ping or UDP
/// socket (struct sock_extended_err plus what recvmsg(MSG_ERRQUEUE) returned).
struct ErrorQueueRecord {
  enum class Origin : std::uint8_t {
    local,  ///< SO_EE_ORIGIN_LOCAL: e.g. EMSGSIZE with `info` = the local MTU.
    icmp,   ///< SO_EE_ORIGIN_ICMP
    icmp6,  ///< SO_EE_ORIGIN_ICMP6
  };
  /// Which kind of socket the record came from, which fixes what `probe` holds.
  enum class SocketKind : std::uint8_t {
    ping,  ///< `probe` is the echo request as sent (ICMP header first).
    udp,   ///< `probe` is the UDP payload as sent (the header is not returned).
  };
  // Linux queues the rest of the ICMP message after the quoted probe too:
  // with RFC 4884 that is the padding of the 128-byte original datagram and
  // the extension structure, which on_error_queue decodes from there.
  Origin origin = Origin::icmp;
  SocketKind socket = SocketKind::udp;
  std::uint8_t type = 0;  ///< ee_type
  std::uint8_t code = 0;  ///< ee_code
  std::uint32_t info = 0; ///< ee_info: the MTU for Frag Needed / Packet Too Big / local EMSGSIZE.
  int error_number = 0;   ///< ee_errno (informational).
  std::optional<wire::IpAddress> offender;  ///< SO_EE_OFFENDER (absent for local errors).
  wire::IpAddress destination;              ///< msg_name: where the probe went.
  std::uint16_t destination_port = 0;       ///< msg_name port (UDP sockets).
  ConstBytes probe;  ///< The returned bytes (see SocketKind), to the end of the ICMP message.
  std::optional<wire::Ttl> reply_ttl;
};

/// What became of a probe the net layer matched itself because it had a
/// socket of its own: the unprivileged TCP connect() fallback for tcp_syn
/// (one non-blocking connect() per probe, with the probe's TTL; see
/// TraceEngine::on_connect_outcome).
struct ConnectOutcome {
  enum class Kind : std::uint8_t {
    connected,   ///< The connect completed: the destination answered SYN-ACK (port open).
    refused,     ///< ECONNREFUSED without an ICMP error: the destination answered RST.
    icmp_error,  ///< An ICMP error from the error queue (`error`): a router or the destination.
    failed,      ///< Any other socket error (`failure`), without an ICMP origin.
  };
  Kind kind = Kind::connected;
  /// icmp_error: origin, type, code, info, offender and reply_ttl are used;
  /// `socket`, `probe`, `destination` and `destination_port` are not.
  ErrorQueueRecord error;
  std::error_code failure;  ///< failed: the SO_ERROR / connect() error.
};

/// Why a probe ended (and, for a hop, the most telling of its probes).
enum class ProbeReason : std::uint8_t {
  pending,
  timeout,
  send_failed,
  time_exceeded,
  echo_reply,            ///< The destination answered (icmp_echo).
  port_unreachable,      ///< The destination answered (udp).
  tcp_syn_ack,           ///< The destination answered (tcp_syn, port open).
  tcp_reset,             ///< The destination answered (tcp_syn, port closed).
  net_unreachable,       ///< !N
  host_unreachable,      ///< !H
  protocol_unreachable,  ///< !P
  prohibited,            ///< !X
  fragmentation_needed,  ///< !F-<mtu> (ICMPv4 3/4, ICMPv6 Packet Too Big)
  source_route_failed,   ///< !S
  other_unreachable,     ///< !V, !C, !<code>
  parameter_problem,
  other_icmp,            ///< Any other error type quoting the probe.
};

/// True for the reasons that come from the destination itself.
constexpr bool is_destination_reason(ProbeReason r) noexcept {
  return r == ProbeReason::echo_reply || r == ProbeReason::port_unreachable || r == ProbeReason::tcp_syn_ack ||
         r == ProbeReason::tcp_reset;
}
/// True for the reasons after which traceroute stops at this hop.
constexpr bool is_final_reason(ProbeReason r) noexcept {
  return r != ProbeReason::pending && r != ProbeReason::timeout && r != ProbeReason::send_failed &&
         r != ProbeReason::time_exceeded;
}
/// Lower-case name ("time-exceeded", "port-unreachable"…).
const char* reason_name(ProbeReason r) noexcept;

/// An RFC 5837 interface information object, owning its name.
struct InterfaceInfo {
  wire::InterfaceRole role = wire::InterfaceRole::incoming;
  std::optional<std::uint32_t> if_index;
  std::optional<wire::IpAddress> address;
  std::optional<std::string> name;
  std::optional<std::uint32_t> mtu;
  friend bool operator==(const InterfaceInfo&, const InterfaceInfo&) = default;
};

/// One probe's outcome.
struct ProbeResult {
  ProbeReason reason = ProbeReason::pending;
  wire::Ttl ttl;                             ///< TTL the probe was sent with.
  std::uint16_t flow = 0;                    ///< Flow number (multipath).
  std::optional<wire::IpAddress> responder;  ///< Who answered (absent: timeout, send failure, local error).
  std::chrono::nanoseconds rtt{0};
  std::optional<wire::Ttl> reply_ttl;        ///< TTL of the answer as received.
  std::optional<wire::Ttl> quoted_ttl;       ///< TTL left in the quoted probe.
  bool icmp = false;                         ///< The answer was an ICMP message (type/code valid).
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::string flag;                          ///< traceroute's "!H", "!F-1400", "!<9>"…; empty when none.
  std::optional<std::uint32_t> mtu;          ///< MTU reported by Frag Needed / Packet Too Big.
  std::size_t probe_size = 0;                ///< IP datagram size of the probe.
  std::vector<wire::MplsLabelEntry> mpls;    ///< RFC 4950 label stack (top first), from every MPLS object.
  std::vector<InterfaceInfo> interfaces;     ///< RFC 5837 objects.
  bool bad_extensions = false;               ///< An RFC 4884 structure was there but malformed.
  std::error_code send_error;                ///< Last send error (send_failed, or retried sends).
  std::uint32_t send_attempts = 0;
};

/// A link between an interface at TTL t-1 and one at TTL t (multipath).
struct HopLink {
  wire::IpAddress from;
  wire::IpAddress to;
  friend bool operator==(const HopLink&, const HopLink&) = default;
};

/// One TTL of a trace.
struct HopResult {
  wire::Ttl ttl;
  ProbeReason reason = ProbeReason::pending;  ///< The most telling probe reason.
  std::vector<ProbeResult> probes;            ///< In sending order (hops mode: query order).
  std::vector<wire::IpAddress> interfaces;    ///< Distinct responders, first seen first.
  std::vector<HopLink> links;                 ///< Multipath: links from the previous TTL.
  std::optional<std::uint32_t> mtu;           ///< MTU mode: size of the probes answered at this TTL.
};

/// Why a trace ended.
enum class StopReason : std::uint8_t {
  destination_reached,
  unreachable,   ///< A final unreachable (!H, !N, !X, !F…) at the last hop.
  max_ttl,
  gap_limit,     ///< Multipath: too many silent TTLs in a row.
  cancelled,
};

/// The whole trace.
struct TraceResult {
  TraceId id = 0;
  wire::IpAddress destination;
  StopReason stop = StopReason::max_ttl;
  std::vector<HopResult> hops;
  std::optional<std::uint32_t> path_mtu;  ///< MTU mode: the final path MTU.
  std::size_t probes_sent = 0;
};

/// A hop is complete (hops are reported in TTL order). Multipath: the event
/// holds what was known when that TTL's enumeration ended; enumerating the
/// next TTL may still probe new flows at this one, so TraceFinished carries
/// the final graph.
struct HopEvent {
  TraceId trace = 0;
  HopResult hop;
};

/// A trace is over; it has been removed from the engine.
struct TraceFinished {
  TraceResult result;
};

using TraceEvent = std::variant<HopEvent, TraceFinished>;

}  // namespace icmpkit::engine
