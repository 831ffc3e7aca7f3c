// File: icmpkit/engine/trace_engine.hpp
//
// The traceroute engine, sans-IO: it decides which probes to send and when a
// probe is given up, builds their bytes, matches what comes back (ICMP errors
// quoting a probe per RFC 792 / RFC 4443, error-queue records, echo replies,
// TCP SYN-ACK / RST) and reports each hop as it completes. One engine holds
// any number of traces (different destinations, methods and modes) whose
// probes may share the net layer's sockets: every probe carries a token that
// is unique among the engine's probes in flight to the same destination.
//
// Time comes in as an argument; the engine never reads a clock, sleeps or
// touches a socket. A driver loop:
//
//   engine.add_trace(config, now);
//   loop:
//     while (auto t = engine.poll_transmit(now)) send it (on failure: on_send_failed);
//     while (auto e = engine.poll_event()) deliver it;
//     wait for a datagram or engine.next_deadline();
//     feed datagrams with on_icmp / on_tcp / on_error_queue; engine.on_timer(now);
//
// Thread safety: none; drive one engine from one thread (or strand).
#pragma once

#include <memory>
#include <optional>
#include <system_error>

#include "icmpkit/engine/trace_types.hpp"
#include "icmpkit/result.hpp"

namespace icmpkit::engine {

class TraceEngine {
 public:
  TraceEngine();
  ~TraceEngine();
  TraceEngine(TraceEngine&&) noexcept;
  TraceEngine& operator=(TraceEngine&&) noexcept;
  TraceEngine(const TraceEngine&) = delete;
  TraceEngine& operator=(const TraceEngine&) = delete;

  /// Starts a trace. Its probes come out of poll_transmit, its hops and its
  /// end out of poll_event.
  /// Errors: errc::invalid_argument (first_ttl 0 or > max_ttl, queries or
  /// parallel 0, payload_size < probe_min_payload for udp/icmp, tcp_syn
  /// without source or source_port, source of the other family, path_mtu too
  /// small for the headers, multipath with a tcp base port leaving no flows).
  Result<TraceId> add_trace(const TraceConfig& config, TraceTime now);

  /// Ends a trace now: pending hops are dropped and a TraceFinished with
  /// StopReason::cancelled is queued. Unknown ids are ignored.
  void cancel(TraceId trace);

  /// The next probe to send, if any trace has one due (round robin over
  /// traces, each held to its `parallel` limit). The probe counts as sent at
  /// `now`; a kernel transmit timestamp may correct that with on_sent.
  std::optional<TraceTransmit> poll_transmit(TraceTime now);

  /// Corrects the send time of a probe (e.g. from SO_TIMESTAMPING).
  void on_sent(ProbeId probe, TraceTime sent_at);

  /// The send of `probe` failed. It is handed out again (a new token) up to
  /// TraceConfig::max_send_attempts, then becomes a ProbeReason::send_failed
  /// outcome, so a hop is never lost. In MTU mode a `local_mtu` (EMSGSIZE with
  /// the interface MTU) lowers the path MTU and resends without counting an attempt.
  void on_send_failed(ProbeId probe, std::error_code error, TraceTime now,
                      std::optional<std::uint32_t> local_mtu = std::nullopt);

  /// An ICMP / ICMPv6 message from a raw or ping socket. Returns true when it
  /// answered a probe of this engine (false: not ours, late, or malformed).
  bool on_icmp(TraceTime now, const IcmpInput& input);

  /// A TCP segment from a raw TCP socket (SYN-ACK or RST answering a SYN probe).
  bool on_tcp(TraceTime now, const TcpInput& input);

  /// A record from the IP_RECVERR / IPV6_RECVERR error queue of a ping or UDP socket.
  bool on_error_queue(TraceTime now, const ErrorQueueRecord& record);

  /// The outcome of one probe whose answer the net layer matched by its own
  /// socket (TCP connect() probes: one socket per probe, so the kernel, not
  /// the probe's bytes, says which probe an answer belongs to). connected ->
  /// tcp_syn_ack and refused -> tcp_reset from the destination; icmp_error is
  /// classified like an error-queue record (time exceeded, unreachable...);
  /// failed -> send_failed. Returns false when `probe` is not in flight
  /// (already settled, timed out or its trace ended).
  bool on_connect_outcome(TraceTime now, ProbeId probe, const ConnectOutcome& outcome);

  /// True while `probe` waits for its outcome (not yet answered, timed out,
  /// dropped or cancelled): a driver holding a socket per probe closes it
  /// once this turns false.
  bool probe_in_flight(ProbeId probe) const noexcept;

  /// Gives up the probes whose wait has run out and advances the traces.
  void on_timer(TraceTime now);

  /// When on_timer next has work: the earliest probe deadline. Empty when
  /// nothing is in flight.
  std::optional<TraceTime> next_deadline() const;

  /// The next hop or end-of-trace event, in the order they happened.
  std::optional<TraceEvent> poll_event();

  /// Traces still running.
  std::size_t active_traces() const noexcept;
  /// Probes of all traces in flight.
  std::size_t probes_in_flight() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace icmpkit::engine
