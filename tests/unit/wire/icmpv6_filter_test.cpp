// ICMPv6 filter words, checked against glibc's own <netinet/icmp6.h> macros
// (Linux meaning: bit set = block).
#include "icmpkit/wire/icmpv6_filter.hpp"

#include <gtest/gtest.h>
#include <netinet/icmp6.h>

#include <cstring>

namespace {

using icmpkit::wire::Icmpv6Filter;

std::array<std::uint32_t, 8> words_of(const icmp6_filter& filter) {
  std::array<std::uint32_t, 8> words{};
  static_assert(sizeof(filter) == sizeof(words));
  std::memcpy(words.data(), &filter, sizeof(words));
  return words;
}

TEST(Icmpv6Filter, LinuxWordsMatchGlibcMacros) {
  icmp6_filter glibc{};
  ICMP6_FILTER_SETBLOCKALL(&glibc);
  ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &glibc);
  ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &glibc);
  ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &glibc);
  ICMP6_FILTER_SETPASS(255, &glibc);
  ICMP6_FILTER_SETPASS(31, &glibc);
  ICMP6_FILTER_SETPASS(32, &glibc);

  auto ours = Icmpv6Filter::block_all();
  for (int type : {129, 1, 3, 255, 31, 32}) ours.set_pass(static_cast<std::uint8_t>(type));
  EXPECT_EQ(ours.linux_words(), words_of(glibc));

  for (int type = 0; type < 256; ++type) {
    const auto t = static_cast<std::uint8_t>(type);
    EXPECT_EQ(ours.will_pass(t), ICMP6_FILTER_WILLPASS(type, &glibc) != 0) << type;
    EXPECT_EQ(ours.will_block(t), ICMP6_FILTER_WILLBLOCK(type, &glibc) != 0) << type;
  }
  EXPECT_EQ(Icmpv6Filter::from_linux_words(words_of(glibc)), ours);
}

TEST(Icmpv6Filter, PassAllAndBlockAllMatchGlibc) {
  icmp6_filter pass{};
  ICMP6_FILTER_SETPASSALL(&pass);
  icmp6_filter block{};
  ICMP6_FILTER_SETBLOCKALL(&block);
  EXPECT_EQ(Icmpv6Filter::pass_all().linux_words(), words_of(pass));
  EXPECT_EQ(Icmpv6Filter::block_all().linux_words(), words_of(block));
  EXPECT_EQ(Icmpv6Filter{}, Icmpv6Filter::pass_all());
}

TEST(Icmpv6Filter, BsdWordsAreTheComplementWithBitSetMeaningPass) {
  auto filter = Icmpv6Filter::block_all();
  filter.set_pass(129);
  const auto bsd = filter.bsd_words();
  EXPECT_EQ(bsd[129 >> 5], 1u << (129 & 31));
  for (std::size_t i = 0; i < 8; ++i) {
    if (i != (129 >> 5)) {
      EXPECT_EQ(bsd[i], 0u) << i;
    }
    EXPECT_EQ(bsd[i], ~filter.linux_words()[i]) << i;
  }
  EXPECT_EQ(Icmpv6Filter::from_bsd_words(bsd), filter);
}

TEST(Icmpv6Filter, SetBlockUndoesSetPassForOneTypeOnly) {
  auto filter = Icmpv6Filter::pass_all();
  filter.set_block(135);
  EXPECT_TRUE(filter.will_block(135));
  EXPECT_TRUE(filter.will_pass(134));
  EXPECT_TRUE(filter.will_pass(136));
  filter.set_pass(135);
  EXPECT_EQ(filter, Icmpv6Filter::pass_all());
}

TEST(Icmpv6Filter, OptionNumbersMatchTheLinuxHeaders) {
  EXPECT_EQ(icmpkit::wire::icmpv6_filter_option::linux_name, ICMP6_FILTER);
  EXPECT_EQ(icmpkit::wire::icmpv6_filter_option::linux_level, IPPROTO_ICMPV6);
  EXPECT_EQ(icmpkit::wire::icmpv6_filter_option::bsd_level, IPPROTO_ICMPV6);
}

}  // namespace
