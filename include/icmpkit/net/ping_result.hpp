// File: icmpkit/net/ping_result.hpp
//
// What a ping request yields in the async layer: every probe's outcome (as
// data: Reply, Timeout, IcmpError, SendError, Cancelled; RFC 792 / RFC 4443)
// and the request's statistics.
#pragma once
#include <cstdint>
#include <variant>
#include <vector>

#include "icmpkit/engine/ping_types.hpp"
#include "icmpkit/engine/stats.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::net {

using engine::PingOptions;

/// One probe of a request and how it ended.
struct ProbeResult {
  std::uint32_t index = 0;    ///< 0-based probe number within the request.
  std::uint32_t attempt = 0;  ///< 0 = first try, then retries.
  wire::EchoSeq seq;
  engine::Outcome outcome;
};

/// The result of one ping request.
struct PingResult {
  wire::IpAddress address;
  std::vector<ProbeResult> probes;     ///< In the order the outcomes happened.
  engine::PingStatistics statistics;   ///< Includes late replies and duplicates seen before completion.
  bool cancelled = false;              ///< Cancelled, or stopped by its deadline.

  /// True when at least one probe was answered by an echo reply.
  bool any_reply() const noexcept { return statistics.received > 0; }
};

/// Adds the RTT of every probe of `result` answered by an echo reply to `into`.
inline void add_reply_rtts(const PingResult& result, engine::RttStats& into) {
  for (const auto& probe : result.probes) {
    if (const auto* reply = std::get_if<engine::Reply>(&probe.outcome)) into.add(reply->rtt);
  }
}

/// What a sweep (many targets) completes with.
struct SweepSummary {
  std::uint64_t targets = 0;          ///< Requests completed.
  std::uint64_t alive = 0;            ///< Targets with at least one reply.
  engine::PingStatistics statistics;  ///< Summed over the sweep's targets (RTT over all replies).
};

}  // namespace icmpkit::net
