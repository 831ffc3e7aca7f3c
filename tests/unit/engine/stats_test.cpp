// RttStats against hand computations.
#include <gtest/gtest.h>

#include <cmath>

#include "icmpkit/engine/stats.hpp"

using namespace std::chrono_literals;
using icmpkit::engine::Duration;
using icmpkit::engine::PingStatistics;
using icmpkit::engine::RttStats;

TEST(RttStats, EmptyIsAllZero) {
  RttStats s;
  auto r = s.summary();
  EXPECT_EQ(r.samples, 0u);
  EXPECT_EQ(r.avg, 0ns);
  EXPECT_EQ(r.p99, 0ns);
}

TEST(RttStats, MatchesHandComputation) {
  RttStats s;
  for (auto ms : {10, 20, 30, 40}) s.add(std::chrono::milliseconds(ms));
  auto r = s.summary();
  EXPECT_EQ(r.samples, 4u);
  EXPECT_EQ(r.min, 10ms);
  EXPECT_EQ(r.max, 40ms);
  EXPECT_EQ(r.avg, 25ms);
  // mdev = sqrt((100+400+900+1600)/4 - 25^2) ms = sqrt(125) ms = 11.1803398875 ms
  EXPECT_NEAR(static_cast<double>(r.mdev.count()), 11180339.8875, 1.0);
  // jitter: D = 10 ms three times: 0.625, 1.2109375, 1.7602539 ms
  EXPECT_NEAR(static_cast<double>(r.jitter.count()), 1760253.90625, 1.0);
  // nearest rank: p50 -> ceil(2) = 2nd (20), p90 -> ceil(3.6) = 4th, p99 -> 4th
  EXPECT_EQ(r.p50, 20ms);
  EXPECT_EQ(r.p90, 40ms);
  EXPECT_EQ(r.p99, 40ms);
}

TEST(RttStats, PercentilesOfAHundredSamples) {
  RttStats s;
  for (int i = 100; i >= 1; --i) s.add(std::chrono::milliseconds(i));  // order does not matter
  auto r = s.summary();
  EXPECT_EQ(r.p50, 50ms);
  EXPECT_EQ(r.p90, 90ms);
  EXPECT_EQ(r.p99, 99ms);
  EXPECT_EQ(r.jitter, 1ms - std::chrono::nanoseconds(static_cast<long>(std::llround(1e6 * std::pow(15.0 / 16.0, 99)))));
}

TEST(RttStats, MemoryIsBoundedByTheCap) {
  RttStats s(100);
  for (int i = 0; i < 100000; ++i) s.add(std::chrono::microseconds(i % 1000));
  EXPECT_EQ(s.kept(), 100u);
  EXPECT_EQ(s.count(), 100000u);
  auto r = s.summary();
  EXPECT_EQ(r.min, 0us);
  EXPECT_EQ(r.max, 999us);
  // Reservoir estimate of a uniform 0..999 us: median near 500 us.
  EXPECT_GT(r.p50, 300us);
  EXPECT_LT(r.p50, 700us);
}

TEST(PingStatistics, LossCountsErrorsAsLost) {
  PingStatistics s;
  EXPECT_EQ(s.loss_percent(), 0.0);
  s.sent = 8;
  s.received = 6;
  s.errors = 1;
  EXPECT_DOUBLE_EQ(s.loss_percent(), 25.0);
}

TEST(RttStats, OneSampleIsItsOwnPercentiles) {
  RttStats s;
  s.add(7ms);
  EXPECT_EQ(s.kept(), 1u);
  auto r = s.summary();
  EXPECT_EQ(r.samples, 1u);
  EXPECT_EQ(r.min, 7ms);
  EXPECT_EQ(r.max, 7ms);
  EXPECT_EQ(r.avg, 7ms);
  EXPECT_EQ(r.mdev, 0ms);
  EXPECT_EQ(r.jitter, 0ms);
  EXPECT_EQ(r.p50, 7ms);
  EXPECT_EQ(r.p99, 7ms);
}

TEST(RttStats, SecondSampleKeepsTheFirst) {
  RttStats s;
  s.add(9ms);
  s.add(1ms);
  EXPECT_EQ(s.kept(), 2u);
  auto r = s.summary();
  EXPECT_EQ(r.p50, 1ms);  // ceil(0.5 * 2) = 1st smallest
  EXPECT_EQ(r.p90, 9ms);
  EXPECT_EQ(r.jitter, 500us);  // |1 - 9| ms / 16
}

TEST(RttStats, ZeroCapKeepsNoSampleEvenTheFirst) {
  RttStats s(0);
  s.add(4ms);
  EXPECT_EQ(s.kept(), 0u);
  auto r = s.summary();
  EXPECT_EQ(r.avg, 4ms);
  EXPECT_EQ(r.p50, 0ms);
}

TEST(RttStats, CapOfOneIsAReservoirOfOne) {
  RttStats s(1);
  for (int i = 1; i <= 50; ++i) s.add(std::chrono::milliseconds(i));
  EXPECT_EQ(s.kept(), 1u);
  auto r = s.summary();
  EXPECT_GE(r.p50, 1ms);
  EXPECT_LE(r.p50, 50ms);
  EXPECT_EQ(r.p50, r.p99);
}
