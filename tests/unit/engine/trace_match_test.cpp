// Matching answers to traceroute probes: captured Time Exceeded / port
// unreachable frames from the namespace lab (tests/data/quoted), error-queue
// records of ping and UDP sockets, TCP answers, and RFC 4884 extensions.
#include <gtest/gtest.h>

#include <cerrno>

#include "icmpkit/engine/trace_engine.hpp"
#include "icmpkit/engine/trace_probe.hpp"
#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"
#include "trace_test_network.hpp"
#include "unit/wire/capture_fixture.hpp"

namespace icmpkit::engine {
namespace {

using icmpkit::test::icmp_of_frame;
using icmpkit::test::ip_of_frame;
using icmpkit::test::load_hex_fixture;
using trace_test::Driver;
using trace_test::ip;
using namespace std::chrono_literals;

// Sender of a captured frame's IP packet.
wire::IpAddress source_of_frame(ConstBytes frame) {
  const ConstBytes packet = ip_of_frame(frame);
  if ((static_cast<unsigned>(packet[0]) >> 4) == 4) return wire::IpAddress(wire::parse_ipv4(packet)->source);
  return wire::IpAddress(wire::parse_ipv6(packet)->source);
}

std::vector<TraceTransmit> send_all(TraceEngine& engine, TraceTime now) {
  std::vector<TraceTransmit> out;
  while (auto t = engine.poll_transmit(now)) out.push_back(*t);
  return out;
}

std::vector<TraceEvent> events_of(TraceEngine& engine) {
  std::vector<TraceEvent> out;
  while (auto e = engine.poll_event()) out.push_back(std::move(*e));
  return out;
}

// The lab's UDP probes: 10.77.1.2 / fd77:1::2 port 40001 -> 33435 with TTL 1.
TraceConfig lab_udp(const char* destination) {
  TraceConfig c;
  c.destination = ip(destination);
  c.method = ProbeMethod::udp;
  c.source_port = 40001;
  c.destination_port = 33435;  // classic: the first probe goes to the base port
  c.queries = 1;
  c.max_ttl = 1;
  return c;
}

TEST(TraceMatch, CapturedTimeExceededMatchesTheQuotedUdpProbe) {
  struct Case {
    const char* fixture;
    const char* destination;
  };
  for (const Case c : {Case{"quoted/v4_time_exceeded_udp_frame.hex", "10.77.2.2"},
                       Case{"quoted/v6_time_exceeded_udp_frame.hex", "fd77:2::2"}}) {
    TraceEngine engine;
    TraceTime t0{};
    ASSERT_TRUE(engine.add_trace(lab_udp(c.destination), t0));
    const auto sent = send_all(engine, t0);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].destination_port, 33435);
    ASSERT_EQ(sent[0].ttl, wire::Ttl(1));

    const auto frame = load_hex_fixture(c.fixture);
    const wire::IpAddress router = source_of_frame(frame);
    ASSERT_TRUE(engine.on_icmp(t0 + 2ms, IcmpInput{router, icmp_of_frame(frame), wire::Ttl(64)})) << c.fixture;
    const auto events = events_of(engine);
    ASSERT_EQ(events.size(), 2u);
    const HopResult& hop = std::get<HopEvent>(events[0]).hop;
    ASSERT_EQ(hop.probes.size(), 1u);
    const ProbeResult& p = hop.probes[0];
    EXPECT_EQ(p.reason, ProbeReason::time_exceeded);
    EXPECT_EQ(p.responder, router);
    EXPECT_EQ(p.rtt, 2ms);
    EXPECT_EQ(p.quoted_ttl, wire::Ttl(1));
    EXPECT_EQ(p.reply_ttl, wire::Ttl(64));
    EXPECT_TRUE(p.icmp);
    EXPECT_TRUE(p.mpls.empty());
    EXPECT_EQ(std::get<TraceFinished>(events[1]).result.stop, StopReason::max_ttl);
  }
}

TEST(TraceMatch, CapturedTimeExceededForAnotherPortIsNotOurs) {
  TraceEngine engine;
  TraceConfig c = lab_udp("10.77.2.2");
  c.destination_port = 33500;
  ASSERT_TRUE(engine.add_trace(c, {}));
  send_all(engine, {});
  const auto frame = load_hex_fixture("quoted/v4_time_exceeded_udp_frame.hex");
  EXPECT_FALSE(engine.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}}));
  // Nor is it ours when the source port differs.
  TraceEngine engine2;
  c.destination_port = 33435;
  c.source_port = 40009;
  ASSERT_TRUE(engine2.add_trace(c, {}));
  send_all(engine2, {});
  EXPECT_FALSE(engine2.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}}));
  // Nor when the quoted destination is not the trace's.
  TraceEngine engine3;
  ASSERT_TRUE(engine3.add_trace(lab_udp("10.77.2.3"), {}));
  send_all(engine3, {});
  EXPECT_FALSE(engine3.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}}));
  EXPECT_EQ(engine3.probes_in_flight(), 1u);
}

TEST(TraceMatch, CapturedPortUnreachableEndsTheTrace) {
  for (const auto& [fixture, destination] :
       {std::pair{"quoted/v4_port_unreachable_udp_frame.hex", "10.77.2.2"},
        std::pair{"quoted/v6_port_unreachable_udp_frame.hex", "fd77:2::2"}}) {
    TraceEngine engine;
    TraceConfig c = lab_udp(destination);
    c.source_port = 40002;
    c.destination_port = 33434;
    c.first_ttl = 2;
    c.max_ttl = 2;
    ASSERT_TRUE(engine.add_trace(c, {}));
    send_all(engine, {});
    const auto frame = load_hex_fixture(fixture);
    ASSERT_TRUE(engine.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}})) << fixture;
    const auto events = events_of(engine);
    ASSERT_EQ(events.size(), 2u);
    const auto& result = std::get<TraceFinished>(events[1]).result;
    EXPECT_EQ(result.stop, StopReason::destination_reached);
    EXPECT_EQ(result.hops[0].probes[0].reason, ProbeReason::port_unreachable);
    EXPECT_EQ(result.hops[0].probes[0].flag, "");
    EXPECT_EQ(result.hops[0].probes[0].responder, ip(destination));
    EXPECT_EQ(result.hops[0].probes[0].quoted_ttl, wire::Ttl(63));
  }
}

TEST(TraceMatch, CapturedTimeExceededMatchesTheQuotedEchoBySequence) {
  for (const auto& [fixture, destination] : {std::pair{"quoted/v4_time_exceeded_echo_frame.hex", "10.77.2.2"},
                                             std::pair{"quoted/v6_time_exceeded_echo_frame.hex", "fd77:2::2"}}) {
    TraceEngine engine;
    TraceConfig c;
    c.destination = ip(destination);
    c.method = ProbeMethod::icmp_echo;  // ping socket: the kernel owns the identifier
    c.queries = 2;                      // sequences 0 and 1; the capture quotes sequence 1
    c.max_ttl = 1;
    ASSERT_TRUE(engine.add_trace(c, {}));
    const auto sent = send_all(engine, {});
    ASSERT_EQ(sent.size(), 2u);
    const auto frame = load_hex_fixture(fixture);
    ASSERT_TRUE(engine.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}})) << fixture;
    // A second copy no longer matches: the probe has its answer.
    EXPECT_FALSE(engine.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}}));
    engine.on_timer(TraceTime{} + 5s);
    const auto events = events_of(engine);
    ASSERT_EQ(events.size(), 2u);
    const HopResult& hop = std::get<HopEvent>(events[0]).hop;
    EXPECT_EQ(hop.probes[0].reason, ProbeReason::timeout);
    EXPECT_EQ(hop.probes[1].reason, ProbeReason::time_exceeded);
    EXPECT_EQ(hop.probes[1].responder, source_of_frame(frame));
  }
}

TEST(TraceMatch, EchoIdIsCheckedOnlyWhenTheEngineOwnsIt) {
  const auto frame = load_hex_fixture("quoted/v4_time_exceeded_echo_frame.hex");  // id 5238
  for (const auto& [id, matches] : {std::pair{5238, true}, std::pair{5239, false}}) {
    TraceEngine engine;
    TraceConfig c;
    c.destination = ip("10.77.2.2");
    c.method = ProbeMethod::icmp_echo;
    c.echo_id = wire::EchoId(static_cast<std::uint16_t>(id));  // raw socket
    c.queries = 2;
    c.max_ttl = 1;
    ASSERT_TRUE(engine.add_trace(c, {}));
    send_all(engine, {});
    EXPECT_EQ(engine.on_icmp({}, IcmpInput{source_of_frame(frame), icmp_of_frame(frame), {}}), matches) << id;
  }
}

TEST(TraceMatch, ExtensionsOfAnRfc4884TimeExceededAreDecoded) {
  // The captured UDP probe quoted by an MPLS LSR, compliant and pre-RFC 4884 forms.
  for (const char* fixture : {"extensions/v4_time_exceeded_mpls.hex", "extensions/v4_time_exceeded_mpls_noncompliant.hex"}) {
    TraceEngine engine;
    ASSERT_TRUE(engine.add_trace(lab_udp("10.77.2.2"), {}));
    send_all(engine, {});
    const auto message = load_hex_fixture(fixture);
    ASSERT_TRUE(engine.on_icmp({}, IcmpInput{ip("10.77.1.1"), message, {}})) << fixture;
    const auto events = events_of(engine);
    ASSERT_FALSE(events.empty());
    const ProbeResult& p = std::get<HopEvent>(events[0]).hop.probes[0];
    EXPECT_FALSE(p.bad_extensions);
    ASSERT_EQ(p.mpls.size(), 2u) << fixture;
    EXPECT_EQ(p.mpls[0].label, 16001u);
    EXPECT_FALSE(p.mpls[0].bottom_of_stack);
    EXPECT_EQ(p.mpls[1].label, 299776u);
    EXPECT_EQ(p.mpls[1].traffic_class, 5);
    EXPECT_TRUE(p.mpls[1].bottom_of_stack);
  }
}

TEST(TraceMatch, MplsAndInterfaceInformationFromBuiltExtensions) {
  for (const char* family : {"v4", "v6"}) {
    Driver d;
    const bool v4 = std::string(family) == "v4";
    d.net.source = ip(v4 ? "10.0.0.2" : "2001:db8::2");
    d.net.destination = ip(v4 ? "192.0.2.9" : "2001:db8:9::9");
    const wire::IpAddress router = ip(v4 ? "10.0.1.1" : "2001:db8:1::1");
    d.net.hops = {trace_test::SimHop{{router}}};
    std::vector<std::byte> ext(256);
    const std::array<wire::MplsLabelEntry, 1> labels{wire::MplsLabelEntry{24005, 3, true, 1}};
    wire::InterfaceInformationFields info;
    info.role = wire::InterfaceRole::incoming;
    info.if_index = 7;
    info.address = router;
    info.name = "ge-0/0/1";
    info.mtu = 1500;
    auto n = wire::ExtensionBuilder(ext).add_mpls_label_stack(labels).add_interface_information(info).finish();
    ASSERT_TRUE(n);
    ext.resize(*n);
    d.net.hops[0].extensions = ext;
    TraceConfig c;
    c.destination = d.net.destination;
    c.source = d.net.source;
    c.max_ttl = 5;
    auto id = d.engine.add_trace(c, d.now);
    d.run();
    const TraceResult& r = d.finished.at(*id);
    ASSERT_EQ(r.hops.size(), 2u);
    for (const ProbeResult& p : r.hops[0].probes) {
      ASSERT_EQ(p.mpls.size(), 1u) << family;
      EXPECT_EQ(p.mpls[0].label, 24005u);
      EXPECT_EQ(p.mpls[0].traffic_class, 3);
      ASSERT_EQ(p.interfaces.size(), 1u);
      EXPECT_EQ(p.interfaces[0].if_index, 7u);
      EXPECT_EQ(p.interfaces[0].address, router);
      EXPECT_EQ(p.interfaces[0].name, std::string("ge-0/0/1"));
      EXPECT_EQ(p.interfaces[0].mtu, 1500u);
    }
    EXPECT_TRUE(r.hops[1].probes[0].mpls.empty());
  }
}

TEST(TraceMatch, PingSocketErrorQueueRecordsMatchBySequence) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  c.method = ProbeMethod::icmp_echo;
  c.queries = 1;
  c.max_ttl = 2;
  ASSERT_TRUE(engine.add_trace(c, {}));
  auto sent = send_all(engine, {});
  ASSERT_EQ(sent.size(), 2u);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    // What recvmsg(MSG_ERRQUEUE) returns on a ping socket: the echo request as
    // sent, with the identifier the kernel put in.
    std::vector<std::byte> probe = sent[i].transport;
    probe[4] = std::byte{0x42};
    probe[5] = std::byte{0x17};
    ErrorQueueRecord rec;
    rec.origin = ErrorQueueRecord::Origin::icmp;
    rec.socket = ErrorQueueRecord::SocketKind::ping;
    rec.type = i == 0 ? 11 : 3;
    rec.code = i == 0 ? 0 : 13;
    rec.offender = ip(i == 0 ? "10.0.1.1" : "10.0.2.1");
    rec.destination = c.destination;
    rec.probe = probe;
    rec.reply_ttl = wire::Ttl(250);
    ASSERT_TRUE(engine.on_error_queue(TraceTime{} + 3ms, rec));
  }
  const auto events = events_of(engine);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<HopEvent>(events[0]).hop.probes[0].responder, ip("10.0.1.1"));
  const ProbeResult& p = std::get<HopEvent>(events[1]).hop.probes[0];
  EXPECT_EQ(p.reason, ProbeReason::prohibited);
  EXPECT_EQ(p.flag, "!X");
  EXPECT_EQ(p.rtt, 3ms);
  EXPECT_EQ(p.reply_ttl, wire::Ttl(250));
  EXPECT_EQ(std::get<TraceFinished>(events[2]).result.stop, StopReason::unreachable);
}

TEST(TraceMatch, UdpSocketErrorQueueRecordsMatchParisProbesByPayload) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip("2001:db8:9::9");
  c.flow_mode = FlowMode::paris;
  c.queries = 2;
  c.max_ttl = 1;
  ASSERT_TRUE(engine.add_trace(c, {}));
  auto sent = send_all(engine, {});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].destination_port, sent[1].destination_port);
  ErrorQueueRecord rec;
  rec.origin = ErrorQueueRecord::Origin::icmp6;
  rec.socket = ErrorQueueRecord::SocketKind::udp;
  rec.type = 3;
  rec.offender = ip("2001:db8:1::1");
  rec.destination = c.destination;
  rec.destination_port = sent[1].destination_port;
  rec.probe = sent[1].payload;
  ASSERT_TRUE(engine.on_error_queue({}, rec));
  rec.probe = sent[0].payload;
  rec.destination_port = 9;  // wrong port: not this probe
  EXPECT_FALSE(engine.on_error_queue({}, rec));
  rec.destination_port = sent[0].destination_port;
  ASSERT_TRUE(engine.on_error_queue({}, rec));
  const auto events = events_of(engine);
  ASSERT_EQ(events.size(), 2u);
  for (const auto& p : std::get<HopEvent>(events[0]).hop.probes) EXPECT_EQ(p.reason, ProbeReason::time_exceeded);
}

TEST(TraceMatch, LocalEmsgsizeLowersTheMtuInMtuMode) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  c.path_mtu = 9000;
  c.queries = 1;
  c.max_ttl = 1;
  ASSERT_TRUE(engine.add_trace(c, {}));
  auto sent = send_all(engine, {});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ip_length, 9000u);
  EXPECT_EQ(sent[0].payload.size(), 9000u - 28u);
  ErrorQueueRecord rec;
  rec.origin = ErrorQueueRecord::Origin::local;
  rec.socket = ErrorQueueRecord::SocketKind::udp;
  rec.error_number = EMSGSIZE;
  rec.info = 1500;
  rec.destination = c.destination;
  rec.destination_port = sent[0].destination_port;
  rec.probe = sent[0].payload;
  ASSERT_TRUE(engine.on_error_queue({}, rec));
  auto again = send_all(engine, {});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].ip_length, 1500u);
  EXPECT_EQ(again[0].ttl, wire::Ttl(1));
  // The same through a failed send.
  engine.on_send_failed(again[0].probe, std::make_error_code(std::errc::message_size), {}, 1400);
  auto third = send_all(engine, {});
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].ip_length, 1400u);
}

TEST(TraceMatch, TcpResetAndSynAckFromTheDestination) {
  for (const bool reset : {true, false}) {
    TraceEngine engine;
    TraceConfig c;
    c.destination = ip("192.0.2.9");
    c.source = ip("10.0.0.2");
    c.source_port = 50123;
    c.method = ProbeMethod::tcp_syn;
    c.queries = 1;
    c.max_ttl = 1;
    ASSERT_TRUE(engine.add_trace(c, {}));
    auto sent = send_all(engine, {});
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].destination_port, 80);
    auto syn = wire::parse_tcp(sent[0].transport);
    ASSERT_TRUE(syn);
    wire::TcpFields f;
    f.source_port = 80;
    f.destination_port = 50123;
    f.ack = syn->seq + 1;
    f.flags = reset ? (wire::tcp_flag::rst | wire::tcp_flag::ack) : (wire::tcp_flag::syn | wire::tcp_flag::ack);
    std::vector<std::byte> segment(20);
    ASSERT_TRUE(wire::encode_tcp(f, {}, 0, segment));
    // An answer for another sequence is not ours.
    wire::TcpFields wrong = f;
    wrong.ack = syn->seq + 2;
    std::vector<std::byte> other(20);
    ASSERT_TRUE(wire::encode_tcp(wrong, {}, 0, other));
    EXPECT_FALSE(engine.on_tcp({}, TcpInput{c.destination, other, {}}));
    ASSERT_TRUE(engine.on_tcp({}, TcpInput{c.destination, segment, {}}));
    const auto events = events_of(engine);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(std::get<HopEvent>(events[0]).hop.reason, reset ? ProbeReason::tcp_reset : ProbeReason::tcp_syn_ack);
    EXPECT_EQ(std::get<TraceFinished>(events[1]).result.stop, StopReason::destination_reached);
  }
}

TEST(TraceMatch, GarbageIsIgnored) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  ASSERT_TRUE(engine.add_trace(c, {}));
  send_all(engine, {});
  const std::vector<std::byte> short_message(3);
  EXPECT_FALSE(engine.on_icmp({}, IcmpInput{ip("10.0.0.1"), short_message, {}}));
  std::vector<std::byte> te(8 + 10);
  te[0] = std::byte{11};  // time exceeded quoting 10 bytes: no whole IP header
  EXPECT_FALSE(engine.on_icmp({}, IcmpInput{ip("10.0.0.1"), te, {}}));
  ErrorQueueRecord rec;
  rec.destination = c.destination;
  EXPECT_FALSE(engine.on_error_queue({}, rec));
  EXPECT_EQ(engine.probes_in_flight(), 16u);
}

}  // namespace
}  // namespace icmpkit::engine
