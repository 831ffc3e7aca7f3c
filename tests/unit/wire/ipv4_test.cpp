#include "icmpkit/wire/ipv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "capture_fixture.hpp"

namespace icmpkit::wire {
namespace {

using test::ip_of_frame;
using test::load_hex_fixture;

constexpr Ipv4Address host{std::byte{10}, std::byte{77}, std::byte{1}, std::byte{2}};
constexpr Ipv4Address target{std::byte{10}, std::byte{77}, std::byte{2}, std::byte{2}};

// Expected values from tests/data/ip/capture/tcpdump_decode.txt.
TEST(Ipv4Header, DecodesCapturedEchoRequest) {
  const auto frame = load_hex_fixture("ip/v4_echo_request_ttl1_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  auto v = parse_ipv4(ip);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->version, 4);
  EXPECT_EQ(v->ihl, 5);
  EXPECT_EQ(v->header_length(), 20u);
  EXPECT_EQ(v->tos, 0);
  EXPECT_EQ(v->total_length, 52);
  EXPECT_EQ(v->id, 64580);
  EXPECT_TRUE(v->dont_fragment);
  EXPECT_FALSE(v->more_fragments);
  EXPECT_FALSE(v->is_fragment());
  EXPECT_EQ(v->ttl, 1);
  EXPECT_EQ(v->protocol, ip_protocol::icmp);
  EXPECT_EQ(v->source, host);
  EXPECT_EQ(v->destination, target);
  EXPECT_TRUE(v->options.empty());
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_TRUE(v->complete());
  EXPECT_EQ(v->payload.size(), 32u);
  EXPECT_EQ(v->payload.data(), ip.data() + 20);
}

TEST(Ipv4Header, DecodesCapturedFragments) {
  const auto first = load_hex_fixture("ip/v4_fragment_first_frame.hex");
  auto a = parse_ipv4(ip_of_frame(first));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->more_fragments);
  EXPECT_EQ(a->fragment_offset, 0);
  EXPECT_EQ(a->total_length, 1500);
  EXPECT_EQ(a->id, 64995);
  EXPECT_TRUE(a->is_fragment());
  EXPECT_TRUE(a->checksum_valid());

  const auto last = load_hex_fixture("ip/v4_fragment_last_frame.hex");
  auto b = parse_ipv4(ip_of_frame(last));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->more_fragments);
  EXPECT_EQ(b->fragment_offset * 8, 1480);
  EXPECT_EQ(b->total_length, 148);
  EXPECT_EQ(b->id, a->id);
  EXPECT_TRUE(b->is_fragment());
  EXPECT_TRUE(b->checksum_valid());
}

TEST(Ipv4Header, EncodeReproducesEveryCapturedHeader) {
  for (const char* name : {"ip/v4_echo_request_ttl1_frame.hex", "ip/v4_udp_probe_ttl1_frame.hex",
                           "ip/v4_tcp_syn_frame.hex", "ip/v4_fragment_first_frame.hex",
                           "ip/v4_fragment_last_frame.hex"}) {
    SCOPED_TRACE(name);
    const auto frame = load_hex_fixture(name);
    auto v = parse_ipv4(ip_of_frame(frame));
    ASSERT_TRUE(v);
    Ipv4HeaderFields f;
    f.tos = v->tos;
    f.id = v->id;
    f.dont_fragment = v->dont_fragment;
    f.more_fragments = v->more_fragments;
    f.fragment_offset = v->fragment_offset;
    f.ttl = v->ttl;
    f.protocol = v->protocol;
    f.source = v->source;
    f.destination = v->destination;
    f.options = v->options;
    std::vector<std::byte> out(60);
    auto n = encode_ipv4_header(f, v->payload.size(), out);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, v->header.size());
    EXPECT_TRUE(std::equal(v->header.begin(), v->header.end(), out.begin()));
  }
}

TEST(Ipv4Header, EncodesOptionsAndRoundTrips) {
  const auto options = test::bytes_of({0x94, 0x04, 0x00, 0x00});  // Router Alert (RFC 2113)
  Ipv4HeaderFields f;
  f.ttl = 9;
  f.protocol = ip_protocol::udp;
  f.options = options;
  f.fragment_offset = 0x1fff;
  std::vector<std::byte> out(24 + 10);
  auto n = encode_ipv4_header(f, 10, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 24u);
  auto v = parse_ipv4(out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ihl, 6);
  EXPECT_EQ(v->total_length, 34);
  EXPECT_EQ(v->fragment_offset, 0x1fff);
  EXPECT_TRUE(std::equal(options.begin(), options.end(), v->options.begin(), v->options.end()));
  EXPECT_TRUE(v->checksum_valid());
}

TEST(Ipv4Header, EncodeRejectsBadArguments) {
  std::vector<std::byte> out(60);
  Ipv4HeaderFields f;
  const auto odd = test::bytes_of({1, 1, 1});
  f.options = odd;
  EXPECT_EQ(encode_ipv4_header(f, 0, out).error(), errc::invalid_argument);
  f.options = {};
  f.fragment_offset = 0x2000;
  EXPECT_EQ(encode_ipv4_header(f, 0, out).error(), errc::invalid_argument);
  f.fragment_offset = 0;
  EXPECT_EQ(encode_ipv4_header(f, 65516, out).error(), errc::payload_too_large);
  EXPECT_TRUE(encode_ipv4_header(f, 65515, out));
  EXPECT_EQ(encode_ipv4_header(f, 0, std::span(out).first(19)).error(), errc::buffer_too_small);
}

TEST(Ipv4Header, DecodeRejectsTruncationAtEveryLength) {
  const auto frame = load_hex_fixture("ip/v4_tcp_syn_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  for (std::size_t n = 0; n < ip.size(); ++n) {
    auto v = parse_ipv4(ip.first(n));
    ASSERT_FALSE(v) << n;
    EXPECT_EQ(v.error(), n < 20 ? make_error_code(errc::truncated) : make_error_code(errc::bad_length)) << n;
    if (n >= 20) {
      auto q = parse_ipv4(ip.first(n), LengthCheck::quoted);
      ASSERT_TRUE(q) << n;
      EXPECT_EQ(q->payload.size(), n - 20);
      EXPECT_FALSE(q->complete());
    }
  }
  EXPECT_TRUE(parse_ipv4(ip));
}

TEST(Ipv4Header, DecodeRejectsMalformedHeaders) {
  const auto frame = load_hex_fixture("ip/v4_udp_probe_ttl1_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  std::vector<std::byte> b(ip.begin(), ip.end());
  auto with = [&](auto edit) {
    auto copy = b;
    edit(copy);
    return parse_ipv4(copy).error();
  };
  EXPECT_EQ(with([](auto& c) { c[0] = std::byte{0x65}; }), errc::bad_version);
  EXPECT_EQ(with([](auto& c) { c[0] = std::byte{0x44}; }), errc::bad_length);   // IHL 4
  EXPECT_EQ(with([](auto& c) { c[0] = std::byte{0x40}; }), errc::bad_length);   // IHL 0
  EXPECT_EQ(with([](auto& c) { c[0] = std::byte{0x4f}; }), errc::truncated);    // IHL 15 > 46 bytes
  EXPECT_EQ(with([](auto& c) { c[2] = std::byte{0}; c[3] = std::byte{47}; }), errc::bad_length);  // total > buffer
  EXPECT_EQ(with([](auto& c) { c[2] = std::byte{0}; c[3] = std::byte{19}; }), errc::bad_length);  // total < IHL*4
  auto q = b;
  q[2] = std::byte{0};
  q[3] = std::byte{19};
  EXPECT_EQ(parse_ipv4(q, LengthCheck::quoted).error(), errc::bad_length);
}

TEST(Ipv4Header, PayloadIsTrimmedToTotalLengthAndChecksumErrorsSeen) {
  const auto frame = load_hex_fixture("ip/v4_udp_probe_ttl1_frame.hex");
  const ConstBytes ip = ip_of_frame(frame);
  std::vector<std::byte> padded(ip.begin(), ip.end());
  padded.resize(padded.size() + 14, std::byte{0xee});  // link-layer padding
  auto v = parse_ipv4(padded);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload.size(), ip.size() - 20);
  EXPECT_TRUE(v->checksum_valid());
  padded[8] = std::byte{2};  // TTL changed without fixing the checksum
  auto w = parse_ipv4(padded);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->checksum_valid());
}

}  // namespace
}  // namespace icmpkit::wire
