#include "icmpkit/wire/transport.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "capture_fixture.hpp"
#include "icmpkit/wire/checksum.hpp"

namespace icmpkit::wire {
namespace {

using test::ip_of_frame;
using test::load_hex_fixture;

std::string_view text(ConstBytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct Segment {
  std::vector<std::byte> frame;
  ConstBytes upper;
  std::uint32_t pseudo = 0;
};

Segment load_segment(const char* name) {
  Segment s;
  s.frame = load_hex_fixture(name);
  const ConstBytes ip = ip_of_frame(s.frame);
  if ((static_cast<unsigned>(ip[0]) >> 4) == 4) {
    auto v = parse_ipv4(ip);
    s.upper = v->payload;
    s.pseudo = ipv4_pseudo_header_sum(v->source, v->destination, static_cast<std::uint16_t>(s.upper.size()),
                                      v->protocol);
  } else {
    auto v = parse_ipv6(ip);
    s.upper = v->payload;
    s.pseudo = ipv6_pseudo_header_sum(v->source, v->destination, static_cast<std::uint32_t>(s.upper.size()),
                                      v->next_header);
  }
  return s;
}

// Expected values from tests/data/ip/capture/tcpdump_decode.txt and send.py.
TEST(UdpHeader, DecodesAndReencodesCapturedProbes) {
  for (const char* name : {"ip/v4_udp_probe_ttl1_frame.hex", "ip/v6_udp_probe_port_frame.hex"}) {
    SCOPED_TRACE(name);
    const Segment s = load_segment(name);
    auto u = parse_udp(s.upper);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->length, 26);
    EXPECT_EQ(u->payload.size(), 18u);
    EXPECT_NE(u->checksum, 0);
    EXPECT_EQ(internet_checksum(s.upper, s.pseudo), 0) << "captured checksum verifies";
    std::vector<std::byte> out(64);
    auto n = encode_udp(u->source_port, u->destination_port, u->payload, s.pseudo, out);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, s.upper.size());
    EXPECT_TRUE(std::equal(s.upper.begin(), s.upper.end(), out.begin()));
  }
  const Segment probe = load_segment("ip/v4_udp_probe_ttl1_frame.hex");
  auto v4 = parse_udp(probe.upper);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->source_port, 40001);
  EXPECT_EQ(v4->destination_port, 33435);
  EXPECT_EQ(text(v4->payload), "icmpkit-probe-ttl1");
}

TEST(UdpHeader, DecodeRejectsMalformedAndTruncated) {
  const Segment s = load_segment("ip/v4_udp_probe_ttl1_frame.hex");
  for (std::size_t n = 0; n < 8; ++n) EXPECT_EQ(parse_udp(s.upper.first(n)).error(), errc::truncated);
  for (std::size_t n = 8; n < s.upper.size(); ++n) {
    EXPECT_EQ(parse_udp(s.upper.first(n)).error(), errc::bad_length) << n;
    auto q = parse_udp(s.upper.first(n), LengthCheck::quoted);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->payload.size(), n - 8);
  }
  std::vector<std::byte> b(s.upper.begin(), s.upper.end());
  b[4] = std::byte{0};
  b[5] = std::byte{7};
  EXPECT_EQ(parse_udp(b, LengthCheck::quoted).error(), errc::bad_length);
  b[5] = std::byte{10};  // length shorter than the buffer: payload trimmed
  EXPECT_EQ(parse_udp(b)->payload.size(), 2u);
}

TEST(UdpHeader, EncodeSendsZeroChecksumAsAllOnesAndChecksSizes) {
  std::vector<std::byte> out(16);
  auto n = encode_udp(0, 0, {}, 0xfff7, out);  // 0xfff7 + length 8 sums to 0xffff
  ASSERT_TRUE(n);
  EXPECT_EQ(parse_udp(ConstBytes(out).first(8))->checksum, 0xffff);
  EXPECT_EQ(encode_udp(1, 2, {}, 0, std::span(out).first(7)).error(), errc::buffer_too_small);
  std::vector<std::byte> big(65528);
  EXPECT_EQ(encode_udp(1, 2, big, 0, out).error(), errc::payload_too_large);
}

TEST(TcpHeader, DecodesAndReencodesCapturedSyn) {
  for (const char* name : {"ip/v4_tcp_syn_frame.hex", "ip/v6_tcp_syn_frame.hex"}) {
    SCOPED_TRACE(name);
    const Segment s = load_segment(name);
    auto t = parse_tcp(s.upper);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->complete);
    EXPECT_EQ(t->source_port, 40003);
    EXPECT_EQ(t->destination_port, 9);
    EXPECT_EQ(t->flags, tcp_flag::syn);
    EXPECT_EQ(t->ack, 0u);
    EXPECT_EQ(t->data_offset, 10);  // mss, sackOK, TS, nop, wscale = 20 option bytes
    EXPECT_EQ(t->options.size(), 20u);
    EXPECT_EQ(static_cast<int>(t->options[0]), 2);  // MSS kind
    EXPECT_TRUE(t->payload.empty());
    EXPECT_EQ(internet_checksum(s.upper, s.pseudo), 0);
    TcpFields f;
    f.source_port = t->source_port;
    f.destination_port = t->destination_port;
    f.seq = t->seq;
    f.ack = t->ack;
    f.flags = t->flags;
    f.window = t->window;
    f.urgent_pointer = t->urgent_pointer;
    f.options = t->options;
    std::vector<std::byte> out(60);
    auto n = encode_tcp(f, {}, s.pseudo, out);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, s.upper.size());
    EXPECT_TRUE(std::equal(s.upper.begin(), s.upper.end(), out.begin()));
  }
  const Segment v4 = load_segment("ip/v4_tcp_syn_frame.hex");
  EXPECT_EQ(parse_tcp(v4.upper)->window, 64240);
  EXPECT_EQ(parse_tcp(v4.upper)->checksum, 0x84e9);
}

TEST(TcpHeader, QuotedDecodeExposesWhatIsThere) {
  const Segment s = load_segment("ip/v4_tcp_syn_frame.hex");
  auto whole = parse_tcp(s.upper);
  ASSERT_TRUE(whole);
  for (std::size_t n = 0; n < 8; ++n) EXPECT_EQ(parse_tcp_quoted(s.upper.first(n)).error(), errc::truncated);
  for (std::size_t n = 8; n <= s.upper.size(); ++n) {
    SCOPED_TRACE(n);
    auto q = parse_tcp_quoted(s.upper.first(n));
    ASSERT_TRUE(q);
    EXPECT_EQ(q->source_port, 40003);
    EXPECT_EQ(q->seq, whole->seq);
    EXPECT_EQ(q->ack, n >= 12 ? whole->ack : 0u);
    EXPECT_EQ(q->data_offset, n >= 13 ? 10 : 0);
    EXPECT_EQ(q->flags, n >= 14 ? tcp_flag::syn : 0);
    EXPECT_EQ(q->window, n >= 16 ? whole->window : 0);
    EXPECT_EQ(q->checksum, n >= 18 ? whole->checksum : 0);
    EXPECT_EQ(q->complete, n == s.upper.size());
    EXPECT_EQ(q->available, n);
    if (n < 20) EXPECT_EQ(parse_tcp(s.upper.first(n)).error(), errc::truncated);
  }
}

TEST(TcpHeader, DecodeRejectsBadDataOffset) {
  const Segment s = load_segment("ip/v6_tcp_syn_frame.hex");
  std::vector<std::byte> b(s.upper.begin(), s.upper.end());
  b[12] = std::byte{0x40};  // data offset 4
  EXPECT_EQ(parse_tcp(b).error(), errc::bad_length);
  EXPECT_EQ(parse_tcp_quoted(ConstBytes(b).first(13)).error(), errc::bad_length);
  EXPECT_TRUE(parse_tcp_quoted(ConstBytes(b).first(12)));
  b[12] = std::byte{0xf0};  // data offset 15: 60 bytes, only 40 there
  EXPECT_EQ(parse_tcp(b).error(), errc::truncated);
  auto q = parse_tcp_quoted(b);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->complete);
  EXPECT_EQ(q->data_offset, 15);
}

TEST(TcpHeader, EncodeChecksArguments) {
  std::vector<std::byte> out(60);
  TcpFields f;
  const auto odd = test::bytes_of({1, 1});
  f.options = odd;
  EXPECT_EQ(encode_tcp(f, {}, 0, out).error(), errc::invalid_argument);
  f.options = {};
  EXPECT_EQ(encode_tcp(f, {}, 0, std::span(out).first(19)).error(), errc::buffer_too_small);
  const auto data = test::bytes_of({'h', 'i'});
  auto n = encode_tcp(f, data, 0, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 22u);
  EXPECT_EQ(internet_checksum(ConstBytes(out).first(22)), 0);
  EXPECT_EQ(text(parse_tcp(ConstBytes(out).first(22))->payload), "hi");
}

}  // namespace
}  // namespace icmpkit::wire
