// Unit tests of sweep's target lists: -g CIDR blocks and ranges (checked
// against what fping 5.1 generates: `fping -g 127.0.0.0/30` pings .1 and .2,
// /31 and /32 keep every address), -f files, mixed IPv4/IPv6.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <streambuf>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
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

// for_each_listed before it read in blocks: std::getline per line, the
// same first-word rule. The block reader must hand over the same words.
Strings getline_words(const std::string& text) {
  std::istringstream in(text);
  Strings words;
  std::string line;
  while (std::getline(in, line)) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    auto end = line.find_first_of(" \t\r#", begin);
    if (end == std::string::npos) end = line.size();
    words.push_back(line.substr(begin, end - begin));
  }
  return words;
}

Strings listed_words(const std::string& text) {
  std::istringstream in(text);
  Strings words;
  EXPECT_EQ(for_each_listed(in, "test", [&](std::string_view w) { words.emplace_back(w); }), "");
  return words;
}

TEST(TargetsFileVisit, LinesAcrossBlockBoundariesAndLongLinesMatchGetline) {
  std::string text;
  for (int i = 0; text.size() < 300'000; ++i) text += "10.0." + std::to_string(i % 256) + "." + std::to_string(i / 256) + "\n";
  text += std::string(200'000, 'x') + " tail\n";  // longer than a block
  text += "  \t" + std::string(70'000, ' ') + "late.word # comment\n";
  text += "last-line-without-newline";
  const Strings words = listed_words(text);
  EXPECT_EQ(words, getline_words(text));
  EXPECT_EQ(words.back(), "last-line-without-newline");
}

TEST(TargetsFileVisit, RandomTextMatchesGetline) {
  std::mt19937 rng(11);
  const std::string alphabet = "ab1.:  \t\r\n\n#";
  for (int round = 0; round < 200; ++round) {
    std::string text(rng() % 200'000, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    if (round % 3 == 0) text += std::string(1, '\0') + "nul\n";
    ASSERT_EQ(listed_words(text), getline_words(text)) << "round " << round;
  }
}

// A stream that fails after handing over part of its text.
class FailingBuffer : public std::streambuf {
 public:
  explicit FailingBuffer(std::string text) : text_(std::move(text)) { setg(text_.data(), text_.data(), text_.data() + text_.size()); }

 protected:
  int_type underflow() override { throw std::runtime_error("read error"); }

 private:
  std::string text_;
};

TEST(TargetsFileVisit, ReadErrorIsReported) {
  FailingBuffer buffer("127.0.0.1\n127.0.0.2\n");
  std::istream in(&buffer);
  Strings words;
  const auto error = for_each_listed(in, "list.txt", [&](std::string_view w) { words.emplace_back(w); });
  EXPECT_EQ(error, "cannot read targets from list.txt");
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

// shown(i, buffer) is the string-free form a sweep's per-target lines use:
// the same text for every kind of target, and the same width rule.
TEST(TargetTable, ShownIntoABufferMatchesShown) {
  TargetTable table;
  table.add(addr("127.0.0.1"));
  table.add(addr("255.255.255.255"));
  table.add(addr("0.0.0.0"));
  table.add(addr("10.0.0.1"), "host.example");
  table.add(addr("10.0.0.2"), "10.0.0.2");
  table.add(addr("::1"));
  table.add(addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295"));
  table.add(addr("fe80::1%3"), "fe80::1%lo");
  table.add_unresolved("no-such-host.invalid", "cannot resolve host");
  table.add_unresolved("", "empty host name");
  std::size_t width = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    TargetTable::ShownBuffer buffer;
    buffer.fill('#');
    EXPECT_EQ(table.shown(i, buffer), table.shown(i)) << i;
    width = std::max(width, table.shown(i).size());
  }
  EXPECT_EQ(table.width(), width);
  EXPECT_EQ(table.text(4), "");  // a literal in canonical form keeps no text
  EXPECT_EQ(table.text_bytes(), (4 + 12) + (4 + 10) + (4 + 20) + 4);  // unresolved names, "" too
  for (std::uint32_t v = 0; v < 70'000; ++v) {
    const std::uint32_t a = v * 65'537u + 11u;
    const wire::Ipv4Address bytes{std::byte(a >> 24), std::byte(a >> 16), std::byte(a >> 8), std::byte(a)};
    table.add(wire::IpAddress(bytes));
    TargetTable::ShownBuffer buffer;
    ASSERT_EQ(table.shown(table.size() - 1, buffer), wire::IpAddress(bytes).to_string());
  }
}

}  // namespace
}  // namespace icmpkit::tools
