#include "icmpkit/wire/icmp.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace icmpkit::wire;

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(IcmpView, RejectsFewerThanEightBytes) {
  const auto data = bytes({8, 0, 0, 0, 0, 1, 0});
  EXPECT_EQ(parse_icmp(Family::v4, data).error(), icmpkit::errc::truncated);
  EXPECT_EQ(parse_icmp(Family::v4, {}).error(), icmpkit::errc::truncated);
}

TEST(IcmpView, EchoRoundTripV4ComputesChecksum) {
  std::vector<std::byte> out(64);
  const auto payload = bytes({'h', 'i', '!'});
  auto length = encode_echo(Family::v4, false, EchoId(0x1234), EchoSeq(7), payload, out);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, 11u);
  out.resize(*length);
  EXPECT_TRUE(verify_icmpv4_checksum(out));
  auto view = parse_icmp(Family::v4, out);
  ASSERT_TRUE(view);
  auto echo = decode_echo(*view);
  ASSERT_TRUE(echo);
  EXPECT_FALSE(echo->is_reply);
  EXPECT_EQ(echo->id, EchoId(0x1234));
  EXPECT_EQ(echo->seq, EchoSeq(7));
  EXPECT_EQ(echo->data.size(), 3u);
}

TEST(IcmpView, EchoEncodeReportsSmallBuffer) {
  std::vector<std::byte> out(8);
  const auto payload = bytes({1});
  EXPECT_EQ(encode_echo(Family::v6, false, EchoId(1), EchoSeq(1), payload, out).error(),
            icmpkit::errc::buffer_too_small);
}

TEST(IcmpView, DecodeEchoRejectsOtherTypes) {
  const auto data = bytes({11, 0, 0, 0, 0, 0, 0, 0});
  auto view = parse_icmp(Family::v4, data);
  ASSERT_TRUE(view);
  EXPECT_EQ(decode_echo(*view).error(), icmpkit::errc::wrong_type);
}

TEST(SerialArithmetic, WrapsAround) {
  EXPECT_TRUE(serial_less(EchoSeq(65535), EchoSeq(0)));
  EXPECT_FALSE(serial_less(EchoSeq(0), EchoSeq(65535)));
  EXPECT_TRUE(serial_less(EchoSeq(1), EchoSeq(2)));
  EXPECT_FALSE(serial_less(EchoSeq(5), EchoSeq(5)));
}

TEST(ErrorBody, Rfc4884LengthSplitsExtensionsV4) {
  // Time exceeded, length = 32 words (128 bytes), then 8 extension bytes.
  std::vector<std::byte> msg(8 + 128 + 8);
  msg[0] = std::byte{11};
  msg[5] = std::byte{32};
  auto view = parse_icmp(Family::v4, msg);
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->rfc4884_length);
  EXPECT_EQ(body->original_datagram.size(), 128u);
  EXPECT_EQ(body->extensions.size(), 8u);
}

TEST(ErrorBody, Rfc4884LengthOverrunIsBadLengthV6) {
  std::vector<std::byte> msg(8 + 40);
  msg[0] = std::byte{3};
  msg[4] = std::byte{16};  // 128 bytes claimed, 40 present
  auto view = parse_icmp(Family::v6, msg);
  ASSERT_TRUE(view);
  EXPECT_EQ(split_error_body(*view).error(), icmpkit::errc::bad_length);
}

TEST(ErrorBody, NonErrorHasNoQuotedDatagram) {
  const auto data = bytes({129, 0, 0, 0, 0, 1, 0, 1});
  auto view = parse_icmp(Family::v6, data);
  ASSERT_TRUE(view);
  EXPECT_EQ(split_error_body(*view).error(), icmpkit::errc::not_an_error_message);
}

TEST(TypeNames, RoundTripBothFamilies) {
  EXPECT_EQ(type_name(Family::v4, 8), "echo-request");
  EXPECT_EQ(type_name(Family::v6, 2), "packet-too-big");
  EXPECT_EQ(type_from_name(Family::v6, "neighbor-solicitation"), std::uint8_t{135});
  EXPECT_EQ(type_from_name(Family::v4, "42"), std::uint8_t{42});
  EXPECT_FALSE(type_from_name(Family::v4, "no-such-type"));
  EXPECT_FALSE(type_from_name(Family::v4, "300"));
}

}  // namespace
