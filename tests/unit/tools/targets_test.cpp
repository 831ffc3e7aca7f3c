// Unit tests of sweep's target lists: -g CIDR blocks and ranges (checked
// against what fping 5.1 generates: `fping -g 127.0.0.0/30` pings .1 and .2,
// /31 and /32 keep every address), -f files, mixed IPv4/IPv6.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "targets.hpp"

namespace icmpkit::tools {
namespace {

using Strings = std::vector<std::string>;

TEST(TargetsCidr, Ipv4LeavesOutNetworkAndBroadcastLikeFping) {
  auto list = expand_cidr("127.0.0.0/30");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.targets, (Strings{"127.0.0.1", "127.0.0.2"}));
}

TEST(TargetsCidr, Ipv4Slash31AndSlash32KeepEveryAddress) {
  auto p31 = expand_cidr("127.0.0.0/31");
  ASSERT_TRUE(p31.ok()) << p31.error;
  EXPECT_EQ(p31.targets, (Strings{"127.0.0.0", "127.0.0.1"}));
  auto p32 = expand_cidr("127.0.0.5/32");
  ASSERT_TRUE(p32.ok()) << p32.error;
  EXPECT_EQ(p32.targets, (Strings{"127.0.0.5"}));
}

TEST(TargetsCidr, HostBitsInTheAddressAreIgnored) {
  auto list = expand_cidr("10.1.2.77/28");
  ASSERT_TRUE(list.ok()) << list.error;
  ASSERT_EQ(list.targets.size(), 14U);
  EXPECT_EQ(list.targets.front(), "10.1.2.65");
  EXPECT_EQ(list.targets.back(), "10.1.2.78");
}

TEST(TargetsCidr, CarriesAcrossOctets) {
  auto list = expand_cidr("10.0.0.0/23");
  ASSERT_TRUE(list.ok()) << list.error;
  ASSERT_EQ(list.targets.size(), 510U);
  EXPECT_EQ(list.targets[254], "10.0.0.255");
  EXPECT_EQ(list.targets[255], "10.0.1.0");
  EXPECT_EQ(list.targets.back(), "10.0.1.254");
}

TEST(TargetsCidr, Ipv6ListsEveryAddressOfTheBlock) {
  auto list = expand_cidr("fd00::ff/126");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.targets, (Strings{"fd00::fc", "fd00::fd", "fd00::fe", "fd00::ff"}));
}

TEST(TargetsCidr, Ipv6CarriesAcrossGroups) {
  auto list = expand_cidr("fd00::1:fffe/127");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.targets, (Strings{"fd00::1:fffe", "fd00::1:ffff"}));
  auto range = expand_range("fd00::ffff", "fd00::1:1");
  ASSERT_TRUE(range.ok()) << range.error;
  EXPECT_EQ(range.targets, (Strings{"fd00::ffff", "fd00::1:0", "fd00::1:1"}));
}

TEST(TargetsCidr, RejectsMalformedBlocksWithTheReason) {
  EXPECT_NE(expand_cidr("127.0.0.0").error.find("not a CIDR block"), std::string::npos);
  EXPECT_NE(expand_cidr("127.0.0.0/33").error.find("longer than 32 bits"), std::string::npos);
  EXPECT_NE(expand_cidr("::/129").error.find("longer than 128 bits"), std::string::npos);
  EXPECT_NE(expand_cidr("127.0.0.0/x").error.find("not a number"), std::string::npos);
  EXPECT_NE(expand_cidr("127.0.0.0/").error.find("not a number"), std::string::npos);
  EXPECT_NE(expand_cidr("300.0.0.0/24").error.find("'300.0.0.0' is not an IPv4 or IPv6 address"), std::string::npos);
}

TEST(TargetsCidr, RefusesBlocksLargerThanTheLimit) {
  auto list = expand_cidr("10.0.0.0/8", 1000);
  EXPECT_FALSE(list.ok());
  EXPECT_TRUE(list.targets.empty());
  EXPECT_NE(list.error.find("covers 16777214 addresses; at most 1000"), std::string::npos) << list.error;
  auto all_v6 = expand_cidr("::/0");
  EXPECT_NE(all_v6.error.find("more than"), std::string::npos) << all_v6.error;
  auto v6 = expand_cidr("fd00::/64");
  EXPECT_FALSE(v6.ok());
  EXPECT_TRUE(expand_cidr("10.0.0.0/22", 1022).ok());
  EXPECT_FALSE(expand_cidr("10.0.0.0/22", 1021).ok());
}

TEST(TargetsRange, IncludesBothEnds) {
  auto list = expand_range("127.0.0.1", "127.0.0.3");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.targets, (Strings{"127.0.0.1", "127.0.0.2", "127.0.0.3"}));
  auto one = expand_range("::1", "::1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.targets, (Strings{"::1"}));
}

TEST(TargetsRange, RejectsReversedMixedAndOversizedRanges) {
  EXPECT_NE(expand_range("127.0.0.3", "127.0.0.1").error.find("before the start"), std::string::npos);
  EXPECT_NE(expand_range("127.0.0.1", "::1").error.find("different address families"), std::string::npos);
  EXPECT_NE(expand_range("127.0.0.1", "127.0.1.0", 100).error.find("covers 256 addresses"), std::string::npos);
  EXPECT_NE(expand_range("x", "127.0.0.1").error.find("-g start 'x'"), std::string::npos);
}

TEST(TargetsGenerate, PicksCidrRangeOrSeveralBlocks) {
  auto cidr = generate_targets({"127.0.0.0/30"});
  EXPECT_EQ(cidr.targets, (Strings{"127.0.0.1", "127.0.0.2"}));
  auto range = generate_targets({"127.0.0.1", "127.0.0.2"});
  EXPECT_EQ(range.targets, (Strings{"127.0.0.1", "127.0.0.2"}));
  auto mixed = generate_targets({"127.0.0.0/30", "::/127"});
  ASSERT_TRUE(mixed.ok()) << mixed.error;
  EXPECT_EQ(mixed.targets, (Strings{"127.0.0.1", "127.0.0.2", "::", "::1"}));
  EXPECT_FALSE(generate_targets({}).ok());
  EXPECT_FALSE(generate_targets({"127.0.0.1"}).ok());
  EXPECT_FALSE(generate_targets({"127.0.0.0/30", "127.0.0.9"}).ok());
  // The limit holds over several blocks together.
  EXPECT_FALSE(generate_targets({"127.0.0.0/30", "127.0.1.0/30"}, 3).ok());
}

TEST(TargetsFile, TakesTheFirstWordSkippingCommentsAndBlankLines) {
  std::istringstream in("# hosts\n127.0.0.1\n\n  ::1   # loopback v6\nlocalhost extra words\n\t# indented comment\r\nhost#x\r\n");
  auto list = read_targets(in, "test");
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.targets, (Strings{"127.0.0.1", "::1", "localhost", "host"}));
}

TEST(TargetsFile, EmptyInputGivesNoTargets) {
  std::istringstream in("");
  auto list = read_targets(in, "stdin");
  EXPECT_TRUE(list.ok());
  EXPECT_TRUE(list.targets.empty());
}

TEST(TargetsNumeric, TellsAddressesFromNames) {
  EXPECT_TRUE(is_numeric_address("127.0.0.1"));
  EXPECT_TRUE(is_numeric_address("::1"));
  EXPECT_TRUE(is_numeric_address("fe80::1%lo"));
  EXPECT_FALSE(is_numeric_address("localhost"));
  EXPECT_FALSE(is_numeric_address("300.1.1.1"));
}

}  // namespace
}  // namespace icmpkit::tools
