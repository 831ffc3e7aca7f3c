// Node Information (RFC 4620). Linux neither sends nor answers these, so the
// bytes are built by hand from the RFC 4620 §4 layout.
#include "icmpkit/wire/node_info.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/wire/icmpv6.hpp"
#include "icmpv6_fixture.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit_test::from_hex;

// Query: type 139, code 1 (subject is a name), qtype 3 (node addresses),
// flags G|L|A, nonce 0102030405060708, subject "host" in DNS wire format.
const char* const hand_query = "8b01 0000 0003 002a 0102 0304 0506 0708 0468 6f73 7400";
// Reply: type 140, code 0, qtype 2 (node name), flags 0, same nonce,
// TTL 0 then the name "host".
const char* const hand_reply = "8c00 0000 0002 0000 0102 0304 0506 0708 0000 0000 0468 6f73 7400";

TEST(NodeInfo, DecodesHandBuiltQuery) {
  const auto bytes = from_hex(hand_query);
  auto message = decode_icmpv6(bytes);
  ASSERT_TRUE(message);
  const auto* query = std::get_if<NodeInfoMessage>(&*message);
  ASSERT_NE(query, nullptr);
  EXPECT_FALSE(query->is_reply);
  EXPECT_EQ(query->code, node_info_code::subject_name);
  EXPECT_EQ(query->qtype, node_info_qtype::node_addresses);
  EXPECT_EQ(query->flags, node_info_flag::global | node_info_flag::link_local | node_info_flag::all);
  EXPECT_EQ(query->nonce, (std::array<std::byte, 8>{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                                    std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}}));
  ASSERT_EQ(query->data.size(), 6u);
  EXPECT_EQ(static_cast<char>(query->data[1]), 'h');
  EXPECT_EQ(node_info_qtype_name(query->qtype), "node-addresses");
}

TEST(NodeInfo, DecodesHandBuiltReplyAndBuildersReproduceBoth) {
  for (const char* hex : {hand_query, hand_reply}) {
    const auto bytes = from_hex(hex);
    auto view = parse_icmp(Family::v6, bytes);
    ASSERT_TRUE(view);
    auto message = decode_node_info(*view);
    ASSERT_TRUE(message);
    std::vector<std::byte> out(64);
    auto length = encode_node_info(*message, out);
    ASSERT_TRUE(length);
    out.resize(*length);
    EXPECT_EQ(out, bytes);
  }
  const auto reply_bytes = from_hex(hand_reply);
  auto view = parse_icmp(Family::v6, reply_bytes);
  ASSERT_TRUE(view);
  auto reply = decode_node_info(*view);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->is_reply);
  EXPECT_EQ(reply->qtype, node_info_qtype::node_name);
  EXPECT_EQ(reply->data.size(), 10u);
}

TEST(NodeInfo, TruncatedBeforeTheNonceEndsIsTruncated) {
  const auto bytes = from_hex(hand_query);
  for (std::size_t length = 0; length < node_info_header_size; ++length) {
    EXPECT_EQ(decode_icmpv6(icmpkit::ConstBytes(bytes.data(), length)).error(), errc::truncated) << length;
  }
  auto empty_data = decode_icmpv6(icmpkit::ConstBytes(bytes.data(), node_info_header_size));
  ASSERT_TRUE(empty_data);
  EXPECT_TRUE(std::get<NodeInfoMessage>(*empty_data).data.empty());
}

TEST(NodeInfo, ChecksumWithPseudoHeaderVerifies) {
  auto bytes = from_hex(hand_query);
  const auto source = icmpkit_test::parse_v6("fd00:1::1");
  const auto destination = icmpkit_test::parse_v6("fd00:2::2");
  set_icmpv6_checksum(bytes, source, destination);
  EXPECT_TRUE(decode_icmpv6(bytes, source, destination));
  EXPECT_EQ(decode_icmpv6(bytes, destination, destination).error(), errc::bad_checksum);
}

TEST(NodeInfo, RejectsOtherTypesAndSmallBuffers) {
  const auto bytes = from_hex("8000 0000 0000 0000 0000 0000 0000 0000");
  auto view = parse_icmp(Family::v6, bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(decode_node_info(*view).error(), errc::wrong_type);
  NodeInfoMessage message;
  std::vector<std::byte> small(15);
  EXPECT_EQ(encode_node_info(message, small).error(), errc::buffer_too_small);
  EXPECT_TRUE(node_info_qtype_name(1).empty());
}

}  // namespace
