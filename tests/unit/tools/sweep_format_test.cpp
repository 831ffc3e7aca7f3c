// Unit tests of `icmpkit sweep`'s output: expected lines are lines fping 5.1
// printed on this machine (loopback and a namespace lab with unreachable and
// blackhole routes), with our numbers fed in.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sweep_format.hpp"

namespace icmpkit::tools {
namespace {

using namespace std::chrono_literals;

wire::IpAddress addr(const char* text) { return *wire::IpAddress::parse(text); }

TEST(SweepFormat, TimePrecisionFollowsFping) {
  EXPECT_EQ(fping_time(23us), "0.023");
  EXPECT_EQ(fping_time(999'400ns), "0.999");
  EXPECT_EQ(fping_time(1234us), "1.23");
  EXPECT_EQ(fping_time(12340us), "12.3");
  EXPECT_EQ(fping_time(123400us), "123");
  EXPECT_EQ(fping_time(2000s), "2.000e+06");
  EXPECT_EQ(fping_time(0ns), "0.000");
}

// fping 5.1's sprint_tm, verbatim but for the buffer: the reference that
// fping_time's integer arithmetic must reproduce digit for digit.
std::string fping_sprint_tm(std::int64_t ns) {
  const double t = static_cast<double>(ns) / 1e6;
  char buf[64];
  if (t < 0.0) {
    std::snprintf(buf, sizeof buf, "%.2g", t);
  } else if (t < 1.0) {
    std::snprintf(buf, sizeof buf, "%.3f", t);
  } else if (t < 10.0) {
    std::snprintf(buf, sizeof buf, "%.2f", t);
  } else if (t < 100.0) {
    std::snprintf(buf, sizeof buf, "%.1f", t);
  } else if (t < 1000000.0) {
    std::snprintf(buf, sizeof buf, "%.0f", t);
  } else {
    std::snprintf(buf, sizeof buf, "%.3e", t);
  }
  return buf;
}

void expect_like_fping(std::int64_t ns) {
  const std::string expected = fping_sprint_tm(ns);
  ASSERT_EQ(fping_time(std::chrono::nanoseconds(ns)), expected) << ns << " ns";
  char text[fping_time_max_size];
  ASSERT_EQ(std::string(text, write_fping_time(text, std::chrono::nanoseconds(ns))), expected) << ns << " ns";
}

TEST(SweepFormat, TimeMatchesPrintfForEveryNanosecondBelowTwoMillis) {
  for (std::int64_t ns = 0; ns < 2'000'000; ++ns) expect_like_fping(ns);
}

TEST(SweepFormat, TimeMatchesPrintfAroundEveryPrecisionChange) {
  for (const std::int64_t edge : {std::int64_t{1'000'000}, std::int64_t{10'000'000}, std::int64_t{100'000'000},
                                  std::int64_t{1'000'000'000'000}}) {
    for (std::int64_t ns = edge - 200'000; ns < edge + 200'000; ++ns) expect_like_fping(ns);
  }
}

// A value exactly halfway between two outputs (e.g. 62500 ns, "%.3f" of
// 0.0625) is rounded by printf from the double, not from the integer.
TEST(SweepFormat, TimeMatchesPrintfOnHalfwayValues) {
  struct Cut {
    std::int64_t from, to, unit;
  };
  for (const auto& cut : {Cut{0, 1'000'000, 1'000}, Cut{1'000'000, 10'000'000, 10'000},
                          Cut{10'000'000, 100'000'000, 100'000}, Cut{100'000'000, 1'000'000'000'000, 1'000'000}}) {
    const std::int64_t step = std::max<std::int64_t>(cut.unit, (cut.to - cut.from) / 200'000 / cut.unit * cut.unit);
    for (std::int64_t q = cut.from; q < cut.to; q += step) {
      expect_like_fping(q + cut.unit / 2);
      expect_like_fping(q + cut.unit / 2 - 1);
      expect_like_fping(q + cut.unit / 2 + 1);
    }
  }
}

TEST(SweepFormat, TimeMatchesPrintfOnRandomAndExtremeValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1'000'000; ++i) {
    // Spread over every magnitude from nanoseconds to centuries.
    const int bits = static_cast<int>(rng() % 63);
    const auto ns = static_cast<std::int64_t>(rng() >> (63 - bits) >> 1);
    expect_like_fping(ns);
    expect_like_fping(-ns);
  }
  for (const std::int64_t ns : {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
                                no_rtt.count(), std::int64_t{-1}, std::int64_t{-1'500}, std::int64_t{-123'456'789}}) {
    expect_like_fping(ns);
  }
}

TEST(SweepFormat, AppendFormsAppendTheSameText) {
  const std::string before = "x";
  auto appended = [&](auto append) {
    std::string out = before;
    append(out);
    return out;
  };
  EXPECT_EQ(appended([](std::string& o) { append_fping_time(o, 1234us); }), "x1.23");
  EXPECT_EQ(appended([](std::string& o) { append_sweep_alive_line(o, "h", false, 37us); }),
            before + sweep_alive_line("h", false, 37us));
  EXPECT_EQ(appended([](std::string& o) { append_sweep_alive_line(o, "h", true, std::nullopt); }), "xh");
  EXPECT_EQ(appended([](std::string& o) { append_sweep_unreachable_line(o, "h", false); }), "xh is unreachable");
  EXPECT_EQ(appended([](std::string& o) { append_sweep_reply_line(o, "h", 3, 4, 64, 38us, 31us, 20); }),
            "xh   : [4], 64 bytes, 0.038 ms (0.031 avg, 20% loss)");
  EXPECT_EQ(appended([](std::string& o) { append_sweep_timeout_line(o, "h", 1, 2, std::nullopt, 100); }),
            "xh : [2], timed out (NaN avg, 100% loss)");
  EXPECT_EQ(appended([](std::string& o) {
              append_sweep_target_summary_line(o, "127.0.0.1", 11, 1, 1, RttTriple{12us, 12us, 12us});
            }),
            "x127.0.0.1   : xmt/rcv/%loss = 1/1/0%, min/avg/max = 0.012/0.012/0.012");
  const std::vector<std::chrono::nanoseconds> mixed{no_rtt, 1500us};
  EXPECT_EQ(appended([&](std::string& o) { append_sweep_vcount_line(o, "h", 2, mixed); }), "xh  : - 1.50");
}

TEST(SweepFormat, DuplicateLineMatchesFping) {
  EXPECT_EQ(sweep_duplicate_line("127.0.0.1", 10, 3, 64, 45us), "127.0.0.1  : duplicate for [3], 64 bytes, 0.045 ms");
  std::string out = "y";
  append_sweep_duplicate_line(out, "h", 0, 0, 56, 2s);
  EXPECT_EQ(out, "yh : duplicate for [0], 56 bytes, 2000 ms");
}

TEST(SweepFormat, SummaryLineKeepsLongNamesWhole) {
  const std::string name(300, 'n');
  EXPECT_EQ(sweep_target_summary_line(name, 10, 3, 2, RttTriple{1s, 2s, 3s}),
            name + " : xmt/rcv/%loss = 3/2/33%, min/avg/max = 1000/2000/3000");
  EXPECT_EQ(sweep_target_summary_line("h", 3, UINT32_MAX, 0, RttTriple{1s, 2s, 3s}),
            "h   : xmt/rcv/%loss = 4294967295/0/100%");
}

TEST(SweepFormat, DefaultModeLines) {
  EXPECT_EQ(sweep_alive_line("127.0.0.1", false, {}), "127.0.0.1 is alive");
  EXPECT_EQ(sweep_alive_line("10.99.1.2", false, 37us), "10.99.1.2 is alive (0.037 ms)");
  EXPECT_EQ(sweep_unreachable_line("10.99.60.1", false), "10.99.60.1 is unreachable");
  // -a / -u print bare names.
  EXPECT_EQ(sweep_alive_line("127.0.0.1", true, {}), "127.0.0.1");
  EXPECT_EQ(sweep_unreachable_line("10.99.50.1", true), "10.99.50.1");
}

TEST(SweepFormat, CountModeLinesArePaddedToTheLongestName) {
  EXPECT_EQ(sweep_reply_line("10.99.1.2", 10, 0, 64, 40us, 40us, 0),
            "10.99.1.2  : [0], 64 bytes, 0.040 ms (0.040 avg, 0% loss)");
  EXPECT_EQ(sweep_reply_line("127.0.0.1", 9, 1, 64, 38us, 31us, 0),
            "127.0.0.1 : [1], 64 bytes, 0.038 ms (0.031 avg, 0% loss)");
  EXPECT_EQ(sweep_timeout_line("10.99.60.1", 10, 0, {}, 100), "10.99.60.1 : [0], timed out (NaN avg, 100% loss)");
  EXPECT_EQ(sweep_timeout_line("h", 1, 2, 1500us, 33), "h : [2], timed out (1.50 avg, 33% loss)");
}

TEST(SweepFormat, LossIsIntegerPercentLikeFping) {
  EXPECT_EQ(fping_loss(3, 2), 33U);
  EXPECT_EQ(fping_loss(3, 1), 66U);
  EXPECT_EQ(fping_loss(2, 0), 100U);
  EXPECT_EQ(fping_loss(0, 0), 0U);
  EXPECT_EQ(fping_loss(2, 3), 0U);  // duplicates never make loss negative
}

TEST(SweepFormat, PerTargetSummaries) {
  EXPECT_EQ(sweep_target_summary_line("10.99.1.2", 10, 2, 2, RttTriple{39us, 39us, 40us}),
            "10.99.1.2  : xmt/rcv/%loss = 2/2/0%, min/avg/max = 0.039/0.039/0.040");
  EXPECT_EQ(sweep_target_summary_line("10.99.60.1", 10, 2, 0, {}), "10.99.60.1 : xmt/rcv/%loss = 2/0/100%");
  const std::vector<std::chrono::nanoseconds> answered{37us, 46us};
  EXPECT_EQ(sweep_vcount_line("10.99.1.2", 10, answered), "10.99.1.2  : 0.037 0.046");
  const std::vector<std::chrono::nanoseconds> unanswered{no_rtt, no_rtt};
  EXPECT_EQ(sweep_vcount_line("10.99.60.1", 10, unanswered), "10.99.60.1 : - -");
  const std::vector<std::chrono::nanoseconds> mixed{no_rtt, 1500us};
  EXPECT_EQ(sweep_vcount_line("h", 2, mixed), "h  : - 1.50");
}

TEST(SweepFormat, IcmpErrorWarningMatchesFping) {
  EXPECT_EQ(sweep_icmp_error_line(wire::Family::v4, 3, 1, addr("10.99.1.2"), "10.99.50.1"),
            "ICMP Host Unreachable from 10.99.1.2 for ICMP Echo sent to 10.99.50.1");
  EXPECT_EQ(sweep_icmp_error_line(wire::Family::v4, 11, 0, addr("10.99.1.2"), "10.99.70.1"),
            "ICMP Time Exceeded from 10.99.1.2 for ICMP Echo sent to 10.99.70.1");
  EXPECT_EQ(sweep_icmp_error_line(wire::Family::v4, 3, 13, addr("10.0.0.1"), "h"),
            "ICMP Unreachable (Communication Administratively Prohibited) from 10.0.0.1 for ICMP Echo sent to h");
  EXPECT_EQ(sweep_icmp_error_line(wire::Family::v4, 3, 16, addr("10.0.0.1"), "h"),
            "ICMP Unreachable (Invalid Code) from 10.0.0.1 for ICMP Echo sent to h");
  EXPECT_EQ(sweep_icmp_error_line(wire::Family::v6, 1, 0, addr("fd99::2"), "fd99:50::1"),
            "ICMPv6 No Route to Destination from fd99::2 for ICMP Echo sent to fd99:50::1");
}

TEST(SweepFormat, StatsBlockMatchesFping) {
  SweepTotals t;
  t.targets = 2;
  t.alive = 2;
  t.sent = 4;
  t.received = 4;
  t.rtt = RttTriple{23us, 35us, 41us};
  t.elapsed = 1011ms;
  const auto lines = sweep_stats_block(t);
  const std::vector<std::string> fping = {
      "",
      "       2 targets",
      "       2 alive",
      "       0 unreachable",
      "       0 unknown addresses",
      "",
      "       0 timeouts (waiting for response)",
      "       4 ICMP Echos sent",
      "       4 ICMP Echo Replies received",
      "       0 other ICMP received",
      "",
      " 0.023 ms (min round trip time)",
      " 0.035 ms (avg round trip time)",
      " 0.041 ms (max round trip time)",
      "        1.011 sec (elapsed real time)",
      "",
  };
  EXPECT_EQ(lines, fping);
}

TEST(SweepFormat, StatsBlockWithoutRepliesPrintsZeroTimes) {
  SweepTotals t;
  t.targets = 1;
  t.unreachable = 1;
  t.timeouts = 2;
  t.sent = 2;
  t.elapsed = 250ms;
  const auto lines = sweep_stats_block(t);
  EXPECT_EQ(lines[11], " 0.000 ms (min round trip time)");
  EXPECT_EQ(lines[14], "        0.250 sec (elapsed real time)");
}

TEST(SweepExit, CodesFollowFping) {
  SweepTotals t;
  t.targets = 2;
  t.alive = 2;
  EXPECT_EQ(sweep_exit_code(t), 0);
  t.alive = 1;
  t.unreachable = 1;
  EXPECT_EQ(sweep_exit_code(t), 1);
  t.unknown = 1;
  EXPECT_EQ(sweep_exit_code(t), 2);
}

TEST(SweepJson, ResultAndSummaryObjects) {
  auto reply = sweep_reply_json("localhost", addr("127.0.0.1"), 0, 64, 2ms, false);
  EXPECT_EQ(reply["event"], "reply");
  EXPECT_EQ(reply["target"], "localhost");
  EXPECT_DOUBLE_EQ(reply["rtt_ms"].get<double>(), 2.0);
  auto target = sweep_target_json("no.such", std::nullopt, false, 0, 0, {}, "Name or service not known");
  EXPECT_TRUE(target["address"].is_null());
  EXPECT_EQ(target["error"], "Name or service not known");
  auto alive = sweep_target_json("127.0.0.1", addr("127.0.0.1"), true, 4, 3, RttTriple{1ms, 2ms, 3ms});
  EXPECT_DOUBLE_EQ(alive["loss_percent"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(alive["rtt_ms"]["max"].get<double>(), 3.0);
  SweepTotals t;
  t.targets = 3;
  t.alive = 1;
  t.unknown = 1;
  auto summary = sweep_summary_json(t);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["exit_code"], 2);
  EXPECT_FALSE(summary.contains("rtt_ms"));
}

}  // namespace
}  // namespace icmpkit::tools
