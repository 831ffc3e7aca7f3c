// TokenBucket and the backoff schedule over simulated time.
#include <gtest/gtest.h>

#include "icmpkit/engine/pacing.hpp"

using namespace std::chrono_literals;
using icmpkit::engine::backoff_timeout;
using icmpkit::engine::TokenBucket;

TEST(TokenBucket, UnlimitedAlwaysGrants) {
  TokenBucket b;
  const auto t = std::chrono::steady_clock::time_point{};
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.try_take(t));
  EXPECT_FALSE(b.next_available(t));
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b(1000.0, 10);
  std::chrono::steady_clock::time_point t{10s};
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += b.try_take(t) ? 1 : 0;
  EXPECT_EQ(granted, 10);
  EXPECT_EQ(b.next_available(t), t + 1ms);
  EXPECT_FALSE(b.try_take(t + 999us));
  EXPECT_TRUE(b.try_take(t + 1ms));
}

TEST(TokenBucket, LongRunRateIsExact) {
  TokenBucket b(300.0, 1);
  std::chrono::steady_clock::time_point t{1s};
  int granted = 0;
  // Poll every 100 us for 10 simulated seconds.
  for (int i = 0; i < 100000; ++i, t += 100us) granted += b.try_take(t) ? 1 : 0;
  EXPECT_GE(granted, 2999);
  EXPECT_LE(granted, 3001);
}

TEST(TokenBucket, AskingAboutTheFutureDoesNotCreditTokens) {
  TokenBucket b(10.0, 1);
  std::chrono::steady_clock::time_point t{1s};
  EXPECT_TRUE(b.try_take(t));
  EXPECT_EQ(b.next_available(t + 1s), t + 1s);
  EXPECT_FALSE(b.try_take(t + 50ms));
  EXPECT_TRUE(b.try_take(t + 100ms));
}

TEST(Backoff, GrowsByTheFactorAndIsCapped) {
  EXPECT_EQ(backoff_timeout(100ms, 1.5, 0), 100ms);
  EXPECT_EQ(backoff_timeout(100ms, 1.5, 1), 150ms);
  EXPECT_EQ(backoff_timeout(100ms, 2.0, 3), 800ms);
  EXPECT_EQ(backoff_timeout(10s, 10.0, 5, 60s), 60s);
}
