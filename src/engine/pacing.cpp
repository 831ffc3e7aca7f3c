// Token bucket in integer nanoseconds of credit: a token costs 1e9/rate ns,
// the bucket holds at most burst tokens' worth, and credit accrues 1:1 with
// elapsed time, so there is no floating-point drift over long runs.
#include "icmpkit/engine/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace icmpkit::engine {

TokenBucket::TokenBucket(double rate_per_second, std::uint32_t burst) noexcept
    : rate_(rate_per_second > 0 ? rate_per_second : 0.0), burst_(burst < 1 ? 1 : burst) {
  if (rate_ > 0) {
    token_cost_ns_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(1e9 / rate_)));
  }
}

// The credit may hold `burst` whole tokens plus the fraction of the next one,
// so coarse polling loses no accrued time (a cap of exactly `burst` tokens
// would drop the overshoot of every poll and run below the rate).
namespace {
std::int64_t bucket_cap(std::int64_t cost, std::uint32_t burst) noexcept {
  return cost * (static_cast<std::int64_t>(burst) + 1) - 1;
}
}  // namespace

void TokenBucket::refill(TimePoint now) noexcept {
  const std::int64_t cap = bucket_cap(token_cost_ns_, burst_);
  if (!last_) {
    credit_ns_ = token_cost_ns_ * static_cast<std::int64_t>(burst_);
    last_ = now;
    return;
  }
  if (now > *last_) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *last_).count();
    credit_ns_ = (elapsed >= cap - credit_ns_) ? cap : credit_ns_ + elapsed;
    last_ = now;
  }
}

bool TokenBucket::try_take(TimePoint now) noexcept {
  if (unlimited()) return true;
  refill(now);
  if (credit_ns_ >= token_cost_ns_) {
    credit_ns_ -= token_cost_ns_;
    return true;
  }
  return false;
}

std::optional<TokenBucket::TimePoint> TokenBucket::next_available(TimePoint now) noexcept {
  if (unlimited()) return std::nullopt;
  if (!last_) return now;  // starts full
  // Computed without storing: asking about a future instant must not credit
  // tokens to sends made before it. An instant before the last refill is
  // answered from the last refill.
  if (now < *last_) now = *last_;
  const std::int64_t cap = bucket_cap(token_cost_ns_, burst_);
  std::int64_t credit = credit_ns_;
  if (now > *last_) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *last_).count();
    credit = (elapsed >= cap - credit) ? cap : credit + elapsed;
  }
  if (credit >= token_cost_ns_) return now;
  return now + std::chrono::nanoseconds(token_cost_ns_ - credit);
}

std::chrono::nanoseconds backoff_timeout(std::chrono::nanoseconds timeout, double backoff, std::uint32_t attempt,
                                         std::chrono::nanoseconds cap) noexcept {
  if (attempt == 0) return std::min(timeout, cap);  // every first try: no floating point
  long double t = static_cast<long double>(timeout.count());
  for (std::uint32_t i = 0; i < attempt && t < static_cast<long double>(cap.count()); ++i) t *= backoff;
  if (t > static_cast<long double>(cap.count())) return cap;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(t));
}

}  // namespace icmpkit::engine
