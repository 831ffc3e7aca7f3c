// File: icmpkit/engine/ping_types.hpp
//
// The data a ping engine takes and gives: per-request options (payload size
// and pattern, TTL, TOS, DF, count, interval, timeout, retries), and every
// probe's outcome as data (Reply, Timeout, IcmpError, SendError, Cancelled),
// plus the late-reply and duplicate notices. RFC 792 (echo, errors),
// RFC 4443 (ICMPv6 echo, errors), RFC 1191 / RFC 8201 (packet too big).
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>
#include <variant>

#include "icmpkit/engine/stats.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::engine {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

/// Bytes of the engine's own header at the start of every echo payload:
/// 8-byte cookie (random per engine), 8-byte probe serial, 8-byte send time
/// (steady_clock ns). A payload shorter than this carries a prefix of it and
/// matching falls back on what is there (below 8 bytes: address and sequence
/// only, so another program's reply could then be taken for ours).
inline constexpr std::size_t probe_header_size = 24;

/// Largest payload a request may ask for (IPv4: 65535 - 20 - 8).
inline constexpr std::size_t max_payload_size = 65507;

/// Options of one ping request (one target, `count` probes).
struct PingOptions {
  /// Echo data bytes after the 8-byte ICMP header (ping -s; default 56 as
  /// iputils). Up to max_payload_size.
  std::size_t payload_size = 56;
  /// Bytes repeated after the engine header (ping -p; up to 16 bytes).
  std::array<std::byte, 16> pattern{};
  std::uint8_t pattern_size = 0;  ///< 0: the payload is filled with 0x00.
  std::optional<wire::Ttl> ttl;   ///< Unicast TTL / hop limit (socket default when unset).
  std::optional<std::uint8_t> tos;  ///< IPv4 TOS / IPv6 traffic class.
  bool dont_fragment = false;       ///< Set DF (PMTU "do"): oversize sends fail.
  /// Probes to send (each ends in one outcome). 0 = until cancelled or the
  /// deadline passes.
  std::uint32_t count = 1;
  /// Wait between two probes to this target (ping -i).
  std::chrono::nanoseconds interval = std::chrono::seconds(1);
  /// How long a probe waits for its answer (ping -W).
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);
  /// Extra probes sent when a probe times out (fping -r): the probe slot is
  /// retried up to `retries` times, the timeout growing by `backoff` each time.
  std::uint32_t retries = 0;
  double backoff = 1.5;
  /// Stop sending and finish the request this long after it started (ping -w);
  /// probes still in flight then end as Cancelled.
  std::optional<std::chrono::nanoseconds> deadline;
  /// Finish the request at the first reply (fping's default, the DHCP check).
  bool stop_on_reply = false;
  /// Flood shape (iputils ping -f): the next probe is due as soon as a reply
  /// arrives, or `interval` after the previous send, whichever comes first.
  bool send_on_reply = false;
  /// Read by net::Pinger, not the engine: keep every probe's outcome in
  /// net::PingResult::probes. A long or endless run that takes its outcomes
  /// from a probe callback sets it false, so its memory stays flat (the
  /// result then carries the statistics only).
  bool keep_outcomes = true;
};

/// The probe was answered by an echo reply.
struct Reply {
  Duration rtt{0};
  std::optional<wire::Ttl> ttl;   ///< Of the reply, when the socket reported it.
  std::size_t size = 0;           ///< ICMP message size of the reply.
  /// Further replies to this probe. 0 in the engine's outcome event (sent
  /// at the first reply; later copies come as duplicate events, whose Reply
  /// carries the running count, and in PingStatistics::duplicates);
  /// net::PingResult counts the duplicates seen before the request completed.
  std::uint32_t duplicates = 0;
  bool kernel_timestamp = false;  ///< rtt measured from kernel timestamps.
};

/// No answer within the probe's timeout.
struct Timeout {
  bool will_retry = false;  ///< Another attempt follows (PingOptions::retries).
};

/// Coarse kind of an ICMP error, the same for both families.
enum class IcmpErrorKind : std::uint8_t {
  unreachable,        ///< ICMPv4 type 3 (except code 4), ICMPv6 type 1; `code` says why.
  time_exceeded,      ///< TTL / hop limit exceeded in transit (or reassembly).
  packet_too_big,     ///< ICMPv4 3/4 (frag needed) or ICMPv6 type 2; `mtu` set.
  parameter_problem,  ///< `pointer` set.
  redirect,
  source_quench,
  other,
};

/// The probe was answered by an ICMP error (or an error-queue record).
struct IcmpError {
  IcmpErrorKind kind = IcmpErrorKind::other;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t mtu = 0;      ///< Next-hop MTU for packet_too_big; else 0.
  std::uint32_t pointer = 0;  ///< Parameter problem pointer; else 0.
  wire::IpAddress router;     ///< Who sent the error (the offender).
  Duration rtt{0};            ///< Time from send to the error.
};

/// The kernel refused to send the probe (no route, EMSGSIZE with DF ...).
struct SendError {
  std::error_code error;
};

/// The request was cancelled or its deadline passed with the probe in flight
/// or still unsent.
struct Cancelled {};

using Outcome = std::variant<Reply, Timeout, IcmpError, SendError, Cancelled>;

/// Identifies one request (one target session) inside an engine.
struct TargetId {
  std::uint32_t index = 0xffffffffu;
  std::uint32_t generation = 0;
  bool valid() const noexcept { return index != 0xffffffffu; }
  friend bool operator==(TargetId, TargetId) noexcept = default;
};

/// What poll_event() reports.
enum class EventKind : std::uint8_t {
  outcome,     ///< A probe ended: `outcome` holds how (exactly once per probe).
  late_reply,  ///< A reply to a probe that had already timed out (not counted as received).
  duplicate,   ///< Another reply to an answered probe.
  done,        ///< The request finished: no more events for `target`.
};

/// One event.
struct ProbeEvent {
  EventKind kind = EventKind::outcome;
  TargetId target;
  wire::IpAddress address;
  std::uint64_t user_data = 0;   ///< As given to add_target.
  /// Engine-wide probe serial as carried in the payload: unique among the
  /// probes an engine remembers, not consecutive (0 for done).
  std::uint64_t serial = 0;
  wire::EchoSeq seq;             ///< Sequence number on the wire.
  std::uint32_t probe_index = 0; ///< 0-based probe number within the request.
  std::uint32_t attempt = 0;     ///< 0 = first try, then retries.
  /// For outcome: the outcome. For late_reply / duplicate: a Reply with the
  /// RTT measured from the send time. For done: Cancelled when the request
  /// was cancelled or ran into its deadline, else Timeout{} (unused).
  Outcome outcome;
};

}  // namespace icmpkit::engine
