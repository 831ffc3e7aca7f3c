// File: icmpkit/engine/trace_wait.hpp
//
// How long a traceroute probe is waited for: traceroute(8)'s -w MAX,HERE,NEAR
// rule (WaitPolicy in trace_types.hpp), as a pure function the engine and
// its tests share.
#pragma once

#include <chrono>
#include <optional>

#include "icmpkit/engine/trace_types.hpp"

namespace icmpkit::engine {

/// The wait for one probe: min(max, here * (here_rtt + 1 ms)) when a probe of
/// the same TTL was answered, else min(max, near * (near_rtt + 1 ms)) when a
/// probe of a later TTL was, else max. A zero factor skips its rule.
std::chrono::nanoseconds probe_wait(const WaitPolicy& policy, std::optional<std::chrono::nanoseconds> here_rtt,
                                    std::optional<std::chrono::nanoseconds> near_rtt) noexcept;

}  // namespace icmpkit::engine
