// Multipath discovery (MDA) against simulated ECMP networks whose routers
// pick the next hop by hashing the probe's flow fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "icmpkit/engine/mda_stopping.hpp"
#include "icmpkit/engine/trace_engine.hpp"
#include "trace_test_network.hpp"

namespace icmpkit::engine {
namespace {

using trace_test::Driver;
using trace_test::ip;
using trace_test::SimHop;

std::set<std::string> names(const std::vector<wire::IpAddress>& addresses) {
  std::set<std::string> out;
  for (const auto& a : addresses) out.insert(a.to_string());
  return out;
}

std::set<std::pair<std::string, std::string>> names(const std::vector<HopLink>& links) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& l : links) out.emplace(l.from.to_string(), l.to.to_string());
  return out;
}

TraceConfig mda_config(const trace_test::SimNetwork& net, ProbeMethod method = ProbeMethod::udp) {
  TraceConfig c;
  c.destination = net.destination;
  c.source = net.source;
  c.method = method;
  c.mode = TraceMode::multipath;
  c.source_port = 40000;
  c.max_ttl = 12;
  return c;
}

// source -> A -> {B1, B2} -> C -> destination
trace_test::SimNetwork diamond() {
  trace_test::SimNetwork n;
  n.source = ip("10.0.0.2");
  n.destination = ip("192.0.2.9");
  n.hops = {SimHop{{ip("10.1.0.1")}}, SimHop{{ip("10.2.0.1"), ip("10.2.0.2")}}, SimHop{{ip("10.3.0.1")}}};
  return n;
}

TEST(MdaTrace, FindsBothBranchesOfAnEcmpPair) {
  for (ProbeMethod m : {ProbeMethod::udp, ProbeMethod::icmp_echo, ProbeMethod::tcp_syn}) {
    SCOPED_TRACE(static_cast<int>(m));
    Driver d;
    d.net = diamond();
    auto id = d.engine.add_trace(mda_config(d.net, m), d.now);
    ASSERT_TRUE(id);
    d.run();
    const TraceResult& r = d.finished.at(*id);
    EXPECT_EQ(r.stop, StopReason::destination_reached) << static_cast<int>(m);
    ASSERT_EQ(r.hops.size(), 4u);
    EXPECT_EQ(names(r.hops[0].interfaces), (std::set<std::string>{"10.1.0.1"}));
    EXPECT_EQ(names(r.hops[1].interfaces), (std::set<std::string>{"10.2.0.1", "10.2.0.2"})) << static_cast<int>(m);
    EXPECT_EQ(names(r.hops[2].interfaces), (std::set<std::string>{"10.3.0.1"}));
    EXPECT_EQ(names(r.hops[3].interfaces), (std::set<std::string>{"192.0.2.9"}));
    EXPECT_EQ(names(r.hops[1].links), (std::set<std::pair<std::string, std::string>>{{"10.1.0.1", "10.2.0.1"},
                                                                                     {"10.1.0.1", "10.2.0.2"}}));
    EXPECT_EQ(names(r.hops[2].links), (std::set<std::pair<std::string, std::string>>{{"10.2.0.1", "10.3.0.1"},
                                                                                     {"10.2.0.2", "10.3.0.1"}}));
    EXPECT_EQ(names(r.hops[3].links), (std::set<std::pair<std::string, std::string>>{{"10.3.0.1", "192.0.2.9"}}));
  }
}

TEST(MdaTrace, FindsBothBranchesOverIpv6) {
  Driver d;
  d.net.source = ip("2001:db8::2");
  d.net.destination = ip("2001:db8:9::9");
  d.net.hops = {SimHop{{ip("2001:db8:1::1")}}, SimHop{{ip("2001:db8:2::1"), ip("2001:db8:2::2")}}};
  auto id = d.engine.add_trace(mda_config(d.net), d.now);
  ASSERT_TRUE(id);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::destination_reached);
  ASSERT_EQ(r.hops.size(), 3u);
  EXPECT_EQ(names(r.hops[1].interfaces), (std::set<std::string>{"2001:db8:2::1", "2001:db8:2::2"}));
  EXPECT_EQ(r.hops[2].links.size(), 2u);
}

TEST(MdaTrace, ProbesEachHopAsTheStoppingRuleSays) {
  // A single path: one interface per TTL, so every vertex needs n_1 probes.
  Driver d;
  d.net = trace_test::linear_v4(3);
  auto id = d.engine.add_trace(mda_config(d.net), d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  ASSERT_EQ(r.hops.size(), 4u);
  for (const auto& hop : r.hops) {
    EXPECT_EQ(hop.probes.size(), mda_probes_needed(1)) << int(hop.ttl.value());
    EXPECT_EQ(hop.interfaces.size(), 1u);
  }
  // Paris flow fields: each flow is one destination port, probes of one flow share it.
  std::set<std::uint16_t> ports;
  for (const auto& t : d.sent) {
    EXPECT_EQ(t.destination_port, 33434 + t.flow);
    EXPECT_EQ(t.source_port, 40000);
    ports.insert(t.destination_port);
  }
  EXPECT_EQ(ports.size(), mda_probes_needed(1));
  // The ECMP pair needs n_2 probes at its TTL from the vertex before it.
  Driver e;
  e.net = diamond();
  auto id2 = e.engine.add_trace(mda_config(e.net), e.now);
  e.run();
  const TraceResult& r2 = e.finished.at(*id2);
  EXPECT_GE(r2.hops[1].probes.size(), mda_probes_needed(2));
  EXPECT_GE(r2.hops[2].probes.size(), mda_probes_needed(1));
}

TEST(MdaTrace, FindsAFourWayFanOutAndNestedBranches) {
  Driver d;
  d.net.source = ip("10.0.0.2");
  d.net.destination = ip("192.0.2.9");
  d.net.hops = {SimHop{{ip("10.1.0.1")}},
                SimHop{{ip("10.2.0.1"), ip("10.2.0.2"), ip("10.2.0.3"), ip("10.2.0.4")}},
                SimHop{{ip("10.3.0.1"), ip("10.3.0.2")}},
                SimHop{{ip("10.4.0.1")}}};
  TraceConfig c = mda_config(d.net);
  c.mda.confidence = 0.99;
  auto id = d.engine.add_trace(c, d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::destination_reached);
  ASSERT_EQ(r.hops.size(), 5u);
  EXPECT_EQ(r.hops[1].interfaces.size(), 4u);
  EXPECT_EQ(r.hops[2].interfaces.size(), 2u);
  EXPECT_EQ(r.hops[3].interfaces.size(), 1u);
  // Every interface at TTL 2 was followed to the next TTL.
  std::set<std::string> linked_from;
  for (const auto& l : r.hops[2].links) linked_from.insert(l.from.to_string());
  EXPECT_EQ(linked_from, names(r.hops[1].interfaces));
  EXPECT_EQ(r.hops[3].links.size(), 2u);
}

TEST(MdaTrace, CrossesASilentRouterAndStopsAfterTheGapLimit) {
  Driver d;
  d.net = diamond();
  d.net.hops[0].silent = true;
  auto id = d.engine.add_trace(mda_config(d.net), d.now);
  d.run();
  const TraceResult& r = d.finished.at(*id);
  EXPECT_EQ(r.stop, StopReason::destination_reached);
  ASSERT_EQ(r.hops.size(), 4u);
  EXPECT_TRUE(r.hops[0].interfaces.empty());
  EXPECT_EQ(r.hops[0].reason, ProbeReason::timeout);
  EXPECT_EQ(r.hops[1].interfaces.size(), 2u);

  Driver e;
  e.net = trace_test::linear_v4(10);
  for (auto& h : e.net.hops) h.silent = true;
  TraceConfig c = mda_config(e.net);
  c.mda.gap_limit = 2;
  c.wait.max = std::chrono::milliseconds(100);
  auto id2 = e.engine.add_trace(c, e.now);
  e.run();
  const TraceResult& r2 = e.finished.at(*id2);
  EXPECT_EQ(r2.stop, StopReason::gap_limit);
  EXPECT_EQ(r2.hops.size(), 2u);
}

TEST(MdaTrace, StreamsOneEventPerTtl) {
  Driver d;
  d.net = diamond();
  ASSERT_TRUE(d.engine.add_trace(mda_config(d.net), d.now));
  d.run();
  ASSERT_EQ(d.hop_events.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(d.hop_events[i].hop.ttl.value(), i + 1);
  EXPECT_EQ(d.hop_events[1].hop.interfaces.size(), 2u);
}

TEST(MdaTrace, RunsBesideHopTracesInOneEngine) {
  Driver d;
  d.net = diamond();
  auto a = d.engine.add_trace(mda_config(d.net), d.now);
  TraceConfig hops = mda_config(d.net);
  hops.mode = TraceMode::hops;
  hops.flow_mode = FlowMode::paris;
  auto b = d.engine.add_trace(hops, d.now);
  TraceConfig other = mda_config(d.net, ProbeMethod::icmp_echo);
  other.destination = ip("192.0.2.77");
  auto c = d.engine.add_trace(other, d.now);
  d.run();
  ASSERT_EQ(d.finished.size(), 3u);
  EXPECT_EQ(d.finished.at(*a).hops[1].interfaces.size(), 2u);
  EXPECT_EQ(d.finished.at(*b).hops[1].interfaces.size(), 1u);  // Paris: one flow, one branch
  EXPECT_EQ(d.finished.at(*c).hops[1].interfaces.size(), 2u);
  EXPECT_EQ(d.finished.at(*c).hops.back().interfaces[0], ip("192.0.2.77"));
}

}  // namespace
}  // namespace icmpkit::engine
