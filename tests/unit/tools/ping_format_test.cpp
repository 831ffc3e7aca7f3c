// Unit tests of `icmpkit ping`'s output: every expected line is a line real
// iputils ping 20221126 printed on this machine (loopback and a namespace lab
// with unreachable / blackhole routes and TTL 1), with our numbers fed in.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "ping_format.hpp"

namespace icmpkit::tools {
namespace {

using namespace std::chrono_literals;

wire::IpAddress addr(const char* text) { return *wire::IpAddress::parse(text); }

TEST(PingFormat, HeaderMatchesIputilsForBothFamilies) {
  EXPECT_EQ(ping_header_line({"127.0.0.1", addr("127.0.0.1"), 56, {}, {}}),
            "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.");
  EXPECT_EQ(ping_header_line({"localhost", addr("127.0.0.1"), 56, {}, {}}),
            "PING localhost (127.0.0.1) 56(84) bytes of data.");
  EXPECT_EQ(ping_header_line({"127.0.0.1", addr("127.0.0.1"), 100, {}, {}}),
            "PING 127.0.0.1 (127.0.0.1) 100(128) bytes of data.");
  EXPECT_EQ(ping_header_line({"::1", addr("::1"), 56, {}, {}}), "PING ::1(::1) 56 data bytes");
  EXPECT_EQ(ping_header_line({"127.0.0.1", addr("127.0.0.1"), 56, addr("127.0.0.1"), "lo"}),
            "PING 127.0.0.1 (127.0.0.1) from 127.0.0.1 lo: 56(84) bytes of data.");
  EXPECT_EQ(ping_header_line({"::1", addr("::1"), 56, addr("::1"), "lo"}), "PING ::1(::1) from ::1 lo: 56 data bytes");
}

TEST(PingFormat, ReplyLineMatchesIputils) {
  ReplyLine r;
  r.bytes = 64;
  r.from = ping_display_name("127.0.0.1", addr("127.0.0.1"));
  r.seq = 1;
  r.ttl = 64;
  r.rtt = 45us;
  EXPECT_EQ(ping_reply_line(r), "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms");
  r.duplicate = true;
  EXPECT_EQ(ping_reply_line(r), "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms (DUP!)");
  r.duplicate = false;
  r.from = ping_display_name("localhost", addr("127.0.0.1"));
  r.rtt = 13us;
  EXPECT_EQ(ping_reply_line(r), "64 bytes from localhost (127.0.0.1): icmp_seq=1 ttl=64 time=0.013 ms");
  r.from = "::1";
  r.seq = 2;
  r.rtt = 40us;
  EXPECT_EQ(ping_reply_line(r), "64 bytes from ::1: icmp_seq=2 ttl=64 time=0.040 ms");
  // iputils prints no ttl= when the kernel gave none, no time= when unmeasured.
  r.ttl.reset();
  r.rtt.reset();
  r.bytes = 12;
  EXPECT_EQ(ping_reply_line(r), "12 bytes from ::1: icmp_seq=2");
}

TEST(PingFormat, RttPrecisionFallsWithMagnitudeLikeIputils) {
  EXPECT_EQ(iputils_rtt(0ns), "0.000");
  EXPECT_EQ(iputils_rtt(45'678ns), "0.045");  // whole microseconds, truncated
  EXPECT_EQ(iputils_rtt(999us), "0.999");
  EXPECT_EQ(iputils_rtt(1000us), "1.00");
  EXPECT_EQ(iputils_rtt(1234us), "1.23");
  EXPECT_EQ(iputils_rtt(1235us), "1.24");  // iputils rounds from 1 ms on
  EXPECT_EQ(iputils_rtt(9994us), "9.99");
  EXPECT_EQ(iputils_rtt(9995us), "10.0");
  EXPECT_EQ(iputils_rtt(12345us), "12.3");
  EXPECT_EQ(iputils_rtt(99949us), "99.9");
  EXPECT_EQ(iputils_rtt(99950us), "100");
  EXPECT_EQ(iputils_rtt(1234567us), "1235");
}

TEST(PingFormat, TimestampPrefixIsSecondsDotMicroseconds) {
  const std::chrono::system_clock::time_point t{std::chrono::microseconds(1795364710007407LL)};
  EXPECT_EQ(ping_timestamp_prefix(t), "[1795364710.007407] ");
  EXPECT_EQ(ping_no_answer_line(1, t), "[1795364710.007407] no answer yet for icmp_seq=1");
  ReplyLine r{64, "127.0.0.1", 3, 64u, 45us, false, t};
  EXPECT_EQ(ping_reply_line(r), "[1795364710.007407] 64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.045 ms");
}

TEST(PingFormat, ErrorLinesMatchIputils) {
  EXPECT_EQ(ping_error_line("10.99.1.2", 1, ping_icmp_error_text(wire::Family::v4, 3, 1, 0)),
            "From 10.99.1.2 icmp_seq=1 Destination Host Unreachable");
  EXPECT_EQ(ping_error_line("10.99.1.2", 2, ping_icmp_error_text(wire::Family::v4, 11, 0, 0)),
            "From 10.99.1.2 icmp_seq=2 Time to live exceeded");
  EXPECT_EQ(ping_error_line("fd99::2", 1, ping_icmp_error_text(wire::Family::v6, 1, 0, 0)),
            "From fd99::2 icmp_seq=1 Destination unreachable: No route");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v4, 3, 4, 1400), "Frag needed and DF set (mtu = 1400)");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v4, 3, 13, 0), "Packet filtered");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v4, 3, 99, 0), "Dest Unreachable, Bad Code: 99");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v4, 12, 0, 20), "Parameter problem: pointer = 20");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v6, 1, 1, 0), "Destination unreachable: Administratively prohibited");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v6, 2, 0, 1280), "Packet too big: mtu=1280");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v6, 3, 0, 0), "Time exceeded: Hop limit");
  EXPECT_EQ(ping_icmp_error_text(wire::Family::v6, 4, 1, 40), "Parameter problem: Unknown header at 40");
}

TEST(PingFormat, StatisticsBlockWithRepliesMatchesIputils) {
  engine::PingStatistics s;
  s.sent = 2;
  s.received = 2;
  s.rtt.samples = 2;
  s.rtt.min = 33'400ns;
  s.rtt.avg = 36'900ns;
  s.rtt.max = 40'100ns;
  s.rtt.mdev = 3'500ns;
  const auto lines = ping_statistics_block("127.0.0.1", s, 1'005'200us);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0], "");
  EXPECT_EQ(lines[1], "--- 127.0.0.1 ping statistics ---");
  EXPECT_EQ(lines[2], "2 packets transmitted, 2 received, 0% packet loss, time 1005ms");
  EXPECT_EQ(lines[3], "rtt min/avg/max/mdev = 0.033/0.036/0.040/0.003 ms");
}

TEST(PingFormat, StatisticsBlockWithErrorsAndNoRepliesEndsWithABlankLine) {
  engine::PingStatistics s;
  s.sent = 2;
  s.errors = 2;
  const auto lines = ping_statistics_block("10.99.50.1", s, 324ms);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[2], "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 324ms");
  EXPECT_EQ(lines[3], "");
}

TEST(PingFormat, StatisticsCountDuplicatesAndFractionalLoss) {
  engine::PingStatistics s;
  s.sent = 3;
  s.received = 2;
  s.duplicates = 2;
  s.rtt.samples = 2;
  s.rtt.min = 1500us;
  s.rtt.avg = 2250us;
  s.rtt.max = 3000us;
  s.rtt.mdev = 750us;
  const auto lines = ping_statistics_block("h", s, 2001ms);
  EXPECT_EQ(lines[2], "3 packets transmitted, 2 received, +2 duplicates, 33.3333% packet loss, time 2001ms");
  EXPECT_EQ(lines[3], "rtt min/avg/max/mdev = 1.500/2.250/3.000/0.750 ms");
  EXPECT_EQ(iputils_loss(7, 0), "100");
  EXPECT_EQ(iputils_loss(8, 7), "12.5");
  EXPECT_EQ(iputils_loss(0, 0), "0");
}

TEST(PingFormat, ExitCodeFollowsIputils) {
  engine::PingStatistics s;
  s.sent = 3;
  EXPECT_EQ(ping_exit_code(s, false, 3), 1);
  s.received = 1;
  EXPECT_EQ(ping_exit_code(s, false, 3), 0);
  // -w with -c: every reply must come.
  EXPECT_EQ(ping_exit_code(s, true, 3), 1);
  EXPECT_EQ(ping_exit_code(s, true, 0), 0);
  s.received = 3;
  EXPECT_EQ(ping_exit_code(s, true, 3), 0);
}

TEST(PingFlags, PatternIsHexUpTo16Bytes) {
  auto p = parse_ping_pattern("ab");
  ASSERT_TRUE(p.error.empty());
  ASSERT_EQ(p.bytes.size(), 1U);
  EXPECT_EQ(p.bytes[0], std::byte{0xab});
  EXPECT_EQ(ping_pattern_line(p.bytes), "PATTERN: 0xab");
  auto odd = parse_ping_pattern("deadbee");
  ASSERT_EQ(odd.bytes.size(), 4U);
  EXPECT_EQ(odd.bytes[3], std::byte{0x0e});
  EXPECT_EQ(parse_ping_pattern(std::string(32, 'f')).bytes.size(), 16U);
  EXPECT_NE(parse_ping_pattern(std::string(33, 'f')).error.find("at most 16 bytes"), std::string::npos);
  EXPECT_NE(parse_ping_pattern("xy").error.find("hex digits"), std::string::npos);
  EXPECT_FALSE(parse_ping_pattern("").error.empty());
}

TEST(PingFlags, PmtuAndTosValues) {
  EXPECT_EQ(parse_pmtu_mode("do"), PmtuMode::do_);
  EXPECT_EQ(parse_pmtu_mode("dont"), PmtuMode::dont);
  EXPECT_EQ(parse_pmtu_mode("want"), PmtuMode::want);
  EXPECT_FALSE(parse_pmtu_mode("bogus"));
  EXPECT_EQ(parse_tos("16"), 16);
  EXPECT_EQ(parse_tos("0x10"), 16);
  EXPECT_EQ(parse_tos("0xff"), 255);
  EXPECT_FALSE(parse_tos("256"));
  EXPECT_FALSE(parse_tos("0x100"));
  EXPECT_FALSE(parse_tos("ab"));
  EXPECT_FALSE(parse_tos(""));
}

TEST(PingJson, ObjectsCarryTheLineFields) {
  auto reply = ping_reply_json("localhost", addr("127.0.0.1"), 4, 64, 64u, 1500us, false);
  EXPECT_EQ(reply["event"], "reply");
  EXPECT_EQ(reply["from"], "127.0.0.1");
  EXPECT_EQ(reply["seq"], 4);
  EXPECT_EQ(reply["ttl"], 64);
  EXPECT_DOUBLE_EQ(reply["rtt_ms"].get<double>(), 1.5);
  EXPECT_EQ(ping_reply_json("h", addr("::1"), 1, 64, {}, {}, true)["event"], "duplicate");
  auto error = ping_error_json("h", addr("10.0.0.1"), 2, 3, 1, "Destination Host Unreachable");
  EXPECT_EQ(error["event"], "error");
  EXPECT_EQ(error["code"], 1);
  engine::PingStatistics s;
  s.sent = 4;
  s.received = 3;
  s.rtt.samples = 3;
  s.rtt.avg = 2ms;
  auto summary = ping_summary_json("h", addr("127.0.0.1"), s, 3s);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_DOUBLE_EQ(summary["loss_percent"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(summary["rtt_ms"]["avg"].get<double>(), 2.0);
  EXPECT_FALSE(ping_summary_json("h", addr("127.0.0.1"), engine::PingStatistics{}, 0s).contains("rtt_ms"));
}

}  // namespace
}  // namespace icmpkit::tools
