// The MDA stopping rule against the published 95% table and against an
// independent evaluation of the paper's formula (inclusion-exclusion).
#include "icmpkit/engine/mda_stopping.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

namespace icmpkit::engine {
namespace {

// P(n probes over K equally likely next hops miss at least one), by
// inclusion-exclusion: sum_{i=1..K} (-1)^(i+1) C(K,i) ((K-i)/K)^n.
double miss_inclusion_exclusion(int next_hops, int probes) {
  double sum = 0;
  double binomial = 1;
  for (int i = 1; i <= next_hops; ++i) {
    binomial = binomial * (next_hops - i + 1) / i;
    const double term = binomial * std::pow(static_cast<double>(next_hops - i) / next_hops, probes);
    sum += (i % 2 == 1) ? term : -term;
  }
  return sum;
}

int needed_by_formula(int k, double confidence) {
  for (int n = 1; n < 1000; ++n) {
    if (miss_inclusion_exclusion(k + 1, n) <= 1.0 - confidence) return n;
  }
  return -1;
}

TEST(MdaStopping, ReproducesPublishedTableAt95Percent) {
  // Augustin et al., "Multipath tracing with Paris traceroute", n_1..n_16.
  constexpr std::array<std::uint32_t, 16> published{6, 11, 16, 21, 27, 33, 38, 44, 51, 57, 63, 70, 76, 83, 90, 96};
  for (std::uint32_t k = 1; k <= published.size(); ++k) {
    EXPECT_EQ(mda_probes_needed(k, 0.95), published[k - 1]) << "k=" << k;
  }
}

TEST(MdaStopping, AgreesWithTheFormulaAt95And99Percent) {
  for (double confidence : {0.95, 0.99}) {
    for (int k = 1; k <= 24; ++k) {
      EXPECT_EQ(static_cast<int>(mda_probes_needed(static_cast<std::uint32_t>(k), confidence)),
                needed_by_formula(k, confidence))
          << "k=" << k << " confidence=" << confidence;
    }
  }
  EXPECT_EQ(mda_probes_needed(1, 0.99), 8u);
}

TEST(MdaStopping, MissProbabilityMatchesClosedForm) {
  EXPECT_NEAR(mda_miss_probability(2, 6), std::pow(0.5, 5), 1e-12);  // 2 * 2^-6
  for (int k = 2; k <= 10; ++k) {
    for (int n : {1, 5, 20, 60}) {
      EXPECT_NEAR(mda_miss_probability(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(n)),
                  miss_inclusion_exclusion(k, n), 1e-9);
    }
  }
}

TEST(MdaStopping, ZeroSeenIsTreatedAsOne) { EXPECT_EQ(mda_probes_needed(0), mda_probes_needed(1)); }

TEST(MdaStopping, GrowsWithK) {
  for (std::uint32_t k = 1; k < 64; ++k) EXPECT_LT(mda_probes_needed(k), mda_probes_needed(k + 1));
}

}  // namespace
}  // namespace icmpkit::engine
