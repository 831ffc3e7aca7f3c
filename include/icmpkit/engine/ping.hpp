// File: icmpkit/engine/ping.hpp
//
// PingEngine: the sans-IO echo engine (RFC 792 echo, RFC 4443 §4 ICMPv6
// echo). One engine per address family serves every target and caller over
// one socket: it builds echo requests when they are due (pacing, global rate
// limit, retries, deadlines), matches replies and ICMP errors to probes, and
// reports every probe's outcome exactly once as data, with per-target and
// overall statistics. It never reads a clock, sleeps or touches a socket:
// time comes in as arguments, bytes in and out as spans.
//
// Driving it (what net::Pinger does):
//   loop:
//     while (auto t = engine.poll_transmit(now, buffer)) { send; engine.on_sent(t->handle, now, realtime); }
//     on a datagram:      engine.on_datagram(now, {...});
//     on an error record: engine.on_error_record(now, {...});   (ping socket)
//     on an ICMP error read from a raw socket: engine.on_quoted_error(now, ...);
//     at engine.next_deadline(): engine.handle_timeout(now);
//     while (auto e = engine.poll_event()) { deliver e; }
//
// Matching. Every echo payload starts with a 24-byte header: the engine's
// random 64-bit cookie, a 64-bit probe serial, the send time. Linux ping
// sockets rewrite the echo identifier, so a reply is matched by (source
// address, sequence, cookie, serial); on raw sockets the identifier must also
// be ours. A reply whose cookie is not ours (another program's ping seen by a
// raw socket) is ignored and counted as foreign. Sequence numbers are 16 bits
// and kept per destination address, so they wrap after 65,536 probes to one
// address: the serial in the payload keeps the match exact (the probe record
// is found from the serial in O(1)); when an ICMP error quotes only 8 bytes of
// the probe, the oldest in-flight probe with that (address, sequence) is taken.
// There is no cap on targets or probes in flight other than memory.
//
// Clocks. All `now` arguments are steady_clock. Kernel timestamps are
// CLOCK_REALTIME (sys::ReceivedDatagram::kernel_timestamp, nanoseconds since
// the Unix epoch): the engine takes them as `realtime` values and compares
// them only with other realtime values. The net layer passes, with on_sent,
// the realtime send time (the kernel transmit timestamp, or system_clock::now()
// read right after sendto), and with on_datagram the kernel receive timestamp.
// When both exist the RTT is realtime_rx - realtime_tx; when either is missing,
// or the realtime difference is negative or disagrees with the monotonic one by
// more than a second (the wall clock was stepped), it is now - steady send time.
//
// Memory. Per probe in flight or lingering: probe_record_size() bytes (88 on
// x86-64: a 64-byte pooled record plus its 24-byte timer entry), reused:
// once the pool, queues, retry queues and event queue have grown to the peak
// load, sending and matching allocate nothing (measured with a counting
// allocator in tests/unit/engine/ping_alloc_test.cpp). Per target:
// target_record_size() bytes (192 on x86-64); from its second reply, a
// 144-byte pooled RttStats plus its samples (8 bytes each, up to
// EngineConfig::rtt_sample_cap, grown on demand); per distinct address, a
// 40-byte pooled entry and 16 to 32 bytes of open-addressing table, shared by
// every request to that address. Requests started one after another with
// equal options (a sweep) share one pooled copy of them. Records, entries and
// table are reused: a sweep of single-probe targets allocates nothing per
// target once they have grown to its window.
// Timers and sends sit in queues with lazy deletion (detail::TimeQueue: FIFO
// lanes, O(1) for entries pushed in time order as a sweep pushes them, in
// front of a binary heap for the others). A probe has at most one live timer
// entry: a deadline moved later (the send call returning, the start of
// lingering) pushes nothing; the entry, once due, is pushed again at the
// deadline (next_deadline() stays exact). An entry whose probe or request
// has moved on or been released stays until it reaches the front, so a
// sweep that releases targets while their records would linger could keep
// rate x timeout stale entries. Each queue is therefore rebuilt in place, in
// O(n), with only its live entries whenever it holds more than twice the
// entries that can still be live (probe records not free plus requests with
// a pending deadline; for sends, live requests) plus 4096: at most about
// 2 x (probes in flight or lingering) + 4096 timer entries, amortised O(1)
// per entry. pending_timers() and pending_sends() report the queue sizes.
//
// Thread safety: none; use one engine from one thread (or a strand).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

#include "icmpkit/engine/ping_types.hpp"
#include "icmpkit/engine/stats.hpp"
#include "icmpkit/result.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::engine {

/// How one engine is set up (one per family and socket).
struct EngineConfig {
  wire::Family family = wire::Family::v4;
  /// Random per engine instance; the net layer draws it from std::random_device.
  /// 0 is replaced by a fixed non-zero constant (tests pass their own).
  std::uint64_t cookie = 0;
  /// The echo identifier written into requests.
  wire::EchoId echo_id{0};
  /// True on raw sockets: a reply's identifier must equal echo_id. False on
  /// Linux ping sockets, whose kernel rewrites it (and filters by it).
  bool match_echo_id = true;
  /// True when the socket does not compute ICMPv4 checksums (raw v4): the
  /// engine computes them. ICMPv6 checksums are always the kernel's.
  bool compute_checksum = true;
  /// Global send rate limit in probes per second (0 = unlimited) and burst.
  double max_rate = 0.0;
  std::uint32_t burst = 1;
  /// How long an answered or timed-out probe is remembered, so later replies
  /// are reported as duplicate / late_reply instead of being lost.
  std::chrono::nanoseconds linger = std::chrono::seconds(10);
  /// Lingering records kept per target at most; past this the oldest is
  /// forgotten early, and a later reply to it counts as stale, as one after
  /// the linger would. Bounds a flood's memory (at 100,000 probes/s, 10 s of
  /// linger is a million records). 65,536 is one run of 16-bit sequence
  /// numbers, the window iputils ping keeps for duplicates. 0: no limit.
  std::size_t max_lingering_per_target = 65536;
  /// RTT samples kept per target for percentiles (see RttStats).
  std::size_t rtt_sample_cap = RttStats::default_sample_cap;
  /// Probe records allocated up front.
  std::size_t initial_probe_capacity = 64;
};

/// Refers to one probe between poll_transmit and on_sent / on_send_failed.
struct ProbeHandle {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  friend bool operator==(ProbeHandle, ProbeHandle) noexcept = default;
};

/// A probe ready to send: `length` bytes written at the start of `out`.
struct Transmit {
  wire::IpAddress destination;
  std::size_t length = 0;
  ProbeHandle handle;
  TargetId target;
  /// Socket options this probe asks for (the net layer sets them when they
  /// differ from the socket's current ones).
  std::optional<wire::Ttl> ttl;
  std::optional<std::uint8_t> tos;
  bool dont_fragment = false;
};

/// A datagram from the normal receive queue.
struct DatagramIn {
  wire::IpAddress source;
  ConstBytes icmp;                   ///< The ICMP message (no IP header).
  std::optional<wire::Ttl> ttl;
  /// Kernel receive time, CLOCK_REALTIME ns since the epoch (see "Clocks").
  std::optional<std::chrono::nanoseconds> realtime;
};

/// A record from the IP_RECVERR / IPV6_RECVERR error queue (ping sockets).
struct ErrorRecordIn {
  wire::IpAddress offender;              ///< Unspecified for local errors.
  wire::IpAddress original_destination;  ///< Where the probe was going.
  bool from_icmp = true;   ///< false: a local error (origin local), e.g. EMSGSIZE.
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t info = 0;  ///< MTU for frag needed / packet too big.
  int error_number = 0;    ///< ee_errno.
  ConstBytes probe;        ///< The ICMP message we sent, as the kernel hands it back.
  std::optional<std::chrono::nanoseconds> realtime;
};

/// Counters of things that were not any probe's outcome.
struct EngineCounters {
  std::uint64_t foreign_replies = 0;   ///< Echo replies without our cookie / id.
  std::uint64_t stale_replies = 0;     ///< Ours, but the probe is no longer remembered.
  std::uint64_t unmatched_errors = 0;  ///< ICMP errors quoting no probe of ours.
  std::uint64_t malformed = 0;         ///< Messages too short or undecodable.
  std::uint64_t rate_limited = 0;      ///< poll_transmit calls held back by the token bucket.
  /// Lingering records forgotten before their linger ended
  /// (EngineConfig::max_lingering_per_target).
  std::uint64_t lingering_forgotten = 0;
  /// Probes whose send time came from a kernel transmit timestamp
  /// (on_transmit_timestamp, in time for their outcome).
  std::uint64_t transmit_timestamps = 0;
};

class PingEngine {
 public:
  explicit PingEngine(const EngineConfig& config);
  ~PingEngine();
  PingEngine(PingEngine&&) noexcept;
  PingEngine& operator=(PingEngine&&) noexcept;
  PingEngine(const PingEngine&) = delete;
  PingEngine& operator=(const PingEngine&) = delete;

  const EngineConfig& config() const noexcept;

  /// Starts a request: `options.count` probes to `address`, the first due at
  /// `now`. Several requests may target the same address (they share its
  /// sequence space). `user_data` is echoed in every event.
  /// Errors: errc::address_family_not_supported (address of the other
  /// family); errc::invalid_argument (payload_size > max_payload_size,
  /// pattern_size > 16, zero timeout, backoff < 1).
  Result<TargetId> add_target(const wire::IpAddress& address, const PingOptions& options, TimePoint now,
                              std::uint64_t user_data = 0);
  /// Stops a request: probes not yet sent are not sent, probes in flight end
  /// as Cancelled, and a done event follows. No effect on an unknown id.
  void cancel(TargetId target, TimePoint now);
  /// Frees a finished (done) or cancelled request's record. Its statistics
  /// are gone afterwards; read stats() first.
  void release(TargetId target);
  bool contains(TargetId target) const noexcept;
  bool is_done(TargetId target) const noexcept;

  /// Builds the next due echo request into `out` (needs 8 + payload bytes).
  /// nullopt when nothing is due at `now` (see next_deadline()). A request
  /// whose probe does not fit `out` gets a SendError(buffer_too_small) outcome.
  std::optional<Transmit> poll_transmit(TimePoint now, MutableBytes out);
  /// The probe left: its timeout runs from `now`. `realtime` is the realtime
  /// send time (see "Clocks"), read right after the send call returned;
  /// `send_call` is how long before that the call began (0: unknown). When
  /// a reply was timestamped before the call returned (loopback answers
  /// inside the call), its RTT runs from the call's start instead. Unknown
  /// handles are ignored.
  void on_sent(ProbeHandle handle, TimePoint now, std::optional<std::chrono::nanoseconds> realtime = std::nullopt,
               std::chrono::nanoseconds send_call = std::chrono::nanoseconds::zero());
  /// The kernel's transmit timestamp of a probe (SO_TIMESTAMPING, realtime,
  /// taken as the packet entered the device's queueing discipline): its RTT
  /// then runs from this exact time instead of the one on_sent estimated
  /// around the send call.
  /// It must arrive before the reply does, as it does from a socket whose
  /// error queue is read before its receive queue; later (or for a probe
  /// that already ended, or an unknown handle) it is ignored.
  void on_transmit_timestamp(ProbeHandle handle, std::chrono::nanoseconds realtime);
  /// The probe could not be sent: it ends with SendError{error}.
  void on_send_failed(ProbeHandle handle, TimePoint now, std::error_code error);

  /// A message from the normal receive queue: echo replies are matched;
  /// ICMP errors (raw sockets) are passed to on_quoted_error; others ignored.
  void on_datagram(TimePoint now, const DatagramIn& datagram);
  /// An error-queue record (Linux ping sockets, or raw sockets with IP_RECVERR).
  void on_error_record(TimePoint now, const ErrorRecordIn& record);
  /// An ICMP error message read from a raw socket: the probe is found from
  /// the quoted datagram (destination, sequence; cookie when quoted).
  void on_quoted_error(TimePoint now, const wire::IpAddress& source, const wire::IcmpView& error,
                       std::optional<std::chrono::nanoseconds> realtime = std::nullopt);

  /// Expires probe timeouts, lingering records and request deadlines due at `now`.
  void handle_timeout(TimePoint now);
  /// The earliest time something is due: a probe to send (rate limit
  /// included), a timeout, a deadline, a lingering record to drop. nullopt
  /// when idle.
  std::optional<TimePoint> next_deadline() const;

  /// The next event, in the order they happened.
  std::optional<ProbeEvent> poll_event();
  bool has_events() const noexcept;

  /// Statistics of one request (zeroes for an unknown id).
  PingStatistics stats(TargetId target) const;
  /// Statistics over every request since the engine was made.
  PingStatistics total_stats() const;
  const EngineCounters& counters() const noexcept;
  std::size_t targets() const noexcept;     ///< Requests not yet released.
  std::size_t in_flight() const noexcept;   ///< Probes sent and awaiting an outcome.
  /// Entries in the timer queue (probe timeouts, lingering records, request
  /// deadlines), stale ones not yet dropped included; see "Memory". For
  /// tests and monitoring.
  std::size_t pending_timers() const noexcept;
  /// Entries in the send schedule, stale ones included (same bound with the
  /// live requests). For tests and monitoring.
  std::size_t pending_sends() const noexcept;

  /// Bytes of one probe record and one request record (for memory budgets).
  static std::size_t probe_record_size() noexcept;
  static std::size_t target_record_size() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace icmpkit::engine
