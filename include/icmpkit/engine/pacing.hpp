// File: icmpkit/engine/pacing.hpp
//
// Pacing for probe engines: a token bucket that caps the global send rate
// (packets per second with a burst), and the retry backoff schedule fping
// uses (timeout multiplied by a factor on each retry). Time is an argument;
// nothing here reads a clock or sleeps.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>

namespace icmpkit::engine {

/// A token bucket over steady_clock time.
///
/// Tokens accrue at `rate_per_second` up to `burst`; each send takes one. A
/// rate of 0 means unlimited (try_take always succeeds). Fractional tokens
/// are kept in nanosecond-precise integer arithmetic so long runs do not
/// drift (N sends over T seconds never exceed burst + rate * T).
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  TokenBucket() noexcept = default;
  /// `burst` below 1 is raised to 1. Starts full at the first call.
  TokenBucket(double rate_per_second, std::uint32_t burst) noexcept;

  bool unlimited() const noexcept { return rate_ <= 0.0; }
  /// Takes one token if available at `now`.
  bool try_take(TimePoint now) noexcept;
  /// When the next token will be available (now if one is; nullopt if unlimited).
  std::optional<TimePoint> next_available(TimePoint now) noexcept;
  double rate() const noexcept { return rate_; }
  std::uint32_t burst() const noexcept { return burst_; }

 private:
  void refill(TimePoint now) noexcept;
  double rate_ = 0.0;
  std::uint32_t burst_ = 1;
  // Credit in "token-nanoseconds": one token = 1e9 / rate ns of credit.
  std::int64_t credit_ns_ = 0;
  std::int64_t token_cost_ns_ = 0;
  std::optional<TimePoint> last_;
};

/// Timeout of attempt `attempt` (0 = first try): timeout * backoff^attempt,
/// capped at `cap`. fping's -B: the wait before a retry grows by the factor.
std::chrono::nanoseconds backoff_timeout(std::chrono::nanoseconds timeout, double backoff, std::uint32_t attempt,
                                         std::chrono::nanoseconds cap = std::chrono::seconds(60)) noexcept;

}  // namespace icmpkit::engine
