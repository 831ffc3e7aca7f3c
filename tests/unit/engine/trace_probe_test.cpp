// Probe codec of the traceroute engine: payload tag, checksum steering (Paris
// traceroute), the keys a quote gives back, traceroute's flags, and the
// adaptive wait.
#include "icmpkit/engine/trace_probe.hpp"

#include <gtest/gtest.h>

#include "icmpkit/engine/trace_wait.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/transport.hpp"
#include "trace_test_network.hpp"

namespace icmpkit::engine {
namespace {

using trace_test::ip;
using namespace std::chrono_literals;

ProbeFields udp_fields(const char* src, const char* dst, std::uint16_t token, bool steer) {
  ProbeFields f;
  f.method = ProbeMethod::udp;
  f.source = ip(src);
  f.destination = ip(dst);
  f.source_port = 40001;
  f.destination_port = 33434;
  f.token = token;
  f.steer_checksum = steer;
  f.payload_size = 24;
  return f;
}

TEST(TraceProbe, SteeredUdpChecksumGivesTheTokenBack) {
  for (const auto& [src, dst] : {std::pair{"10.0.0.2", "192.0.2.9"}, std::pair{"2001:db8::2", "2001:db8:9::9"}}) {
    for (std::uint16_t token : {0, 1, 2, 77, 4095, 0x8000, 0xfffd, 0xfffe}) {
      TraceTransmit t;
      ASSERT_TRUE(encode_probe(udp_fields(src, dst, token, true), t));
      auto udp = wire::parse_udp(t.transport);
      ASSERT_TRUE(udp);
      // The checksum as sent must verify over the pseudo-header.
      const auto a = ip(src);
      const auto b = ip(dst);
      const std::uint32_t pseudo =
          a.is_v4() ? wire::ipv4_pseudo_header_sum(a.v4(), b.v4(), static_cast<std::uint16_t>(t.transport.size()), 17)
                    : wire::ipv6_pseudo_header_sum(a.v6(), b.v6(), static_cast<std::uint32_t>(t.transport.size()), 17);
      EXPECT_EQ(wire::internet_checksum(t.transport, pseudo), 0) << src;
      wire::QuotedUdp q{udp->source_port, udp->destination_port, udp->length, udp->checksum};
      auto back = udp_token_from_checksum(a, b, q);
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, token) << src;
    }
  }
}

TEST(TraceProbe, SteeredUdpProbesDifferOnlyInChecksumAndPayload) {
  TraceTransmit a;
  TraceTransmit b;
  ASSERT_TRUE(encode_probe(udp_fields("10.0.0.2", "192.0.2.9", 5, true), a));
  ASSERT_TRUE(encode_probe(udp_fields("10.0.0.2", "192.0.2.9", 6, true), b));
  auto ua = wire::parse_udp(a.transport);
  auto ub = wire::parse_udp(b.transport);
  EXPECT_EQ(ua->source_port, ub->source_port);
  EXPECT_EQ(ua->destination_port, ub->destination_port);
  EXPECT_NE(ua->checksum, ub->checksum);
  auto tag = read_probe_payload(a.payload);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->token, 5);
}

TEST(TraceProbe, SteeredEchoChecksumDependsOnFlowOnly) {
  auto checksum = [](std::uint16_t seq, std::uint16_t flow) {
    ProbeFields f;
    f.method = ProbeMethod::icmp_echo;
    f.destination = ip("192.0.2.9");
    f.echo_id = wire::EchoId(99);
    f.token = seq;
    f.flow = flow;
    f.steer_checksum = true;
    f.payload_size = 16;
    TraceTransmit t;
    EXPECT_TRUE(encode_probe(f, t));
    auto view = wire::parse_icmp(wire::Family::v4, t.transport);
    EXPECT_TRUE(wire::verify_icmpv4_checksum(t.transport));
    auto echo = wire::decode_echo(*view);
    EXPECT_EQ(echo->seq, wire::EchoSeq(seq));
    return view->checksum;
  };
  EXPECT_EQ(checksum(1, 0), checksum(2, 0));
  EXPECT_EQ(checksum(1, 0), checksum(40000, 0));
  EXPECT_NE(checksum(1, 0), checksum(1, 1));
  EXPECT_EQ(checksum(1, 7), checksum(500, 7));
}

TEST(TraceProbe, TcpProbeNeedsSourceAndCarriesSequence) {
  ProbeFields f;
  f.method = ProbeMethod::tcp_syn;
  f.destination = ip("192.0.2.9");
  f.source_port = 50000;
  f.destination_port = 80;
  f.tcp_seq = 0x12345678;
  f.payload_size = 0;
  TraceTransmit t;
  EXPECT_FALSE(encode_probe(f, t));
  f.source = ip("10.0.0.2");
  ASSERT_TRUE(encode_probe(f, t));
  auto tcp = wire::parse_tcp(t.transport);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->seq, 0x12345678u);
  EXPECT_EQ(tcp->flags, wire::tcp_flag::syn);
  EXPECT_EQ(tcp->source_port, 50000);
}

TEST(TraceProbe, PayloadShorterThanTagIsRejected) {
  auto f = udp_fields("10.0.0.2", "192.0.2.9", 1, false);
  f.payload_size = probe_min_payload - 1;
  TraceTransmit t;
  EXPECT_EQ(encode_probe(f, t).error(), make_error_code(errc::invalid_argument));
}

TEST(TraceFlags, Icmpv4UnreachableCodesGiveTracerouteFlags) {
  const auto flag = [](std::uint8_t code, std::uint32_t mtu = 0) {
    return classify_icmp(wire::Family::v4, 3, code, mtu).flag;
  };
  EXPECT_EQ(flag(0), "!N");
  EXPECT_EQ(flag(1), "!H");
  EXPECT_EQ(flag(2), "!P");
  EXPECT_EQ(flag(3), "");
  EXPECT_EQ(flag(4, 1400), "!F-1400");
  EXPECT_EQ(flag(4, 0), "!F");
  EXPECT_EQ(flag(5), "!S");
  EXPECT_EQ(flag(9), "!X");
  EXPECT_EQ(flag(10), "!X");
  EXPECT_EQ(flag(13), "!X");
  EXPECT_EQ(flag(14), "!V");
  EXPECT_EQ(flag(15), "!C");
  EXPECT_EQ(flag(16), "!<16>");
  EXPECT_EQ(classify_icmp(wire::Family::v4, 3, 3, 0).reason, ProbeReason::port_unreachable);
  EXPECT_EQ(classify_icmp(wire::Family::v4, 3, 1, 0).reason, ProbeReason::host_unreachable);
  EXPECT_EQ(classify_icmp(wire::Family::v4, 3, 4, 1400).mtu, 1400u);
  EXPECT_EQ(classify_icmp(wire::Family::v4, 11, 0, 0).reason, ProbeReason::time_exceeded);
  EXPECT_EQ(classify_icmp(wire::Family::v4, 11, 0, 0).flag, "");
  EXPECT_EQ(classify_icmp(wire::Family::v4, 12, 0, 0).flag, "!<12-0>");
}

TEST(TraceFlags, Icmpv6CodesGiveTracerouteFlags) {
  const auto c = [](std::uint8_t type, std::uint8_t code, std::uint32_t mtu = 0) {
    return classify_icmp(wire::Family::v6, type, code, mtu);
  };
  EXPECT_EQ(c(1, 0).flag, "!N");
  EXPECT_EQ(c(1, 1).flag, "!X");
  EXPECT_EQ(c(1, 3).flag, "!H");
  EXPECT_EQ(c(1, 4).reason, ProbeReason::port_unreachable);
  EXPECT_EQ(c(1, 4).flag, "");
  EXPECT_EQ(c(1, 6).flag, "!<6>");
  EXPECT_EQ(c(2, 0, 1280).flag, "!F-1280");
  EXPECT_EQ(c(2, 0, 1280).reason, ProbeReason::fragmentation_needed);
  EXPECT_EQ(c(3, 0).reason, ProbeReason::time_exceeded);
}

TEST(TraceFlags, MtuPlateausStepDown) {
  EXPECT_EQ(lower_mtu_plateau(1500), 1492u);
  EXPECT_EQ(lower_mtu_plateau(1492), 1006u);
  EXPECT_EQ(lower_mtu_plateau(68), 68u);
}

TEST(TraceWait, UsesHereThenNearThenMax) {
  WaitPolicy p;  // 5 s, 3, 10
  EXPECT_EQ(probe_wait(p, std::nullopt, std::nullopt), 5s);
  EXPECT_EQ(probe_wait(p, 9ms, std::nullopt), 30ms);
  EXPECT_EQ(probe_wait(p, std::nullopt, 9ms), 100ms);
  EXPECT_EQ(probe_wait(p, 9ms, 1ms), 30ms);   // the same hop wins
  EXPECT_EQ(probe_wait(p, 4s, std::nullopt), 5s);  // capped at max
  p.here = 0;
  EXPECT_EQ(probe_wait(p, 9ms, 19ms), 200ms);
  p.near = 0;
  EXPECT_EQ(probe_wait(p, 9ms, 19ms), 5s);
}

}  // namespace
}  // namespace icmpkit::engine
