#include "icmpkit/wire/quoted.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "capture_fixture.hpp"
#include "icmpkit/wire/transport.hpp"

namespace icmpkit::wire {
namespace {

using test::icmp_of_frame;
using test::ip_of_frame;
using test::load_hex_fixture;

struct Error {
  std::vector<std::byte> frame;
  IcmpView view;
  ErrorBody body;
};

Error load_error(Family family, const char* name) {
  Error e;
  e.frame = load_hex_fixture(name);
  auto view = parse_icmp(family, icmp_of_frame(e.frame));
  EXPECT_TRUE(view);
  e.view = *view;
  auto body = split_error_body(e.view);
  EXPECT_TRUE(body);
  e.body = *body;
  return e;
}

// The probe's own transport header, from the captured probe frame.
ConstBytes upper_of_probe(const std::vector<std::byte>& frame) {
  const ConstBytes ip = ip_of_frame(frame);
  if ((static_cast<unsigned>(ip[0]) >> 4) == 4) return parse_ipv4(ip)->payload;
  return parse_ipv6(ip)->payload;
}

TEST(QuotedDatagram, MatchesCapturedV4EchoTimeExceeded) {
  const Error e = load_error(Family::v4, "quoted/v4_time_exceeded_echo_frame.hex");
  EXPECT_EQ(e.view.type, icmpv4_type::time_exceeded);
  auto q = decode_quoted(Family::v4, e.body);
  ASSERT_TRUE(q) << q.error().message();
  // tcpdump: "IP (tos 0x0, ttl 1, id 64580, ... [DF], proto ICMP (1), length 52) ... echo request, id 5238, seq 1"
  EXPECT_EQ(q->family, Family::v4);
  EXPECT_EQ(q->source.to_string(), "10.77.1.2");
  EXPECT_EQ(q->destination.to_string(), "10.77.2.2");
  EXPECT_EQ(q->protocol, ip_protocol::icmp);
  EXPECT_EQ(q->ttl, Ttl(1));
  EXPECT_EQ(q->total_length, 52u);
  EXPECT_EQ(q->ipv4_id, 64580);
  EXPECT_EQ(q->ip_header.size(), 20u);
  EXPECT_TRUE(q->complete());  // Linux quotes as much as fits in 576 bytes
  const auto* echo = std::get_if<QuotedEcho>(&q->probe);
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->type, icmpv4_type::echo_request);
  EXPECT_EQ(echo->id, EchoId(5238));
  EXPECT_EQ(echo->seq, EchoSeq(1));

  // The quote is the probe as sent, except for nothing: compare with the probe capture.
  const auto probe = load_hex_fixture("ip/v4_echo_request_ttl1_frame.hex");
  const ConstBytes probe_ip = ip_of_frame(probe);
  ASSERT_EQ(e.body.original_datagram.size(), probe_ip.size());
  EXPECT_TRUE(std::equal(probe_ip.begin(), probe_ip.end(), e.body.original_datagram.begin()));
}

TEST(QuotedDatagram, MatchesCapturedUdpProbes) {
  struct Case {
    Family family;
    const char* error;
    const char* probe;
    std::uint8_t ttl;
  };
  for (const Case c : {Case{Family::v4, "quoted/v4_time_exceeded_udp_frame.hex", "ip/v4_udp_probe_ttl1_frame.hex", 1},
                       Case{Family::v4, "quoted/v4_port_unreachable_udp_frame.hex", nullptr, 63},
                       Case{Family::v6, "quoted/v6_time_exceeded_udp_frame.hex", nullptr, 1},
                       Case{Family::v6, "quoted/v6_port_unreachable_udp_frame.hex", "ip/v6_udp_probe_port_frame.hex", 63}}) {
    SCOPED_TRACE(c.error);
    const Error e = load_error(c.family, c.error);
    auto q = decode_quoted(c.family, e.body);
    ASSERT_TRUE(q) << q.error().message();
    EXPECT_EQ(q->protocol, ip_protocol::udp);
    EXPECT_EQ(q->ttl, Ttl(c.ttl));
    const auto* udp = std::get_if<QuotedUdp>(&q->probe);
    ASSERT_NE(udp, nullptr);
    EXPECT_EQ(udp->length, 26);
    EXPECT_EQ(q->destination.to_string(), c.family == Family::v4 ? "10.77.2.2" : "fd77:2::2");
    if (c.probe != nullptr) {
      auto sent = parse_udp(upper_of_probe(load_hex_fixture(c.probe)));
      ASSERT_TRUE(sent);
      EXPECT_EQ(udp->source_port, sent->source_port);
      EXPECT_EQ(udp->destination_port, sent->destination_port);
      EXPECT_EQ(udp->checksum, sent->checksum);
    } else {
      EXPECT_EQ(udp->source_port, c.ttl == 1 ? 40001 : 40002);
      EXPECT_EQ(udp->destination_port, c.ttl == 1 ? 33435 : 33434);
    }
  }
}

TEST(QuotedDatagram, MatchesCapturedTcpSynRejections) {
  for (const auto& [family, error, probe] :
       {std::tuple{Family::v4, "quoted/v4_admin_prohibited_tcp_frame.hex", "ip/v4_tcp_syn_frame.hex"},
        std::tuple{Family::v6, "quoted/v6_admin_prohibited_tcp_frame.hex", "ip/v6_tcp_syn_frame.hex"}}) {
    SCOPED_TRACE(error);
    const Error e = load_error(family, error);
    EXPECT_EQ(e.view.type, family == Family::v4 ? icmpv4_type::destination_unreachable
                                                : icmpv6_type::destination_unreachable);
    auto q = decode_quoted(family, e.body);
    ASSERT_TRUE(q) << q.error().message();
    EXPECT_EQ(q->protocol, ip_protocol::tcp);
    const auto* tcp = std::get_if<QuotedTcp>(&q->probe);
    ASSERT_NE(tcp, nullptr);
    // The two captures come from different runs of connect(), so the
    // sequence numbers differ; the ports are fixed by send.py.
    EXPECT_EQ(tcp->source_port, 40003);
    EXPECT_EQ(tcp->destination_port, 9);
    auto whole = parse_tcp_quoted(q->upper_layer);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->seq, tcp->seq);
    EXPECT_EQ(whole->flags, tcp_flag::syn);
    auto sent = parse_tcp(upper_of_probe(load_hex_fixture(probe)));
    ASSERT_TRUE(sent);
    EXPECT_EQ(whole->options.size(), sent->options.size());
  }
  // tcpdump decode of the v4 quote: seq 3640306971.
  const Error e = load_error(Family::v4, "quoted/v4_admin_prohibited_tcp_frame.hex");
  EXPECT_EQ(std::get<QuotedTcp>(decode_quoted(Family::v4, e.body)->probe).seq, 3640306971u);
}

TEST(QuotedDatagram, MatchesCapturedV6EchoTimeExceeded) {
  const Error e = load_error(Family::v6, "quoted/v6_time_exceeded_echo_frame.hex");
  auto q = decode_quoted(Family::v6, e.body);
  ASSERT_TRUE(q);
  // tcpdump: "IP6 (flowlabel 0xb85bc, hlim 1, next-header ICMPv6 (58) payload length: 32)"
  EXPECT_EQ(q->flow_label, 0xb85bcu);
  EXPECT_EQ(q->ttl, Ttl(1));
  EXPECT_EQ(q->total_length, 72u);
  EXPECT_EQ(q->source.to_string(), "fd77:1::2");
  EXPECT_EQ(q->ip_header.size(), 40u);
  const auto* echo = std::get_if<QuotedEcho>(&q->probe);
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->type, icmpv6_type::echo_request);
  EXPECT_EQ(echo->seq, EchoSeq(1));
  EXPECT_EQ(echo->id, EchoId(5240));
}

TEST(QuotedDatagram, TruncatedQuotesDegradeOrFailPrecisely) {
  for (const auto& [family, name] : {std::pair{Family::v4, "quoted/v4_admin_prohibited_tcp_frame.hex"},
                                     std::pair{Family::v6, "quoted/v6_admin_prohibited_tcp_frame.hex"}}) {
    SCOPED_TRACE(name);
    const Error e = load_error(family, name);
    const ConstBytes quote = e.body.original_datagram;
    const std::size_t ip_size = family == Family::v4 ? 20 : 40;
    for (std::size_t n = 0; n < quote.size(); ++n) {
      auto q = decode_quoted(family, quote.first(n));
      if (n < ip_size) {
        EXPECT_EQ(q.error(), errc::truncated) << n;
        continue;
      }
      ASSERT_TRUE(q) << n;
      EXPECT_FALSE(q->complete());
      EXPECT_EQ(q->upper_layer.size(), n - ip_size);
      // RFC 792's 8 bytes are the minimum for a typed probe.
      EXPECT_EQ(std::holds_alternative<QuotedTcp>(q->probe), n >= ip_size + 8) << n;
    }
  }
}

TEST(QuotedDatagram, RejectsWrongVersionAndBadHeaders) {
  const Error v4 = load_error(Family::v4, "quoted/v4_time_exceeded_udp_frame.hex");
  EXPECT_EQ(decode_quoted(Family::v6, v4.body).error(), errc::bad_version);  // 46 bytes, version 4
  EXPECT_EQ(decode_quoted(Family::v6, v4.body.original_datagram.first(39)).error(), errc::truncated);
  const Error v6 = load_error(Family::v6, "quoted/v6_time_exceeded_udp_frame.hex");
  EXPECT_EQ(decode_quoted(Family::v4, v6.body).error(), errc::bad_version);
  std::vector<std::byte> bad(v4.body.original_datagram.begin(), v4.body.original_datagram.end());
  bad[0] = std::byte{0x43};
  EXPECT_EQ(decode_quoted(Family::v4, bad).error(), errc::bad_length);
}

TEST(QuotedDatagram, NonFirstFragmentAndOtherProtocolsStayRaw) {
  const auto frame = load_hex_fixture("ip/v4_fragment_last_frame.hex");
  auto q = decode_quoted(Family::v4, ip_of_frame(frame));
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->fragment);
  EXPECT_TRUE(std::holds_alternative<QuotedOther>(q->probe));
  const auto v6 = load_hex_fixture("ip/v6_fragment_last_frame.hex");
  auto q6 = decode_quoted(Family::v6, ip_of_frame(v6));
  ASSERT_TRUE(q6);
  EXPECT_EQ(q6->fragment_offset * 8, 1448);
  EXPECT_EQ(q6->ip_header.size(), 48u);
  EXPECT_TRUE(std::holds_alternative<QuotedOther>(q6->probe));
  // MLD report: an ICMPv6 message that is not an echo.
  const auto mld = load_hex_fixture("ip/v6_mld_report_hop_by_hop_frame.hex");
  auto qm = decode_quoted(Family::v6, ip_of_frame(mld));
  ASSERT_TRUE(qm);
  EXPECT_EQ(qm->protocol, ip_protocol::icmpv6);
  EXPECT_TRUE(std::holds_alternative<QuotedOther>(qm->probe));
  // First v6 fragment: the echo header is there.
  const auto first = load_hex_fixture("ip/v6_fragment_first_frame.hex");
  auto qf = decode_quoted(Family::v6, ip_of_frame(first));
  ASSERT_TRUE(qf);
  EXPECT_TRUE(std::holds_alternative<QuotedEcho>(qf->probe));
}

}  // namespace
}  // namespace icmpkit::wire
