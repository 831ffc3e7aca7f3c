#include "icmpkit/wire/ipv6.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "capture_fixture.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::wire {
namespace {

using test::ip_of_frame;
using test::load_hex_fixture;

// Builds an IPv6 packet with the given extension-header bytes and upper layer.
std::vector<std::byte> packet(std::uint8_t first_next, const std::vector<std::byte>& rest) {
  std::vector<std::byte> out(40 + rest.size());
  Ipv6HeaderFields f;
  f.next_header = first_next;
  EXPECT_TRUE(encode_ipv6_header(f, rest.size(), out));
  std::copy(rest.begin(), rest.end(), out.begin() + 40);
  return out;
}

// Expected values from tests/data/ip/capture/tcpdump_decode.txt.
TEST(Ipv6Header, DecodesCapturedUdpProbe) {
  const auto frame = load_hex_fixture("ip/v6_udp_probe_port_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  auto v = parse_ipv6(ip);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->version, 6);
  EXPECT_EQ(v->traffic_class, 0);
  EXPECT_EQ(v->flow_label, 0x75bf7u);
  EXPECT_EQ(v->payload_length, 26);
  EXPECT_EQ(v->next_header, ip_protocol::udp);
  EXPECT_EQ(v->hop_limit, 64);
  EXPECT_EQ(IpAddress(v->source).to_string(), "fd77:1::2");
  EXPECT_EQ(IpAddress(v->destination).to_string(), "fd77:2::2");
  EXPECT_TRUE(v->complete());
  auto up = find_upper_layer(*v);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->protocol, ip_protocol::udp);
  EXPECT_EQ(up->offset, 40u);
  EXPECT_EQ(up->extension_headers, 0u);
  EXPECT_EQ(up->data.size(), 26u);
  EXPECT_TRUE(up->has_upper_header());
}

TEST(Ipv6Header, WalksCapturedHopByHopHeader) {
  const auto frame = load_hex_fixture("ip/v6_mld_report_hop_by_hop_frame.hex");
  auto v = parse_ipv6(ip_of_frame(frame));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->next_header, ip_protocol::hop_by_hop);
  EXPECT_EQ(v->hop_limit, 1);
  auto up = find_upper_layer(*v);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->protocol, ip_protocol::icmpv6);
  EXPECT_EQ(up->offset, 48u);
  EXPECT_EQ(up->extension_headers, 1u);
  ASSERT_FALSE(up->data.empty());
  EXPECT_EQ(static_cast<int>(up->data[0]), icmpv6_type::mldv2_report);
}

TEST(Ipv6Header, WalksCapturedFragmentHeaders) {
  const auto first = load_hex_fixture("ip/v6_fragment_first_frame.hex");
  auto a = parse_ipv6(ip_of_frame(first));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->payload_length, 1456);
  auto ua = find_upper_layer(*a);
  ASSERT_TRUE(ua);
  EXPECT_TRUE(ua->fragment);
  EXPECT_TRUE(ua->more_fragments);
  EXPECT_EQ(ua->fragment_offset, 0);
  EXPECT_EQ(ua->fragment_id, 0x7b0a986au);
  EXPECT_EQ(ua->protocol, ip_protocol::icmpv6);
  EXPECT_EQ(ua->offset, 48u);
  EXPECT_TRUE(ua->has_upper_header());

  const auto last = load_hex_fixture("ip/v6_fragment_last_frame.hex");
  auto b = parse_ipv6(ip_of_frame(last));
  ASSERT_TRUE(b);
  auto ub = find_upper_layer(*b);
  ASSERT_TRUE(ub);
  EXPECT_FALSE(ub->more_fragments);
  EXPECT_EQ(ub->fragment_offset * 8, 1448);
  EXPECT_EQ(ub->fragment_id, 0x7b0a986au);
  EXPECT_FALSE(ub->has_upper_header());
  EXPECT_EQ(ub->data.size(), 160u);
}

TEST(Ipv6Header, EncodeReproducesEveryCapturedHeader) {
  for (const char* name : {"ip/v6_udp_probe_port_frame.hex", "ip/v6_tcp_syn_frame.hex",
                           "ip/v6_fragment_first_frame.hex", "ip/v6_mld_report_hop_by_hop_frame.hex"}) {
    SCOPED_TRACE(name);
    const auto frame = load_hex_fixture(name);
    auto v = parse_ipv6(ip_of_frame(frame));
    ASSERT_TRUE(v);
    Ipv6HeaderFields f;
    f.traffic_class = v->traffic_class;
    f.flow_label = v->flow_label;
    f.next_header = v->next_header;
    f.hop_limit = v->hop_limit;
    f.source = v->source;
    f.destination = v->destination;
    std::vector<std::byte> out(40);
    auto n = encode_ipv6_header(f, v->payload_length, out);
    ASSERT_TRUE(n);
    EXPECT_TRUE(std::equal(v->header.begin(), v->header.end(), out.begin(), out.end()));
  }
}

TEST(Ipv6Header, EncodeRejectsBadArguments) {
  std::vector<std::byte> out(40);
  Ipv6HeaderFields f;
  f.flow_label = 0x100000;
  EXPECT_EQ(encode_ipv6_header(f, 0, out).error(), errc::invalid_argument);
  f.flow_label = 0xfffff;
  EXPECT_EQ(encode_ipv6_header(f, 65536, out).error(), errc::payload_too_large);
  EXPECT_EQ(encode_ipv6_header(f, 0, std::span(out).first(39)).error(), errc::buffer_too_small);
  ASSERT_TRUE(encode_ipv6_header(f, 0, out));
  EXPECT_EQ(parse_ipv6(out)->flow_label, 0xfffffu);
}

TEST(Ipv6Header, DecodeRejectsTruncationAtEveryLength) {
  const auto frame = load_hex_fixture("ip/v6_tcp_syn_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  for (std::size_t n = 0; n < ip.size(); ++n) {
    auto v = parse_ipv6(ip.first(n));
    ASSERT_FALSE(v) << n;
    EXPECT_EQ(v.error(), n < 40 ? make_error_code(errc::truncated) : make_error_code(errc::bad_length)) << n;
    if (n >= 40) {
      auto q = parse_ipv6(ip.first(n), LengthCheck::quoted);
      ASSERT_TRUE(q) << n;
      EXPECT_EQ(q->payload.size(), n - 40);
      EXPECT_FALSE(q->complete());
    }
  }
}

TEST(Ipv6Header, DecodeRejectsWrongVersion) {
  auto p = packet(ip_protocol::udp, std::vector<std::byte>(8));
  p[0] = std::byte{0x45};
  EXPECT_EQ(parse_ipv6(p).error(), errc::bad_version);
}

TEST(Ipv6Header, ExtensionChainOverrunIsBadLengthOrTruncated) {
  // Hop-by-hop claiming 16 bytes (length 1) with only 8 in the payload.
  auto p = packet(ip_protocol::hop_by_hop, test::bytes_of({17, 1, 0, 0, 0, 0, 0, 0}));
  auto v = parse_ipv6(p);
  ASSERT_TRUE(v);
  EXPECT_EQ(find_upper_layer(*v).error(), errc::bad_length);
  // The same header in a quote cut short of its payload length.
  auto longer = packet(ip_protocol::hop_by_hop, test::bytes_of({17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  auto q = parse_ipv6(ConstBytes(longer).first(48 + 4), LengthCheck::quoted);
  ASSERT_TRUE(q);
  EXPECT_EQ(find_upper_layer(*q).error(), errc::truncated);
  // Fewer than 8 bytes where a header must start.
  auto tiny = packet(ip_protocol::ipv6_destination_options, test::bytes_of({17, 0, 0, 0}));
  EXPECT_EQ(find_upper_layer(*parse_ipv6(tiny)).error(), errc::bad_length);
}

TEST(Ipv6Header, ExtensionChainIsBounded) {
  // 40 chained destination-options headers: never a loop (each step moves
  // forward) but longer than any real chain.
  std::vector<std::byte> rest;
  for (int i = 0; i < 40; ++i) {
    const auto h = test::bytes_of({60, 0, 1, 4, 0, 0, 0, 0});
    rest.insert(rest.end(), h.begin(), h.end());
  }
  auto p = packet(ip_protocol::ipv6_destination_options, rest);
  EXPECT_EQ(find_upper_layer(*parse_ipv6(p)).error(), errc::bad_length);
  // Exactly the limit is still accepted.
  std::vector<std::byte> ok;
  for (std::size_t i = 0; i < ipv6_max_extension_headers; ++i) {
    const auto h = test::bytes_of({i + 1 == ipv6_max_extension_headers ? 17 : 60, 0, 1, 4, 0, 0, 0, 0});
    ok.insert(ok.end(), h.begin(), h.end());
  }
  ok.resize(ok.size() + 8);
  auto up = find_upper_layer(*parse_ipv6(packet(60, ok)));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->protocol, ip_protocol::udp);
  EXPECT_EQ(up->offset, 40 + 8 * ipv6_max_extension_headers);
}

TEST(Ipv6Header, WalkHandlesRoutingAhEspAndNoNext) {
  // Routing (length 2 -> 24 bytes) then AH (payload len 4 -> 24 bytes) then UDP.
  std::vector<std::byte> rest = test::bytes_of({51, 2, 0, 0, 0, 0, 0, 0});
  rest.resize(24);
  auto ah = test::bytes_of({17, 4, 0, 0});
  ah.resize(24);
  rest.insert(rest.end(), ah.begin(), ah.end());
  rest.resize(rest.size() + 8);
  auto up = find_upper_layer(*parse_ipv6(packet(ip_protocol::ipv6_routing, rest)));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->protocol, ip_protocol::udp);
  EXPECT_EQ(up->offset, 40u + 48u);
  EXPECT_EQ(up->extension_headers, 2u);

  auto esp = find_upper_layer(*parse_ipv6(packet(ip_protocol::esp, std::vector<std::byte>(16))));
  ASSERT_TRUE(esp);
  EXPECT_EQ(esp->protocol, ip_protocol::esp);
  EXPECT_FALSE(esp->has_upper_header());

  auto none = find_upper_layer(*parse_ipv6(packet(ip_protocol::hop_by_hop, test::bytes_of({59, 0, 1, 4, 0, 0, 0, 0}))));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->protocol, ip_protocol::ipv6_no_next);
  EXPECT_TRUE(none->data.empty());
  EXPECT_FALSE(none->has_upper_header());
}

}  // namespace
}  // namespace icmpkit::wire
