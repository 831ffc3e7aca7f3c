// icmpkit sweep's pacing: -i and --rate become the Pinger's rate, and paced
// sending lifts the cap on probes in flight (which would hold silent hosts
// back) while -i 0 keeps it.
#include <gtest/gtest.h>

#include "sweep_pacing.hpp"

namespace icmpkit::tools {
namespace {

constexpr auto no_cap = net::PingerOptions::no_in_flight_cap;

TEST(SweepPacing, DefaultIntervalIsFpingsTenMillisecondsWithoutACap) {
  const auto o = sweep_pinger_options(std::nullopt, std::nullopt, "auto");
  EXPECT_DOUBLE_EQ(o.max_rate, 100.0);
  EXPECT_EQ(o.max_in_flight, no_cap);
  EXPECT_FALSE(o.reply_ttl);
  EXPECT_EQ(o.mode, sys::SocketMode::automatic);
}

TEST(SweepPacing, IntervalZeroIsUnpacedAndKeepsTheBufferCap) {
  const auto o = sweep_pinger_options(0.0, std::nullopt, "raw");
  EXPECT_DOUBLE_EQ(o.max_rate, 0.0);
  EXPECT_EQ(o.max_in_flight, 0u) << "0 = the Pinger's cap from the receive buffer";
  EXPECT_EQ(o.mode, sys::SocketMode::raw);
}

TEST(SweepPacing, OneMillisecondIntervalIsAThousandPerSecondWithoutACap) {
  const auto o = sweep_pinger_options(1.0, std::nullopt, "dgram");
  EXPECT_DOUBLE_EQ(o.max_rate, 1000.0);
  EXPECT_EQ(o.max_in_flight, no_cap);
  EXPECT_EQ(o.burst, net::PingerOptions{}.burst) << "no burst needed at 1,000/s";
}

TEST(SweepPacing, RateOverridesTheIntervalAndBurstsOneMillisecondsWorth) {
  const auto o = sweep_pinger_options(10.0, 50000.0, "auto");
  EXPECT_DOUBLE_EQ(o.max_rate, 50000.0);
  EXPECT_EQ(o.max_in_flight, no_cap);
  EXPECT_EQ(o.burst, 50u);
}

}  // namespace
}  // namespace icmpkit::tools
