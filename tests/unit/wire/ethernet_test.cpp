#include "icmpkit/wire/ethernet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "capture_fixture.hpp"

namespace icmpkit::wire {
namespace {

using test::load_hex_fixture;

TEST(EthernetFrame, DecodesCapturedFrames) {
  const auto probe = load_hex_fixture("ip/v4_echo_request_ttl1_frame.hex");
  const auto reply = load_hex_fixture("quoted/v4_time_exceeded_echo_frame.hex");
  auto a = parse_ethernet(probe);
  auto b = parse_ethernet(reply);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->ethertype, ethertype::ipv4);
  EXPECT_FALSE(a->tagged);
  EXPECT_EQ(a->header.size(), 14u);
  EXPECT_EQ(a->payload.size(), probe.size() - 14);
  // The router answers the host: the MAC addresses swap.
  EXPECT_EQ(a->source, b->destination);
  EXPECT_EQ(a->destination, b->source);
  // Locally administered unicast addresses, as veth pairs get.
  EXPECT_EQ(static_cast<unsigned>(a->source[0]) & 3u, 2u);

  const auto v6 = load_hex_fixture("ip/v6_tcp_syn_frame.hex");
  auto c = parse_ethernet(v6);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ethertype, ethertype::ipv6);
}

TEST(EthernetFrame, EncodeReproducesCapturedHeader) {
  const auto frame = load_hex_fixture("ip/v6_udp_probe_port_frame.hex");
  auto v = parse_ethernet(frame);
  ASSERT_TRUE(v);
  EthernetFields f;
  f.destination = v->destination;
  f.source = v->source;
  f.ethertype = v->ethertype;
  std::vector<std::byte> out(14);
  auto n = encode_ethernet_header(f, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 14u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), frame.begin()));
}

// No VLAN-capable link was available in the capture lab (no 8021q in the
// kernel), so the tag is inserted into a captured frame by hand.
TEST(EthernetFrame, DecodesVlanTagInsertedIntoCapturedFrame) {
  const auto frame = load_hex_fixture("ip/v4_udp_probe_ttl1_frame.hex");
  std::vector<std::byte> tagged(frame.begin(), frame.begin() + 12);
  const auto tag = test::bytes_of({0x81, 0x00, 0xb0, 0x05});  // PCP 5, DEI 1, VID 5
  tagged.insert(tagged.end(), tag.begin(), tag.end());
  tagged.insert(tagged.end(), frame.begin() + 12, frame.end());
  auto v = parse_ethernet(tagged);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->tagged);
  EXPECT_EQ(v->tag_protocol, ethertype::vlan);
  EXPECT_EQ(v->priority, 5);
  EXPECT_TRUE(v->drop_eligible);
  EXPECT_EQ(v->vlan_id, 5);
  EXPECT_EQ(v->ethertype, ethertype::ipv4);
  EXPECT_EQ(v->header.size(), 18u);
  EXPECT_TRUE(std::equal(v->payload.begin(), v->payload.end(), frame.begin() + 14, frame.end()));

  EthernetFields f;
  f.destination = v->destination;
  f.source = v->source;
  f.ethertype = ethertype::ipv4;
  f.tagged = true;
  f.priority = 5;
  f.drop_eligible = true;
  f.vlan_id = 5;
  std::vector<std::byte> out(18);
  ASSERT_TRUE(encode_ethernet_header(f, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), tagged.begin()));
  f.vlan_id = 4096;
  EXPECT_EQ(encode_ethernet_header(f, out).error(), errc::invalid_argument);
  f.vlan_id = 1;
  EXPECT_EQ(encode_ethernet_header(f, std::span(out).first(17)).error(), errc::buffer_too_small);
}

TEST(EthernetFrame, DecodeRejectsTruncationAtEveryLength) {
  const auto frame = load_hex_fixture("ip/v4_udp_probe_ttl1_frame.hex");
  for (std::size_t n = 0; n < 14; ++n) EXPECT_EQ(parse_ethernet(ConstBytes(frame).first(n)).error(), errc::truncated);
  EXPECT_TRUE(parse_ethernet(ConstBytes(frame).first(14)));
  auto tagged = frame;
  tagged[12] = std::byte{0x88};
  tagged[13] = std::byte{0xa8};
  for (std::size_t n = 14; n < 18; ++n) EXPECT_EQ(parse_ethernet(ConstBytes(tagged).first(n)).error(), errc::truncated);
  EXPECT_TRUE(parse_ethernet(ConstBytes(tagged).first(18)));
}

}  // namespace
}  // namespace icmpkit::wire
