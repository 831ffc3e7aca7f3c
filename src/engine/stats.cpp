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
  const Duration previous = last_;
  if (count_ > 0) {
    const long double d = std::fabs(ns - static_cast<long double>(previous.count()));
    jitter_ += (d - jitter_) / 16.0L;
  }
  ++count_;
  sum_ += ns;
  sum_sq_ += ns * ns;
  last_ = rtt;
  if (cap_ == 0) return;
  // A target pinged once (a sweep) never allocates: its one sample lives in
  // last_ and joins kept_ only when a second one comes. The reservoir sees
  // the same sequence as if it had been kept from the start.
  if (count_ == 1) return;
  if (kept_.empty()) kept_.push_back(previous);
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
  if (kept_.empty()) {
    if (cap_ > 0) s.p50 = s.p90 = s.p99 = last_;  // the lone sample (count_ == 1)
    return s;
  }
  auto sorted = kept_;
  std::sort(sorted.begin(), sorted.end());
  s.p50 = nearest_rank_percentile(sorted, 50);
  s.p90 = nearest_rank_percentile(sorted, 90);
  s.p99 = nearest_rank_percentile(sorted, 99);
  return s;
}

}  // namespace icmpkit::engine
