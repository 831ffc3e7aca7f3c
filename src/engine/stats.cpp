// RTT statistics: running sums for the moments (exact over every sample),
// a bounded kept set for percentiles.
#include "icmpkit/engine/stats.hpp"

#include <algorithm>
#include <cmath>

namespace icmpkit::engine {

namespace {
// xorshift64*: deterministic, no OS randomness (engine layer rule).
std::uint64_t next_random(std::uint64_t& state) noexcept {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}
}  // namespace

void RttStats::add(Duration rtt) {
  if (rtt < Duration::zero()) rtt = Duration::zero();
  const auto ns = static_cast<long double>(rtt.count());
  if (count_ == 0 || rtt < min_) min_ = rtt;
  if (count_ == 0 || rtt > max_) max_ = rtt;
  ++count_;
  sum_ += ns;
  sum_sq_ += ns * ns;
  if (last_) {
    const long double d = std::fabs(ns - static_cast<long double>(last_->count()));
    jitter_ += (d - jitter_) / 16.0L;
  }
  last_ = rtt;
  if (cap_ == 0) return;
  if (kept_.size() < cap_) {
    kept_.push_back(rtt);
  } else {
    // Algorithm R: sample i (1-based count_) replaces a kept one with probability cap/i.
    const std::uint64_t j = next_random(rng_) % count_;
    if (j < cap_) kept_[static_cast<std::size_t>(j)] = rtt;
  }
}

Duration nearest_rank_percentile(const std::vector<Duration>& sorted, double p) noexcept {
  if (sorted.empty()) return Duration::zero();
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  if (rank < 1) rank = 1;
  if (rank > sorted.size()) rank = sorted.size();
  return sorted[rank - 1];
}

RttSummary RttStats::summary() const {
  RttSummary s;
  s.samples = count_;
  if (count_ == 0) return s;
  const long double n = static_cast<long double>(count_);
  const long double mean = sum_ / n;
  long double variance = sum_sq_ / n - mean * mean;
  if (variance < 0) variance = 0;  // rounding
  s.min = min_;
  s.max = max_;
  s.avg = Duration(static_cast<Duration::rep>(std::llround(mean)));
  s.mdev = Duration(static_cast<Duration::rep>(std::llround(std::sqrt(variance))));
  s.jitter = Duration(static_cast<Duration::rep>(std::llround(jitter_)));
  auto sorted = kept_;
  std::sort(sorted.begin(), sorted.end());
  s.p50 = nearest_rank_percentile(sorted, 50);
  s.p90 = nearest_rank_percentile(sorted, 90);
  s.p99 = nearest_rank_percentile(sorted, 99);
  return s;
}

}  // namespace icmpkit::engine
