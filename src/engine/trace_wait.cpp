// traceroute(8)'s adaptive wait. The 1 ms added to the RTT is traceroute's
// DEF_WAIT_PREC: it keeps a sub-millisecond loopback RTT from giving a wait
// shorter than the scheduler's granularity.
#include "icmpkit/engine/trace_wait.hpp"

#include <algorithm>

namespace icmpkit::engine {

std::chrono::nanoseconds probe_wait(const WaitPolicy& policy, std::optional<std::chrono::nanoseconds> here_rtt,
                                    std::optional<std::chrono::nanoseconds> near_rtt) noexcept {
  using std::chrono::nanoseconds;
  const auto scaled = [&](double factor, nanoseconds rtt) {
    const double ns = factor * static_cast<double>((rtt + std::chrono::milliseconds(1)).count());
    const double cap = static_cast<double>(policy.max.count());
    return nanoseconds(static_cast<nanoseconds::rep>(std::min(ns, cap)));
  };
  if (policy.here > 0.0 && here_rtt) return scaled(policy.here, *here_rtt);
  if (policy.near > 0.0 && near_rtt) return scaled(policy.near, *near_rtt);
  return policy.max;
}

}  // namespace icmpkit::engine
