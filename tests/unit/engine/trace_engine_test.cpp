// The traceroute engine in hops mode against a simulated network: hop
// bookkeeping, parallelism, adaptive wait, stop conditions, flow fields,
// send failures, MTU mode and many traces at once.
#include "icmpkit/engine/trace_engine.hpp"

#include <gtest/gtest.h>

#include <set>

#include "icmpkit/engine/trace_probe.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/transport.hpp"
#include "trace_test_network.hpp"

namespace icmpkit::engine {
namespace {

using trace_test::Driver;
using trace_test::ip;
using trace_test::linear_v4;
using namespace std::chrono_literals;

TraceConfig config_for(const trace_test::SimNetwork& net, ProbeMethod method = ProbeMethod::udp) {
  TraceConfig c;
  c.destination = net.destination;
  c.source = net.source;
  c.method = method;
  c.source_port = 40001;
  c.max_ttl = 10;
  return c;
}

TEST(TraceEngine, ReportsEveryHopInOrderUpToTheDestination) {
  Driver d;
  d.net = linear_v4(3);
  auto id = d.engine.add_trace(config_for(d.net), d.now);
  ASSERT_TRUE(id);
  d.run();
  ASSERT_EQ(d.finished.size(), 1u);
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::destination_reached);
  ASSERT_EQ(r.hops.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    const HopResult& hop = r.hops[i];
    EXPECT_EQ(hop.ttl, wire::Ttl(static_cast<std::uint8_t>(i + 1)));
    EXPECT_EQ(hop.reason, ProbeReason::time_exceeded);
    ASSERT_EQ(hop.probes.size(), 3u);
    ASSERT_EQ(hop.interfaces.size(), 1u);
    EXPECT_EQ(hop.interfaces[0], d.net.hops[i].choices[0]);
    for (const ProbeResult& p : hop.probes) {
      EXPECT_EQ(p.reason, ProbeReason::time_exceeded);
      EXPECT_EQ(p.rtt, d.net.per_hop * static_cast<long>(i + 1));
      EXPECT_EQ(p.icmp_type, 11);
      EXPECT_EQ(p.reply_ttl, wire::Ttl(60));
      EXPECT_EQ(p.quoted_ttl, wire::Ttl(1));
    }
  }
  EXPECT_EQ(r.hops[3].reason, ProbeReason::port_unreachable);
  EXPECT_EQ(r.hops[3].interfaces[0], d.net.destination);
  // Events came hop by hop, in TTL order, before the end.
  ASSERT_EQ(d.hop_events.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(d.hop_events[i].hop.ttl.value(), i + 1);
  // Nothing was sent beyond the destination's TTL once it answered... except
  // what was already in flight (parallel 16 covers TTL 1..6 at once).
  EXPECT_EQ(d.engine.active_traces(), 0u);
  EXPECT_EQ(d.engine.probes_in_flight(), 0u);
}

TEST(TraceEngine, HoldsParallelProbesToTheLimit) {
  Driver d;
  d.net = linear_v4(20);
  for (auto& h : d.net.hops) h.silent = true;
  TraceConfig c = config_for(d.net);
  c.parallel = 5;
  c.max_ttl = 4;
  c.wait.max = 1s;
  ASSERT_TRUE(d.engine.add_trace(c, d.now));
  d.send_all();
  EXPECT_EQ(d.sent.size(), 5u);
  EXPECT_EQ(d.engine.probes_in_flight(), 5u);
  EXPECT_FALSE(d.engine.poll_transmit(d.now).has_value());
  d.run();
  EXPECT_EQ(d.sent.size(), 12u);  // 4 TTLs x 3 queries, none lost
  EXPECT_LE(d.max_in_flight_seen, 5u);
  const TraceResult& r = d.finished.begin()->second;
  EXPECT_EQ(r.stop, StopReason::max_ttl);
  ASSERT_EQ(r.hops.size(), 4u);
  for (const auto& hop : r.hops) {
    EXPECT_EQ(hop.reason, ProbeReason::timeout);
    for (const auto& p : hop.probes) EXPECT_EQ(p.reason, ProbeReason::timeout);
  }
}

TEST(TraceEngine, WaitAdaptsToRttsAlreadySeen) {
  TraceEngine engine;
  TraceTime t0{};
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  c.max_ttl = 3;
  c.queries = 2;
  auto id = engine.add_trace(c, t0);
  ASSERT_TRUE(id);
  std::vector<TraceTransmit> sent;
  while (auto t = engine.poll_transmit(t0)) sent.push_back(*t);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(engine.next_deadline(), t0 + 5s);  // nothing seen: MAX

  // The first probe of TTL 2 is answered after 9 ms (UDP socket: error queue).
  ErrorQueueRecord rec;
  rec.origin = ErrorQueueRecord::Origin::icmp;
  rec.socket = ErrorQueueRecord::SocketKind::udp;
  rec.type = 11;
  rec.offender = ip("10.0.2.1");
  rec.destination = c.destination;
  rec.destination_port = sent[2].destination_port;
  rec.probe = sent[2].payload;
  ASSERT_TRUE(engine.on_error_queue(t0 + 9ms, rec));
  // TTL 2's other probe: HERE 3 x (9 + 1) ms. TTL 1: NEAR 10 x 10 ms. TTL 3: MAX.
  EXPECT_EQ(engine.next_deadline(), t0 + 30ms);
  engine.on_timer(t0 + 30ms);
  EXPECT_EQ(engine.probes_in_flight(), 4u);
  EXPECT_EQ(engine.next_deadline(), t0 + 100ms);
  engine.on_timer(t0 + 100ms);
  EXPECT_EQ(engine.probes_in_flight(), 2u);
  // TTL 1 and 2 are complete and reported; TTL 3 still waits for MAX.
  auto e1 = engine.poll_event();
  ASSERT_TRUE(e1);
  EXPECT_EQ(std::get<HopEvent>(*e1).hop.ttl, wire::Ttl(1));
  EXPECT_EQ(std::get<HopEvent>(*e1).hop.reason, ProbeReason::timeout);
  auto e2 = engine.poll_event();
  ASSERT_TRUE(e2);
  const HopResult& hop2 = std::get<HopEvent>(*e2).hop;
  EXPECT_EQ(hop2.reason, ProbeReason::time_exceeded);
  EXPECT_EQ(hop2.probes[0].rtt, 9ms);
  EXPECT_EQ(hop2.probes[1].reason, ProbeReason::timeout);
  EXPECT_FALSE(engine.poll_event());
  EXPECT_EQ(engine.next_deadline(), t0 + 5s);
}

// The extension structure r3 of the trace lab (tests/integration/trace)
// appended to a Time Exceeded, as recvmsg(MSG_ERRQUEUE) returned it there as
// nobody (IPv4): MPLS 16001/24002 and interface 3, 10.202.5.2, "eth-mpls0", MTU 1500.
const std::vector<std::uint8_t> lab_extensions_v4 = {
    0x20, 0x00, 0xfa, 0x79, 0x00, 0x0c, 0x01, 0x01, 0x03, 0xe8, 0x10, 0x01, 0x05, 0xdc, 0x21, 0x01,
    0x00, 0x20, 0x02, 0x0f, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x0a, 0xca, 0x05, 0x02,
    0x0c, 0x65, 0x74, 0x68, 0x2d, 0x6d, 0x70, 0x6c, 0x73, 0x30, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc};

// What the error queue returns after the probe: the rest of the 128-byte
// padded original datagram (RFC 4884 section 4.1), then the structure.
std::vector<std::byte> queued_with_extensions(const std::vector<std::byte>& returned, std::size_t extensions_at,
                                              const std::vector<std::uint8_t>& extensions) {
  std::vector<std::byte> out = returned;
  out.resize(extensions_at, std::byte{0});
  for (std::uint8_t b : extensions) out.push_back(std::byte{b});
  return out;
}

struct QueuedExtensionCase {
  ProbeMethod method;
  ErrorQueueRecord::SocketKind socket;
  std::size_t extensions_at;  // 128 - inner IP header - UDP header when not returned
  bool v6 = false;
};

ProbeResult settle_with_queued_extensions(const QueuedExtensionCase& k, const std::vector<std::uint8_t>& extensions) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip(k.v6 ? "2001:db8:9::9" : "192.0.2.9");
  c.method = k.method;
  c.max_ttl = 1;
  c.queries = 1;
  EXPECT_TRUE(engine.add_trace(c, {}));
  auto sent = engine.poll_transmit({});
  EXPECT_TRUE(sent);
  if (!sent) return {};
  const std::vector<std::byte>& returned =
      k.socket == ErrorQueueRecord::SocketKind::ping ? sent->transport : sent->payload;
  EXPECT_LT(returned.size(), k.extensions_at);
  const std::vector<std::byte> bytes = queued_with_extensions(returned, k.extensions_at, extensions);
  ErrorQueueRecord rec;
  rec.origin = k.v6 ? ErrorQueueRecord::Origin::icmp6 : ErrorQueueRecord::Origin::icmp;
  rec.socket = k.socket;
  rec.type = k.v6 ? 3 : 11;
  rec.offender = ip(k.v6 ? "2001:db8:3::3" : "10.202.5.2");
  rec.destination = c.destination;
  rec.destination_port = sent->destination_port;
  rec.probe = bytes;
  EXPECT_TRUE(engine.on_error_queue({}, rec));
  auto event = engine.poll_event();
  EXPECT_TRUE(event);
  if (!event || !std::holds_alternative<HopEvent>(*event)) return {};
  return std::get<HopEvent>(*event).hop.probes.at(0);
}

TEST(TraceEngine, ErrorQueueRecordsYieldTheExtensionsAfterThePaddedDatagram) {
  // Offsets seen in the lab: 128 - 20 (IPv4) or 40 (IPv6), less the UDP
  // header that a UDP socket does not return.
  for (const QueuedExtensionCase& k : {QueuedExtensionCase{ProbeMethod::udp, ErrorQueueRecord::SocketKind::udp, 100},
                                       QueuedExtensionCase{ProbeMethod::icmp_echo, ErrorQueueRecord::SocketKind::ping,
                                                           108},
                                       QueuedExtensionCase{ProbeMethod::udp, ErrorQueueRecord::SocketKind::udp, 80,
                                                           true},
                                       QueuedExtensionCase{ProbeMethod::icmp_echo, ErrorQueueRecord::SocketKind::ping,
                                                           88, true}}) {
    SCOPED_TRACE(k.extensions_at);
    const ProbeResult p = settle_with_queued_extensions(k, lab_extensions_v4);
    EXPECT_EQ(p.reason, ProbeReason::time_exceeded);
    EXPECT_FALSE(p.bad_extensions);
    ASSERT_EQ(p.mpls.size(), 2u);
    EXPECT_EQ(p.mpls[0].label, 16001u);
    EXPECT_FALSE(p.mpls[0].bottom_of_stack);
    EXPECT_EQ(p.mpls[1].label, 24002u);
    EXPECT_TRUE(p.mpls[1].bottom_of_stack);
    ASSERT_EQ(p.interfaces.size(), 1u);
    EXPECT_EQ(p.interfaces[0].if_index, 3u);
    EXPECT_EQ(p.interfaces[0].address, ip("10.202.5.2"));
    EXPECT_EQ(p.interfaces[0].name, "eth-mpls0");
    EXPECT_EQ(p.interfaces[0].mtu, 1500u);
  }
}

TEST(TraceEngine, ErrorQueueBytesWithoutAVerifiedChecksumAreNotExtensions) {
  const QueuedExtensionCase k{ProbeMethod::udp, ErrorQueueRecord::SocketKind::udp, 100};
  std::vector<std::uint8_t> corrupted = lab_extensions_v4;
  corrupted[10] ^= 0x01;  // checksum no longer verifies
  std::vector<std::uint8_t> unchecked = lab_extensions_v4;
  unchecked[2] = unchecked[3] = 0;  // no checksum: indistinguishable from quoted data
  std::vector<std::uint8_t> misplaced(4, 0);
  misplaced.insert(misplaced.end(), lab_extensions_v4.begin(), lab_extensions_v4.end());  // not at the padded offset
  for (const auto& extensions : {corrupted, unchecked, misplaced}) {
    const ProbeResult p = settle_with_queued_extensions(k, extensions);
    EXPECT_EQ(p.reason, ProbeReason::time_exceeded);
    EXPECT_TRUE(p.mpls.empty());
    EXPECT_TRUE(p.interfaces.empty());
    EXPECT_FALSE(p.bad_extensions);
  }
}

TEST(TraceEngine, StopsAtAnUnreachableWithItsFlag) {
  Driver d;
  d.net = linear_v4(5);
  d.net.hops[1].unreachable_code = 1;  // the second router says host unreachable
  auto id = d.engine.add_trace(config_for(d.net), d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::unreachable);
  ASSERT_EQ(r.hops.size(), 3u);
  EXPECT_EQ(r.hops[2].reason, ProbeReason::host_unreachable);
  for (const auto& p : r.hops[2].probes) {
    EXPECT_EQ(p.flag, "!H");
    EXPECT_EQ(p.responder, d.net.hops[1].choices[0]);
  }
  EXPECT_EQ(d.hop_events.size(), 3u);
}

TEST(TraceEngine, ClassicUdpIncrementsTheDestinationPort) {
  Driver d;
  d.net = linear_v4(3);
  TraceConfig c = config_for(d.net);
  c.source.reset();  // an ordinary UDP socket: payload only
  ASSERT_TRUE(d.engine.add_trace(c, d.now));
  d.run();
  ASSERT_GE(d.sent.size(), 12u);
  for (std::size_t i = 0; i < d.sent.size(); ++i) {
    EXPECT_EQ(d.sent[i].destination_port, 33434 + i);
    EXPECT_TRUE(d.sent[i].transport.empty());
    EXPECT_EQ(d.sent[i].payload.size(), c.payload_size);
    EXPECT_EQ(d.sent[i].ttl.value(), 1 + i / 3);
  }
  EXPECT_EQ(d.finished.begin()->second.stop, StopReason::destination_reached);
}

TEST(TraceEngine, ParisProbesKeepTheirFlowFields) {
  for (ProbeMethod m : {ProbeMethod::udp, ProbeMethod::icmp_echo, ProbeMethod::tcp_syn}) {
    Driver d;
    d.net = linear_v4(4);
    TraceConfig c = config_for(d.net, m);
    c.flow_mode = FlowMode::paris;
    c.traffic_class = 0x20;
    ASSERT_TRUE(d.engine.add_trace(c, d.now));
    d.run();
    ASSERT_GE(d.sent.size(), 15u);
    std::set<std::uint32_t> flow_words;  // first 4 bytes of the upper layer: what ECMP hashes
    std::set<std::uint32_t> ids;
    for (const TraceTransmit& t : d.sent) {
      EXPECT_EQ(t.source_port, d.sent[0].source_port);
      EXPECT_EQ(t.destination_port, d.sent[0].destination_port);
      EXPECT_EQ(t.traffic_class, 0x20);
      EXPECT_EQ(t.flow, 0);
      flow_words.insert(wire::detail::load_be32(t.transport, 0));
      if (m == ProbeMethod::icmp_echo) {
        ids.insert(wire::detail::load_be16(t.transport, 6));  // sequence
        EXPECT_EQ(wire::detail::load_be16(t.transport, 2), wire::detail::load_be16(d.sent[0].transport, 2));
      } else if (m == ProbeMethod::udp) {
        ids.insert(wire::detail::load_be16(t.transport, 6));  // checksum
      } else {
        ids.insert(wire::detail::load_be32(t.transport, 4));  // sequence
      }
    }
    EXPECT_EQ(flow_words.size(), 1u) << static_cast<int>(m);
    EXPECT_EQ(ids.size(), d.sent.size()) << "probes must still be told apart";
    const TraceResult& r = d.finished.begin()->second;
    EXPECT_EQ(r.stop, StopReason::destination_reached);
    ASSERT_EQ(r.hops.size(), 5u);
    EXPECT_EQ(r.hops.back().reason, m == ProbeMethod::udp        ? ProbeReason::port_unreachable
                                    : m == ProbeMethod::icmp_echo ? ProbeReason::echo_reply
                                                                  : ProbeReason::tcp_syn_ack);
  }
}

TEST(TraceEngine, MatchesQuotesCutToEightBytes) {
  // RFC 792 routers quote only the IP header and 8 bytes: the ports and the
  // UDP checksum (Paris: the token is recovered from the checksum) or the
  // TCP sequence must do.
  for (FlowMode mode : {FlowMode::classic, FlowMode::paris}) {
    for (ProbeMethod m : {ProbeMethod::udp, ProbeMethod::icmp_echo, ProbeMethod::tcp_syn}) {
      Driver d;
      d.net = linear_v4(3);
      d.net.quote_limit = 28;
      TraceConfig c = config_for(d.net, m);
      c.flow_mode = mode;
      auto id = d.engine.add_trace(c, d.now);
      ASSERT_TRUE(id);
      d.run();
      const TraceResult& r = d.finished.at(*id);
      EXPECT_EQ(r.stop, StopReason::destination_reached);
      ASSERT_EQ(r.hops.size(), 4u);
      for (const auto& hop : r.hops) {
        for (const auto& p : hop.probes) EXPECT_NE(p.reason, ProbeReason::timeout) << static_cast<int>(m);
      }
    }
  }
}

TEST(TraceEngine, TracesOverIpv6) {
  Driver d;
  d.net.source = ip("2001:db8::2");
  d.net.destination = ip("2001:db8:9::9");
  d.net.hops = {trace_test::SimHop{{ip("2001:db8:1::1")}}, trace_test::SimHop{{ip("2001:db8:2::1")}}};
  for (ProbeMethod m : {ProbeMethod::udp, ProbeMethod::icmp_echo}) {
    auto id = d.engine.add_trace(config_for(d.net, m), d.now);
    ASSERT_TRUE(id);
    d.run();
    const TraceResult& r = d.finished.at(*id);
    EXPECT_EQ(r.stop, StopReason::destination_reached);
    ASSERT_EQ(r.hops.size(), 3u);
    EXPECT_EQ(r.hops[1].interfaces[0], ip("2001:db8:2::1"));
  }
}

TEST(TraceEngine, FailedSendsAreRetriedThenReported) {
  Driver d;
  d.net = linear_v4(2);
  TraceConfig c = config_for(d.net);
  c.max_send_attempts = 3;
  // Sends 0 and 4 fail once each (EHOSTUNREACH after a queued error).
  d.fail_send = [](const TraceTransmit&, std::size_t index) { return index == 0 || index == 4; };
  auto id = d.engine.add_trace(c, d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  ASSERT_EQ(r.hops.size(), 3u);
  for (const auto& hop : r.hops) {
    for (const auto& p : hop.probes) EXPECT_NE(p.reason, ProbeReason::send_failed);
  }
  EXPECT_EQ(r.hops[0].probes[0].send_attempts, 2u);
  EXPECT_EQ(r.hops[0].probes[0].send_error, std::make_error_code(std::errc::host_unreachable));

  // A probe that never goes out is an outcome, and its hop is still reported.
  Driver e;
  e.net = linear_v4(2);
  e.fail_send = [](const TraceTransmit& t, std::size_t) { return t.ttl == wire::Ttl(1); };
  auto id2 = e.engine.add_trace(c, e.now);
  e.run();
  const TraceResult& r2 = e.finished.at(*id2);
  ASSERT_EQ(r2.hops.size(), 3u);
  EXPECT_EQ(r2.stop, StopReason::destination_reached);
  EXPECT_EQ(r2.hops[0].reason, ProbeReason::send_failed);
  for (const auto& p : r2.hops[0].probes) {
    EXPECT_EQ(p.reason, ProbeReason::send_failed);
    EXPECT_EQ(p.send_attempts, 3u);
    EXPECT_EQ(p.send_error, std::make_error_code(std::errc::host_unreachable));
  }
  EXPECT_EQ(r2.hops[1].reason, ProbeReason::time_exceeded);
}

TEST(TraceEngine, PathMtuModeFollowsFragNeeded) {
  Driver d;
  d.net = linear_v4(4);
  d.net.hops[0].mtu_after = 1400;
  d.net.hops[2].mtu_after = 1280;
  TraceConfig c = config_for(d.net);
  c.path_mtu = 1500;
  auto id = d.engine.add_trace(c, d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::destination_reached);
  EXPECT_EQ(r.path_mtu, 1280u);
  ASSERT_EQ(r.hops.size(), 5u);
  EXPECT_EQ(r.hops[0].mtu, 1500u);
  EXPECT_EQ(r.hops[1].mtu, 1400u);
  EXPECT_EQ(r.hops[2].mtu, 1400u);
  EXPECT_EQ(r.hops[3].mtu, 1280u);
  EXPECT_EQ(r.hops[4].mtu, 1280u);
  for (const TraceTransmit& t : d.sent) {
    EXPECT_TRUE(t.dont_fragment);
    EXPECT_EQ(t.ip_length, 20 + t.transport.size());
  }
  for (const auto& hop : r.hops) {
    for (const auto& p : hop.probes) EXPECT_NE(p.reason, ProbeReason::fragmentation_needed);
  }
}

TEST(TraceEngine, WithoutMtuModeFragNeededEndsTheTrace) {
  Driver d;
  d.net = linear_v4(3);
  d.net.hops[0].mtu_after = 40;
  auto id = d.engine.add_trace(config_for(d.net), d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::unreachable);
  ASSERT_EQ(r.hops.size(), 2u);
  EXPECT_EQ(r.hops[1].probes[0].flag, "!F-40");
}

TEST(TraceEngine, RunsManyTracesAtOnce) {
  Driver d;
  d.net = linear_v4(3);
  constexpr int traces = 40;
  // One engine, one simulated network: every destination sits behind the same 3 routers.
  for (int i = 0; i < traces; ++i) {
    TraceConfig c = config_for(d.net, i % 2 ? ProbeMethod::udp : ProbeMethod::icmp_echo);
    c.destination = ip(("192.0.2." + std::to_string(10 + i)).c_str());
    c.flow_mode = i % 3 ? FlowMode::classic : FlowMode::paris;
    auto id = d.engine.add_trace(c, d.now);
    ASSERT_TRUE(id);
  }
  EXPECT_EQ(d.engine.active_traces(), static_cast<std::size_t>(traces));
  d.run();
  ASSERT_EQ(d.finished.size(), static_cast<std::size_t>(traces));
  for (const auto& [id, r] : d.finished) {
    EXPECT_EQ(r.stop, StopReason::destination_reached) << r.destination.to_string();
    ASSERT_EQ(r.hops.size(), 4u);
    EXPECT_EQ(r.hops[3].interfaces.size(), 1u);
    EXPECT_EQ(r.hops[3].interfaces[0], r.destination);
    for (const auto& hop : r.hops) {
      for (const auto& p : hop.probes) EXPECT_NE(p.reason, ProbeReason::timeout);
    }
  }
}

TEST(TraceEngine, CancelEndsATrace) {
  Driver d;
  d.net = linear_v4(3);
  auto id = d.engine.add_trace(config_for(d.net), d.now);
  d.send_all();
  d.engine.cancel(*id);
  d.drain_events();
  ASSERT_EQ(d.finished.size(), 1u);
  EXPECT_EQ(d.finished.at(*id).stop, StopReason::cancelled);
  EXPECT_EQ(d.engine.probes_in_flight(), 0u);
  EXPECT_EQ(d.engine.active_traces(), 0u);
}

TEST(TraceEngine, RejectsBadConfigurations) {
  TraceEngine engine;
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  c.first_ttl = 0;
  EXPECT_FALSE(engine.add_trace(c, {}));
  c.first_ttl = 5;
  c.max_ttl = 4;
  EXPECT_FALSE(engine.add_trace(c, {}));
  c.max_ttl = 30;
  c.method = ProbeMethod::tcp_syn;
  EXPECT_FALSE(engine.add_trace(c, {}));  // no source
  c.method = ProbeMethod::udp;
  c.source = ip("2001:db8::1");
  EXPECT_FALSE(engine.add_trace(c, {}));  // family mismatch
  c.source.reset();
  c.path_mtu = 30;
  EXPECT_FALSE(engine.add_trace(c, {}));
  c.path_mtu.reset();
  EXPECT_TRUE(engine.add_trace(c, {}));
}

}  // namespace
}  // namespace icmpkit::engine
