// File: icmpkit/engine/stats.hpp
//
// Ping statistics as ping(8) (iputils) and fping print them: sent, received,
// duplicates, errors, loss, min/avg/max/mdev of the round-trip time, jitter
// as RFC 3550 §6.4.1 smooths it, and percentiles of the RTT. Pure arithmetic
// over durations handed in; no clock, no OS.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace icmpkit::engine {

/// Round-trip times are kept in nanoseconds.
using Duration = std::chrono::nanoseconds;

/// A summary of RTT samples (all durations; zero when no sample).
struct RttSummary {
  std::uint64_t samples = 0;
  Duration min{0};
  Duration avg{0};
  Duration max{0};
  /// iputils definition: sqrt(mean(rtt^2) - mean(rtt)^2), the population
  /// standard deviation of the samples.
  Duration mdev{0};
  /// RFC 3550 §6.4.1 interarrival jitter applied to successive RTTs:
  /// J += (|D| - J) / 16 with D the difference of two consecutive RTTs.
  Duration jitter{0};
  /// Nearest-rank percentiles (the ceil(p/100 * n)-th smallest sample) over
  /// the samples kept (see RttStats); exact while samples <= the cap.
  Duration p50{0};
  Duration p90{0};
  Duration p99{0};
};

/// Accumulates RTT samples with bounded memory.
///
/// min/max/avg/mdev/jitter are exact over every sample (running sums in
/// long double). Percentiles come from a kept set of at most `sample_cap`
/// samples: every sample while fewer than the cap have been seen, then a
/// uniform reservoir sample (Algorithm R, deterministic PRNG seeded at
/// construction), so p50/p90/p99 are exact up to the cap and unbiased
/// estimates beyond it. Memory: sizeof(RttStats) (128 bytes on x86-64) + 8
/// bytes per kept sample; nothing is allocated while at most one sample has
/// been added (the single-probe sweep case), that one is held inline.
class RttStats {
 public:
  /// Default cap: 1024 samples (8 KiB at most) per statistics object.
  static constexpr std::size_t default_sample_cap = 1024;
  RttStats() noexcept : RttStats(default_sample_cap) {}
  explicit RttStats(std::size_t sample_cap, std::uint64_t seed = 0x9e3779b97f4a7c15ULL) noexcept
      : cap_(sample_cap), rng_(seed | 1) {}

  /// Adds one sample. May allocate (amortised) from the second sample until
  /// the cap is reached.
  void add(Duration rtt);
  /// Computes the summary (sorts a copy of the kept samples).
  RttSummary summary() const;
  std::uint64_t count() const noexcept { return count_; }
  std::size_t kept() const noexcept { return kept_.empty() && count_ == 1 && cap_ > 0 ? 1 : kept_.size(); }
  std::size_t sample_cap() const noexcept { return cap_; }

 private:
  // Widest first: 128 bytes on x86-64 (144 with the old order and an optional last_).
  long double sum_ = 0;      // ns
  long double sum_sq_ = 0;   // ns^2
  long double jitter_ = 0;   // ns
  std::uint64_t count_ = 0;
  std::size_t cap_;
  std::uint64_t rng_;
  Duration min_{0};
  Duration max_{0};
  Duration last_{0};         // the previous sample; meaningful when count_ > 0
  // Empty while count_ <= 1: a lone sample is last_ (it is also min_ and max_).
  std::vector<Duration> kept_;
};

/// Nearest-rank percentile of sorted samples: the ceil(p/100*n)-th smallest
/// (p in (0, 100]); zero for an empty set.
Duration nearest_rank_percentile(const std::vector<Duration>& sorted, double p) noexcept;

/// Counters and RTTs of one target or of a whole run.
struct PingStatistics {
  std::uint64_t sent = 0;         ///< Probes handed to the kernel.
  std::uint64_t received = 0;     ///< Probes answered (first reply only).
  std::uint64_t duplicates = 0;   ///< Extra replies to an answered probe.
  std::uint64_t late = 0;         ///< Replies that came after the probe timed out.
  std::uint64_t errors = 0;       ///< Probes answered by an ICMP error.
  std::uint64_t timeouts = 0;     ///< Probes with no answer in time.
  std::uint64_t send_failures = 0;///< Probes the kernel refused to send.
  RttSummary rtt;

  /// Adds another request's counters (a sweep's or a run's totals). The RTT
  /// summary is not additive: feed the samples to one RttStats instead.
  void add_counts(const PingStatistics& other) noexcept {
    sent += other.sent;
    received += other.received;
    duplicates += other.duplicates;
    late += other.late;
    errors += other.errors;
    timeouts += other.timeouts;
    send_failures += other.send_failures;
  }

  /// Loss in percent: (sent - received) / sent * 100 (0 when nothing sent),
  /// iputils' definition (errors count as lost).
  double loss_percent() const noexcept {
    return sent == 0 ? 0.0 : 100.0 * static_cast<double>(sent - (received > sent ? sent : received)) /
                                 static_cast<double>(sent);
  }
};

}  // namespace icmpkit::engine
