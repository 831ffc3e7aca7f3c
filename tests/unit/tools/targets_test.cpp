// Unit tests of sweep's target lists: -g CIDR blocks and ranges (checked
// against what fping 5.1 generates: `fping -g 127.0.0.0/30` pings .1 and .2,
// /31 and /32 keep every address), -f files, mixed IPv4/IPv6.
#include <gtest/gtest.h>

#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/wire/address.hpp"

#include "targets.hpp"

namespace icmpkit::tools {
namespace {

using Strings = std::vector<std::string>;

wire::IpAddress addr(std::string_view text) {
  auto parsed = wire::IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : wire::IpAddress{};
}

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

TEST(TargetsGenerateVisit, VisitsTheSameAddressesAsTheTextList) {
  const std::vector<std::string> arguments{"10.1.2.77/28", "fd00::1:fffe/127"};
  const auto text = generate_targets(arguments);
  ASSERT_TRUE(text.ok()) << text.error;
  Strings visited;
  const auto error = for_each_generated(arguments, max_generated_targets,
                                        [&](const wire::IpAddress& a) { visited.push_back(a.to_string()); });
  EXPECT_EQ(error, "");
  EXPECT_EQ(visited, text.targets);
}

TEST(TargetsGenerateVisit, VisitsNothingWhenALaterBlockIsWrong) {
  std::size_t visited = 0;
  auto error = for_each_generated({"127.0.0.0/30", "127.0.0.0/33"}, max_generated_targets,
                                  [&](const wire::IpAddress&) { ++visited; });
  EXPECT_NE(error.find("longer than 32 bits"), std::string::npos) << error;
  error = for_each_generated({"127.0.0.0/30", "127.0.1.0/30"}, 3, [&](const wire::IpAddress&) { ++visited; });
  EXPECT_NE(error.find("at most 1"), std::string::npos) << error;
  EXPECT_EQ(visited, 0U);
}

TEST(TargetsFileVisit, HandsOverTheWordsInOrder) {
  std::istringstream in("# hosts\n127.0.0.1\n\n  ::1   # loopback v6\nlocalhost extra words\nhost#x\r\n");
  Strings words;
  EXPECT_EQ(for_each_listed(in, "test", [&](std::string_view w) { words.emplace_back(w); }), "");
  EXPECT_EQ(words, (Strings{"127.0.0.1", "::1", "localhost", "host"}));
}

TEST(TargetTable, SlashSixteenKeepsEveryAddressAndNoText) {
  TargetTable table;
  const auto error = for_each_generated({"10.7.0.0/16"}, max_generated_targets,
                                        [&](const wire::IpAddress& a) { table.add(a); });
  ASSERT_EQ(error, "");
  ASSERT_EQ(table.size(), 65534U);  // fping leaves out .0.0 and .255.255
  EXPECT_EQ(table.resolved(), 65534U);
  EXPECT_EQ(table.text_bytes(), 0U);
  EXPECT_EQ(table.address(0), addr("10.7.0.1"));
  EXPECT_EQ(table.address(254), addr("10.7.0.255"));
  EXPECT_EQ(table.address(255), addr("10.7.1.0"));
  EXPECT_EQ(table.address(65533), addr("10.7.255.254"));
  EXPECT_EQ(table.shown(4095), "10.7.16.0");  // the last of the first storage chunk
  EXPECT_EQ(table.shown(4096), "10.7.16.1");
  EXPECT_EQ(table.text(4096), "");
  EXPECT_EQ(table.width(), std::string_view("10.7.255.254").size());
  EXPECT_TRUE(table.unresolved().empty());
}

TEST(TargetTable, RangeOfAFullSlashSixteenKeepsNoTextForItsAddresses) {
  TargetTable table;
  const auto error = for_each_generated({"10.7.0.0", "10.7.255.255"}, max_generated_targets,
                                        [&](const wire::IpAddress& a) { table.add(a, a.to_string()); });
  ASSERT_EQ(error, "");
  ASSERT_EQ(table.size(), 65536U);
  // Text equal to the address's own is not kept.
  EXPECT_EQ(table.text_bytes(), 0U);
  for (std::size_t i = 0; i < table.size(); i += 257) {
    const auto bytes = table.address(i).v4();
    EXPECT_EQ(bytes[2], std::byte(i >> 8)) << i;
    EXPECT_EQ(bytes[3], std::byte(i & 0xff)) << i;
  }
}

TEST(TargetTable, KeepsNamesAndLiteralsWrittenOtherwise) {
  TargetTable table;
  table.add(addr("127.0.0.1"), "localhost");
  table.add(addr("::1"), "::1");
  table.add(addr("::1"), "::0001");
  table.add(addr("fd00::1"));
  table.add(addr("fe80::1%3"), "fe80::1%lo");
  ASSERT_EQ(table.size(), 5U);
  EXPECT_EQ(table.shown(0), "localhost");
  EXPECT_EQ(table.address(0), addr("127.0.0.1"));
  EXPECT_EQ(table.text(1), "");
  EXPECT_EQ(table.shown(1), "::1");
  EXPECT_EQ(table.shown(2), "::0001");
  EXPECT_EQ(table.shown(3), "fd00::1");
  EXPECT_EQ(table.address(3), addr("fd00::1"));
  EXPECT_EQ(table.shown(4), "fe80::1%lo");
  EXPECT_EQ(table.address(4).scope_id(), 3U);
  EXPECT_EQ(table.width(), std::string_view("fe80::1%lo").size());
  // Each kept text costs its bytes and a 4-byte length.
  EXPECT_EQ(table.text_bytes(), (4 + 9) + (4 + 6) + (4 + 10));
}

TEST(TargetTable, UnresolvedTargetsKeepTheirNameAndError) {
  TargetTable table;
  table.add(addr("127.0.0.1"));
  table.add_unresolved("no-such-host.invalid", "cannot resolve host");
  table.add(addr("127.0.0.2"));
  table.add_unresolved("", "empty host name");
  ASSERT_EQ(table.size(), 4U);
  EXPECT_EQ(table.resolved(), 2U);
  EXPECT_TRUE(table.has_address(0));
  EXPECT_FALSE(table.has_address(1));
  EXPECT_FALSE(table.has_address(3));
  EXPECT_EQ(table.shown(1), "no-such-host.invalid");
  EXPECT_EQ(table.shown(3), "");
  ASSERT_EQ(table.unresolved().size(), 2U);
  EXPECT_EQ(table.unresolved()[0].index, 1U);
  EXPECT_EQ(table.unresolved()[0].error, "cannot resolve host");
  EXPECT_EQ(table.unresolved()[1].index, 3U);
  EXPECT_EQ(table.width(), std::string_view("no-such-host.invalid").size());
  table.clear();
  EXPECT_EQ(table.size(), 0U);
  EXPECT_EQ(table.text_bytes(), 0U);
  EXPECT_TRUE(table.unresolved().empty());
}

TEST(TargetTable, MixesFamiliesAcrossManyChunks) {
  TargetTable table;
  const auto error = for_each_generated({"127.0.0.0/20", "fd00::/116"}, max_generated_targets,
                                        [&](const wire::IpAddress& a) { table.add(a); });
  ASSERT_EQ(error, "");
  ASSERT_EQ(table.size(), 4094U + 4096U);
  EXPECT_EQ(table.shown(4093), "127.0.15.254");
  EXPECT_EQ(table.shown(4094), "fd00::");
  EXPECT_EQ(table.shown(4094 + 1025), "fd00::401");
  EXPECT_EQ(table.shown(table.size() - 1), "fd00::fff");
  EXPECT_TRUE(table.address(table.size() - 1).is_v6());
  EXPECT_EQ(table.text_bytes(), 0U);
}

}  // namespace
}  // namespace icmpkit::tools
