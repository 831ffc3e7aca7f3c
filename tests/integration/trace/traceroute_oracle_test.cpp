// The trace lab (trace_lab.hpp) checked against an independent oracle:
// traceroute(8) (Debian package `traceroute`, Dmitry Butskoy's 2.1) run in
// the lab's client namespace. These prove the hops, the ECMP pair, the error
// routes, the small-MTU link and the extension responder are what the lab
// claims, so the icmpkit tracer tests can trust them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "lab/command.hpp"
#include "lab/require_lab.hpp"
#include "trace/trace_lab.hpp"
#include "trace/traceroute_output.hpp"

namespace icmpkit::lab {
namespace {

using wire::Family;

bool have_traceroute() {
  return run_command_unchecked({"sh", "-c", "command -v traceroute"}).exit_code == 0;
}

#define REQUIRE_TRACEROUTE()                                                                          \
  ICMPKIT_REQUIRE_LAB();                                                                              \
  if (!have_traceroute()) GTEST_SKIP() << "needs traceroute(8) (Debian package `traceroute`)"

TraceOutput traceroute(const TraceLab& lab, Family family, const std::vector<std::string>& options,
                       const std::string& target) {
  std::vector<std::string> argv = {"ip",         "netns", "exec", lab.netns(TraceNode::client), "traceroute",
                                   family == Family::v4 ? "-4" : "-6", "-n", "-w", "1"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(target);
  return parse_traceroute_output(run_command_unchecked(argv, {}, std::chrono::seconds(25)));
}

class TraceLabOracle : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(TracePoint point) const { return TraceLab::address(point, family()); }
  std::set<std::string> r2_pair() const { return {at(TracePoint::r2a_r1_side), at(TracePoint::r2b_r1_side)}; }
  std::set<std::string> r3_pair() const { return {at(TracePoint::r3_r2a_side), at(TracePoint::r3_r2b_side)}; }

  // One probe per hop, sequential: hop 1 is r1, hop 2 one of the r2 pair,
  // hop 3 one of r3's two ingress addresses, hop 4 the server.
  void expect_exact_hops(const TraceLab& lab, const std::vector<std::string>& method) {
    std::vector<std::string> options = method;
    options.insert(options.end(), {"-q", "1", "-N", "1", "-m", "8"});
    const auto out = traceroute(lab, family(), options, at(TracePoint::server));
    ASSERT_EQ(out.exit_code, 0) << out.text;
    EXPECT_EQ(out.addresses.size(), 4u) << out.text;
    EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
    const auto hop2 = out.address_set(TraceLab::r2_hop);
    ASSERT_EQ(hop2.size(), 1u) << out.text;
    EXPECT_TRUE(r2_pair().count(*hop2.begin())) << out.text;
    const auto hop3 = out.address_set(TraceLab::r3_hop);
    ASSERT_EQ(hop3.size(), 1u) << out.text;
    EXPECT_TRUE(r3_pair().count(*hop3.begin())) << out.text;
    EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
    EXPECT_EQ(out.lines.count(TraceLab::server_hop + 1), 0u) << "trace went past the server\n" << out.text;
  }
};

std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return info.param == Family::v4 ? "v4" : "v6";
}

TEST_P(TraceLabOracle, IcmpTraceShowsEachHopAddress) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  expect_exact_hops(lab, {"-I"});
}

// traceroute's default method: UDP to 33434 + probe number.
TEST_P(TraceLabOracle, UdpTraceShowsEachHopAddress) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  expect_exact_hops(lab, {});
}

// -U: UDP to one fixed port (53).
TEST_P(TraceLabOracle, FixedPortUdpTraceShowsEachHopAddress) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  expect_exact_hops(lab, {"-U"});
}

TEST_P(TraceLabOracle, TcpTraceShowsEachHopAddress) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  expect_exact_hops(lab, {"-T", "-p", "80"});
}

TEST_P(TraceLabOracle, ExtensionResponderHopShowsEachHopAddress) {
  REQUIRE_TRACEROUTE();
  TraceLabConfig config;
  config.extension_responder = true;
  TraceLab lab(config);
  expect_exact_hops(lab, {"-I"});
}

// A fixed five-tuple stays on one branch, so the r3 address (the ingress
// interface, reported by the responder) belongs to the same branch as r2.
TEST_P(TraceLabOracle, FixedFlowCrossesOneBranchEndToEnd) {
  REQUIRE_TRACEROUTE();
  TraceLabConfig config;
  config.extension_responder = true;
  TraceLab lab(config);
  const auto out = traceroute(lab, family(), {"-T", "-p", "80", "--sport=40001", "-q", "3", "-m", "8"},
                              at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const auto hop2 = out.address_set(TraceLab::r2_hop);
  const auto hop3 = out.address_set(TraceLab::r3_hop);
  ASSERT_EQ(hop2.size(), 1u) << out.text;
  ASSERT_EQ(hop3.size(), 1u) << out.text;
  const bool via_a = *hop2.begin() == at(TracePoint::r2a_r1_side);
  EXPECT_EQ(*hop3.begin(), at(via_a ? TracePoint::r3_r2a_side : TracePoint::r3_r2b_side)) << out.text;
}

// Classic UDP traceroute changes the destination port with every probe, so
// the L4 hash spreads probes of one hop over both routers of the pair.
TEST_P(TraceLabOracle, VaryingUdpPortsReachBothEcmpBranches) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  std::set<std::string> seen;
  for (int run = 0; run < 3 && seen.size() < 2; ++run) {
    const auto out = traceroute(lab, family(), {"-f", "2", "-m", "2", "-q", "10", "-N", "1"}, at(TracePoint::server));
    ASSERT_EQ(out.exit_code, 0) << out.text;
    for (const auto& address : out.address_set(TraceLab::r2_hop)) seen.insert(address);
  }
  EXPECT_EQ(seen, r2_pair());
}

// Paris-style probes keep the five-tuple fixed (one destination port, one
// source port): every probe of a run takes the same branch. Across source
// ports both branches appear, so the lab really hashes on L4.
TEST_P(TraceLabOracle, FixedPortsStayOnOneEcmpBranch) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  std::set<std::string> across_runs;
  for (int sport = 40000; sport < 40016; ++sport) {
    const auto out = traceroute(lab, family(),
                                {"-U", "--sport=" + std::to_string(sport), "-f", "2", "-m", "2", "-q", "5"},
                                at(TracePoint::server));
    ASSERT_EQ(out.exit_code, 0) << out.text;
    const auto hop2 = out.address_set(TraceLab::r2_hop);
    ASSERT_EQ(hop2.size(), 1u) << "source port " << sport << " took both branches\n" << out.text;
    EXPECT_TRUE(r2_pair().count(*hop2.begin())) << out.text;
    across_runs.insert(*hop2.begin());
  }
  EXPECT_EQ(across_runs, r2_pair()) << "16 source ports all hashed to one branch";
}

// The RFC 5837 object as traceroute -e prints an unknown class: "2/15:" then
// 32-bit words in hex (role incoming, ifIndex + address + name + MTU).
std::string expected_interface_object(const TraceLab& lab, Family family, const std::string& hop_address) {
  const bool via_a = hop_address == TraceLab::address(TracePoint::r3_r2a_side, family);
  char word[16];
  const int ifindex = lab.r3_ifindex(via_a ? TraceNode::r2a : TraceNode::r2b);
  std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(ifindex));
  std::string text = "2/15:" + std::string(word) + (family == Family::v4 ? ",00010000," : ",00020000,");
  const auto address = wire::IpAddress::parse(hop_address);
  const auto bytes = address->bytes();
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    std::snprintf(word, sizeof word, "%02x%02x%02x%02x,", static_cast<unsigned>(bytes[i]),
                  static_cast<unsigned>(bytes[i + 1]), static_cast<unsigned>(bytes[i + 2]),
                  static_cast<unsigned>(bytes[i + 3]));
    text += word;
  }
  // Length 12, "eth-mpls0" NUL-padded, then MTU 1500.
  return text + "0c657468,2d6d706c,73300000,000005dc>";
}

TEST_P(TraceLabOracle, ExtensionHopShowsMplsLabelStackAndInterfaceObject) {
  REQUIRE_TRACEROUTE();
  TraceLabConfig config;
  config.extension_responder = true;
  TraceLab lab(config);
  const auto out = traceroute(lab, family(), {"-e", "-q", "1", "-N", "1", "-m", "8"}, at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const std::string hop3 = out.line(TraceLab::r3_hop);
  EXPECT_NE(hop3.find("<MPLS:L=16001,E=0,S=0,T=1/L=24002,E=0,S=1,T=1;"), std::string::npos) << out.text;
  const auto address = out.address_set(TraceLab::r3_hop);
  ASSERT_EQ(address.size(), 1u) << out.text;
  EXPECT_NE(hop3.find(expected_interface_object(lab, family(), *address.begin())), std::string::npos) << out.text;
  // Only the responder's hop carries extensions.
  for (const int hop : {TraceLab::r1_hop, TraceLab::r2_hop, TraceLab::server_hop}) {
    EXPECT_EQ(out.line(hop).find('<'), std::string::npos) << out.text;
  }
}

TEST_P(TraceLabOracle, WithoutResponderNoHopShowsExtensions) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  const auto out = traceroute(lab, family(), {"-e", "-q", "1", "-N", "1", "-m", "8"}, at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.text.find("MPLS"), std::string::npos) << out.text;
  EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
}

TEST_P(TraceLabOracle, PathMtuDiscoveryFindsTheSmallLink) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  const auto out = traceroute(lab, family(), {"--mtu", "-q", "1", "-m", "8"}, at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const std::string expected = "F=" + std::to_string(lab.config().server_link_mtu);
  EXPECT_NE(out.text.find(expected), std::string::npos) << out.text;
  EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
}

TEST_P(TraceLabOracle, UnreachableRouteEndsTheTraceAtR1) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  const auto out = traceroute(lab, family(), {"-I", "-q", "1", "-m", "4"}, at(TracePoint::unreachable_target));
  EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  // IPv4 `unreachable` routes answer host unreachable (!H), IPv6 no route (!N).
  EXPECT_NE(out.line(TraceLab::r1_hop).find(family() == Family::v4 ? "!H" : "!N"), std::string::npos) << out.text;
  EXPECT_EQ(out.lines.count(TraceLab::r2_hop), 0u) << out.text;
}

TEST_P(TraceLabOracle, ProhibitRouteEndsTheTraceAtR1) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  const auto out = traceroute(lab, family(), {"-I", "-q", "1", "-m", "4"}, at(TracePoint::prohibit_target));
  EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  EXPECT_NE(out.line(TraceLab::r1_hop).find("!X"), std::string::npos) << out.text;
  EXPECT_EQ(out.lines.count(TraceLab::r2_hop), 0u) << out.text;
}

// The nft rule sits in r1's forward hook: a TTL 1 probe expires before it
// (hop 1 is a plain Time Exceeded), a TTL 2 probe is rejected by r1 itself.
TEST_P(TraceLabOracle, NftRejectEndsTheTraceAtR1) {
  REQUIRE_TRACEROUTE();
  TraceLab lab;
  const auto out = traceroute(lab, family(), {"-I", "-q", "1", "-m", "4"}, at(TracePoint::reject_target));
  EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  EXPECT_EQ(out.line(TraceLab::r1_hop).find("!"), std::string::npos) << out.text;
  EXPECT_EQ(out.address_set(2), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  EXPECT_NE(out.line(2).find("!X"), std::string::npos) << out.text;
  EXPECT_EQ(out.lines.count(3), 0u) << out.text;
}

INSTANTIATE_TEST_SUITE_P(Families, TraceLabOracle, ::testing::Values(Family::v4, Family::v6), family_name);

// --- the lab object itself ----------------------------------------------------

bool netns_exists(const std::string& name) { return ::access(("/run/netns/" + name).c_str(), F_OK) == 0; }

TEST(TraceLab, RoutersHaveNoIcmpRateLimitAndHashOnL4) {
  ICMPKIT_REQUIRE_LAB();
  TraceLab lab;
  for (const TraceNode node : {TraceNode::r1, TraceNode::r2a, TraceNode::r2b, TraceNode::r3}) {
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv4.icmp_ratelimit"), "0");
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv6.icmp.ratelimit"), "0");
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv4.fib_multipath_hash_policy"), "3");
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv4.fib_multipath_hash_fields"), "55");  // 0x0037, read back in decimal
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv6.fib_multipath_hash_policy"), "3");
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv6.fib_multipath_hash_fields"), "55");
  }
  EXPECT_EQ(lab.read_sysctl(TraceNode::server, "net.ipv4.icmp_ratelimit"), "0");
  EXPECT_EQ(lab.read_sysctl(TraceNode::server, "net.ipv6.icmp.ratelimit"), "0");
  EXPECT_EQ(lab.read_sysctl(TraceNode::client, "net.ipv4.fib_multipath_hash_policy"), "0")
      << "only routers should be changed";
}

TEST(TraceLab, DestructorDeletesNamespacesAndStopsTheResponder) {
  ICMPKIT_REQUIRE_LAB();
  std::vector<std::string> names;
  pid_t responder = -1;
  {
    TraceLabConfig config;
    config.extension_responder = true;
    TraceLab lab(config);
    for (const TraceNode node : {TraceNode::client, TraceNode::r1, TraceNode::r2a, TraceNode::r2b, TraceNode::r3,
                                 TraceNode::server}) {
      names.push_back(lab.netns(node));
      EXPECT_TRUE(netns_exists(lab.netns(node))) << lab.netns(node);
      EXPECT_EQ(lab.netns(node).rfind(TraceLab::process_prefix(), 0), 0u) << lab.netns(node);
    }
    responder = lab.responder_pid();
    ASSERT_GT(responder, 0);
    EXPECT_EQ(::kill(responder, 0), 0) << "responder not running";
  }
  for (const auto& name : names) EXPECT_FALSE(netns_exists(name)) << name;
  // Reaped by the destructor: the PID no longer names our child.
  EXPECT_NE(::kill(responder, 0), 0);
}

TEST(TraceLab, StaleNamespacesOfDeadProcessesAreDeleted) {
  ICMPKIT_REQUIRE_LAB();
  // A PID that cannot be alive: above the kernel's pid_max limit (4194304).
  const std::string stale = "ikt4999999-0-client";
  run_command({"ip", "netns", "add", stale});
  ASSERT_TRUE(netns_exists(stale));
  // Younger than the default age: kept (it could belong to a live run elsewhere).
  TraceLab::delete_stale_labs();
  EXPECT_TRUE(netns_exists(stale));
  EXPECT_GE(TraceLab::delete_stale_labs(0), 1);
  EXPECT_FALSE(netns_exists(stale));
  run_command_unchecked({"ip", "netns", "delete", stale});
}

}  // namespace
}  // namespace icmpkit::lab
