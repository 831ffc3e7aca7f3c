#include "icmpkit/wire/builder.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit::ConstBytes;
using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::array<std::byte, 4> rest(int a, int b, int c, int d) {
  return {std::byte(a), std::byte(b), std::byte(c), std::byte(d)};
}

TEST(GenericBuilder, V4MessageGetsChecksum) {
  Bytes out(32);
  const auto payload = bytes({0xde, 0xad});
  auto length = encode_icmp(Family::v4, 8, 0, rest(0x12, 0x34, 0, 1), payload, out);
  ASSERT_TRUE(length);
  ASSERT_EQ(*length, 10u);
  out.resize(*length);
  // RFC 1071 by hand: 0x0800 + 0x1234 + 0x0001 + 0xdead = 0xf8e2, complement 0x071d.
  EXPECT_EQ(out, bytes({8, 0, 0x07, 0x1d, 0x12, 0x34, 0, 1, 0xde, 0xad}));
  EXPECT_TRUE(verify_icmpv4_checksum(out));
}

TEST(GenericBuilder, V6ChecksumIsLeftZeroForTheKernel) {
  Bytes out(16, std::byte{0xee});
  auto length = encode_icmp(Family::v6, 128, 0, rest(0, 1, 0, 2), {}, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  EXPECT_EQ(out, bytes({128, 0, 0, 0, 0, 1, 0, 2}));
  // The documented follow-up for raw frames fills it in.
  const Ipv6Address src{std::byte{0xfe}, std::byte{0x80}};
  const Ipv6Address dst{std::byte{0xfe}, std::byte{0x80}, std::byte{0}, std::byte{1}};
  set_icmpv6_checksum(out, src, dst);
  EXPECT_TRUE(verify_icmpv6_checksum(out, src, dst));
}

TEST(GenericBuilder, ReportsSmallBufferAndOversizedPayload) {
  Bytes out(9);
  const auto payload = bytes({1, 2});
  EXPECT_EQ(encode_icmp(Family::v4, 8, 0, {}, payload, out).error(), errc::buffer_too_small);
  const Bytes huge(65535 - 8 + 1);
  Bytes big(70000);
  EXPECT_EQ(encode_icmp(Family::v4, 8, 0, {}, huge, big).error(), errc::payload_too_large);
  const Bytes largest(65535 - 8);
  EXPECT_TRUE(encode_icmp(Family::v4, 8, 0, {}, largest, big));
}

TEST(GenericBuilder, Rfc4884LengthFieldTypes) {
  EXPECT_TRUE(has_rfc4884_length(Family::v4, 3));
  EXPECT_TRUE(has_rfc4884_length(Family::v4, 11));
  EXPECT_TRUE(has_rfc4884_length(Family::v4, 12));
  EXPECT_FALSE(has_rfc4884_length(Family::v4, 5));
  EXPECT_FALSE(has_rfc4884_length(Family::v4, 4));
  EXPECT_TRUE(has_rfc4884_length(Family::v6, 1));
  EXPECT_TRUE(has_rfc4884_length(Family::v6, 3));
  EXPECT_FALSE(has_rfc4884_length(Family::v6, 2));
  EXPECT_FALSE(has_rfc4884_length(Family::v6, 4));
}

TEST(ErrorBuilder, WithoutExtensionsQuotesAsIsAndZeroesLength) {
  const auto datagram = bytes({0x45, 0, 0, 21, 9, 9, 9});
  Bytes out(64);
  // A stray length byte from the caller must not claim extensions.
  auto length = encode_icmp_error(Family::v4, 11, 0, rest(0, 7, 0, 0), datagram, {}, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  Bytes expected = bytes({11, 0, 0, 0, 0, 0, 0, 0});
  expected.insert(expected.end(), datagram.begin(), datagram.end());
  set_icmpv4_checksum(expected);
  EXPECT_EQ(out, expected);
}

TEST(ErrorBuilder, V4PadsTo128BytesAndCountsWords) {
  const auto datagram = bytes({0x45, 0, 0, 20, 1, 2, 3, 4, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  const auto extensions = bytes({0x20, 0, 0xaa, 0xbb, 0, 8, 1, 1, 0, 0, 0x11, 0x01});
  Bytes out(512);
  auto length = encode_icmp_error(Family::v4, 3, 4, rest(0, 0, 0x05, 0xdc), datagram, extensions, out);
  ASSERT_TRUE(length);
  ASSERT_EQ(*length, 8u + 128u + extensions.size());
  out.resize(*length);
  EXPECT_EQ(out[0], std::byte{3});
  EXPECT_EQ(out[1], std::byte{4});
  EXPECT_EQ(out[5], std::byte{32});  // 128 / 4
  EXPECT_EQ(out[6], std::byte{0x05});
  EXPECT_EQ(out[7], std::byte{0xdc});  // MTU 1500 kept
  EXPECT_TRUE(std::equal(datagram.begin(), datagram.end(), out.begin() + 8));
  EXPECT_TRUE(std::all_of(out.begin() + 8 + 20, out.begin() + 8 + 128, [](std::byte b) { return b == std::byte{0}; }));
  EXPECT_TRUE(std::equal(extensions.begin(), extensions.end(), out.begin() + 8 + 128));
  EXPECT_TRUE(verify_icmpv4_checksum(out));
  auto view = parse_icmp(Family::v4, out);
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->original_datagram.size(), 128u);
  EXPECT_EQ(body->extensions.size(), extensions.size());
}

TEST(ErrorBuilder, LongDatagramIsPaddedToWholeWords) {
  const Bytes datagram(130, std::byte{0x45});
  const auto extensions = bytes({0x20, 0, 0, 0});
  Bytes out(512);
  auto v4 = encode_icmp_error(Family::v4, 11, 0, {}, datagram, extensions, out);
  ASSERT_TRUE(v4);
  EXPECT_EQ(*v4, 8u + 132u + 4u);
  EXPECT_EQ(out[5], std::byte{33});
  auto v6 = encode_icmp_error(Family::v6, 1, 4, {}, datagram, extensions, out);
  ASSERT_TRUE(v6);
  EXPECT_EQ(*v6, 8u + 136u + 4u);
  EXPECT_EQ(out[4], std::byte{17});  // 136 / 8, in byte 4 for ICMPv6
  EXPECT_EQ(out[2], std::byte{0});   // v6 checksum left for the kernel
  EXPECT_EQ(out[3], std::byte{0});
}

TEST(ErrorBuilder, V6PadsTo128BytesInEightByteWords) {
  const Bytes datagram(48, std::byte{0x60});
  const auto extensions = bytes({0x20, 0, 0, 0, 0, 4, 2, 1});
  Bytes out(512);
  auto length = encode_icmp_error(Family::v6, 3, 0, {}, datagram, extensions, out);
  ASSERT_TRUE(length);
  ASSERT_EQ(*length, 8u + 128u + 8u);
  EXPECT_EQ(out[4], std::byte{16});
  auto view = parse_icmp(Family::v6, ConstBytes(out.data(), *length));
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->extensions.size(), 8u);
}

TEST(ErrorBuilder, RefusesExtensionsItCannotDescribe) {
  const auto extensions = bytes({0x20, 0, 0, 0});
  const Bytes datagram(40, std::byte{1});
  Bytes out(4096);
  // Redirect (v4) and Packet Too Big (v6) have no RFC 4884 length field.
  EXPECT_EQ(encode_icmp_error(Family::v4, 5, 1, {}, datagram, extensions, out).error(), errc::invalid_argument);
  EXPECT_EQ(encode_icmp_error(Family::v6, 2, 0, {}, datagram, extensions, out).error(), errc::invalid_argument);
  // 1021 bytes pad to 256 words: more than the 8-bit length can say.
  const Bytes too_long(1021, std::byte{1});
  EXPECT_EQ(encode_icmp_error(Family::v4, 11, 0, {}, too_long, extensions, out).error(), errc::invalid_argument);
  const Bytes longest(1020, std::byte{1});
  EXPECT_TRUE(encode_icmp_error(Family::v4, 11, 0, {}, longest, extensions, out));
}

TEST(ErrorBuilder, ReportsSmallBuffer) {
  const Bytes datagram(28, std::byte{1});
  const auto extensions = bytes({0x20, 0, 0, 0});
  Bytes out(8 + 128 + 3);
  EXPECT_EQ(encode_icmp_error(Family::v4, 3, 1, {}, datagram, extensions, out).error(), errc::buffer_too_small);
  Bytes exact(8 + 128 + 4);
  EXPECT_TRUE(encode_icmp_error(Family::v4, 3, 1, {}, datagram, extensions, exact));
}

}  // namespace
