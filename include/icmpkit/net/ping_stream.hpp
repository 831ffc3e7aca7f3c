// File: icmpkit/net/ping_stream.hpp
//
// net::PingStream: the receiving end of Pinger::stream_ping, for callers
// that run thousands or millions of targets and keep their own tally (the
// `icmpkit sweep` tool). async_ping gives Asio's guarantees (the completion
// handler is posted to its executor, never run inside the initiating call),
// which costs a completion object and a posted handler per target; a stream
// gets every event of its targets delivered directly from the Pinger's own
// handlers instead, with nothing allocated or posted per target.
#pragma once
#include <cstdint>
#include <system_error>

#include "icmpkit/engine/ping_types.hpp"
#include "icmpkit/engine/stats.hpp"

namespace icmpkit::net {

/// Receives the events of the targets started with Pinger::stream_ping, on
/// the Pinger's executor, from inside the Pinger's handlers. `tag` is the
/// caller's own number for the target, as given to stream_ping. Both
/// functions may start new targets (stream_ping) and call cancel_all(); they
/// must not block and must not destroy the Pinger.
class PingStream {
 public:
  virtual ~PingStream() = default;

  /// A probe event of target `tag` as it happens: an outcome, a duplicate or
  /// a late reply (the final `done` event comes as on_finished instead).
  virtual void on_probe(std::uint64_t tag, const engine::ProbeEvent& event) = 0;

  /// Target `tag` is finished, with its statistics; `cancelled` when it was
  /// cancelled or stopped by its deadline. `error` is set only when its
  /// socket failed (the target then ended early). Not called for targets
  /// still running when the Pinger is destroyed.
  virtual void on_finished(std::uint64_t tag, std::error_code error, const engine::PingStatistics& statistics,
                           bool cancelled) = 0;

  /// The Pinger has just handed probes to the kernel, so targets that were
  /// waiting to be sent no longer are: a caller that keeps a window of
  /// targets waiting to send (Pinger::unsent_requests) starts more here.
  /// Called after a pump that sent probes, after that pump's events, for
  /// every stream with targets still running (a stream whose targets have
  /// all finished hears on_finished instead: start more from both). The
  /// default does nothing.
  virtual void on_probes_sent() {}
};

}  // namespace icmpkit::net
