// MDA stopping rule. The miss probability is computed by a forward recurrence
// over "how many of the K next hops have been seen", whose terms are all
// positive; the textbook inclusion-exclusion sum alternates in sign and
// loses precision once K passes a few dozen.
#include "icmpkit/engine/mda_stopping.hpp"

#include <algorithm>
#include <vector>

namespace icmpkit::engine {

namespace {
constexpr std::uint32_t probe_cap = 100000;

// seen[j] = P(exactly j distinct next hops seen); advance by one probe.
void advance(std::vector<double>& seen, std::uint32_t next_hops) {
  const double k = next_hops;
  for (std::size_t j = seen.size() - 1; j > 0; --j) {
    seen[j] = seen[j] * (static_cast<double>(j) / k) + seen[j - 1] * ((k - static_cast<double>(j - 1)) / k);
  }
  seen[0] = 0.0;
}
}  // namespace

double mda_miss_probability(std::uint32_t next_hops, std::uint32_t probes) noexcept {
  if (next_hops <= 1) return probes == 0 && next_hops == 1 ? 1.0 : 0.0;
  std::vector<double> seen(next_hops + 1, 0.0);
  seen[0] = 1.0;
  for (std::uint32_t n = 0; n < probes; ++n) advance(seen, next_hops);
  return std::clamp(1.0 - seen[next_hops], 0.0, 1.0);
}

std::uint32_t mda_probes_needed(std::uint32_t k, double confidence) noexcept {
  k = std::max<std::uint32_t>(k, 1);
  if (!(confidence > 0.0) || !(confidence < 1.0)) confidence = 0.95;
  const double alpha = 1.0 - confidence;
  const std::uint32_t next_hops = k + 1;
  std::vector<double> seen(next_hops + 1, 0.0);
  seen[0] = 1.0;
  for (std::uint32_t n = 1; n <= probe_cap; ++n) {
    advance(seen, next_hops);
    if (1.0 - seen[next_hops] <= alpha) return n;
  }
  return probe_cap;
}

}  // namespace icmpkit::engine
