// icmpkit's net::Tracer in the trace lab (trace_lab.hpp), whose hops,
// ECMP pair, extension responder and small-MTU link traceroute(8) confirms
// in traceroute_oracle_test.cpp. Each trace runs in a child forked into the
// client namespace (as root or as nobody, see lab/netns_child.hpp) and
// reports what it found as key/value pairs.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "icmpkit/engine/trace_types.hpp"
#include "icmpkit/net/tracer.hpp"
#include "icmpkit/wire/address.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"
#include "trace/trace_lab.hpp"

namespace icmpkit::lab {
namespace {

using engine::ProbeMethod;
using wire::Family;

std::set<std::string> split(const std::string& text) {
  std::set<std::string> out;
  std::istringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

std::string join(const std::vector<wire::IpAddress>& addresses) {
  std::string text;
  for (const auto& address : addresses) text += (text.empty() ? "" : ",") + address.to_string();
  return text;
}

// Records a TraceResult: stop, hop count, per hop the interfaces, reason,
// links, MTU and the extensions of the first probe that carried any.
void record(ChildReport& report, const engine::TraceResult& result) {
  report.set("stop", static_cast<int>(result.stop));
  report.set("hops", result.hops.size());
  report.set("probes_sent", result.probes_sent);
  if (result.path_mtu) report.set("path_mtu", *result.path_mtu);
  for (const auto& hop : result.hops) {
    const std::string key = "hop." + std::to_string(hop.ttl.value()) + ".";
    report.set(key + "interfaces", join(hop.interfaces));
    report.set(key + "reason", engine::reason_name(hop.reason));
    std::string links;
    for (const auto& link : hop.links) {
      links += (links.empty() ? "" : ",") + link.from.to_string() + ">" + link.to.to_string();
    }
    report.set(key + "links", links);
    if (hop.mtu) report.set(key + "mtu", *hop.mtu);
    for (const auto& probe : hop.probes) {
      if (probe.mpls.empty() && probe.interfaces.empty()) continue;
      std::string labels;
      for (const auto& entry : probe.mpls) {
        labels += (labels.empty() ? "" : "/") + std::to_string(entry.label) + ":" +
                  std::to_string(entry.traffic_class) + ":" + (entry.bottom_of_stack ? "1" : "0") + ":" +
                  std::to_string(entry.ttl);
      }
      report.set(key + "mpls", labels);
      std::string interfaces;
      for (const auto& info : probe.interfaces) {
        interfaces += (interfaces.empty() ? "" : "/") + std::to_string(static_cast<int>(info.role)) + ":" +
                      (info.if_index ? std::to_string(*info.if_index) : "-") + ":" +
                      (info.address ? info.address->to_string() : "-") + ":" + info.name.value_or("-") + ":" +
                      (info.mtu ? std::to_string(*info.mtu) : "-");
      }
      report.set(key + "interface_objects", interfaces);
      break;
    }
  }
}

ChildOutcome run_trace(const TraceLab& lab, Identity identity, const std::string& destination,
                       const engine::TraceConfig& config, const net::TracerOptions& tracer_options = {}) {
  ChildOptions options;
  options.identity = identity;
  options.timeout = std::chrono::seconds(20);
  return run_in_netns(lab.netns(TraceNode::client), options, [&](ChildReport& report) {
    const auto target = wire::IpAddress::parse(destination);
    if (!target) {
      report.fail("bad destination " + destination);
      return;
    }
    const auto result = net::trace(*target, config, {}, tracer_options);
    if (!result) {
      report.fail("trace failed: " + result.error().message());
      return;
    }
    record(report, *result);
  });
}

engine::TraceConfig hops_config(ProbeMethod method) {
  engine::TraceConfig config;
  config.method = method;
  // Paris: one flow per trace, so hop 2 and hop 3 are on the same branch.
  config.flow_mode = engine::FlowMode::paris;
  config.queries = 1;
  config.parallel = 1;
  config.max_ttl = 8;
  config.wait.max = std::chrono::seconds(1);
  return config;
}

const char* method_name(ProbeMethod method) { return method == ProbeMethod::icmp_echo ? "icmp" : "udp"; }

using Params = std::tuple<Family, Identity, ProbeMethod>;

class TracerInLab : public ::testing::TestWithParam<Params> {
 protected:
  Family family() const { return std::get<0>(GetParam()); }
  Identity identity() const { return std::get<1>(GetParam()); }
  ProbeMethod method() const { return std::get<2>(GetParam()); }
  std::string at(TracePoint point) const { return TraceLab::address(point, family()); }
};

std::string params_name(const ::testing::TestParamInfo<Params>& info) {
  return std::string(std::get<0>(info.param) == Family::v4 ? "v4" : "v6") + "_" +
         (std::get<1>(info.param) == Identity::root ? "root" : "nobody") + "_" + method_name(std::get<2>(info.param));
}

TEST_P(TracerInLab, FindsEachHopAddress) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig lab_config;
  lab_config.extension_responder = true;  // r3 answers from the ingress address: branch-exact
  TraceLab lab(lab_config);
  const auto outcome = run_trace(lab, identity(), at(TracePoint::server), hops_config(method()));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("stop"), static_cast<int>(engine::StopReason::destination_reached)) << outcome.describe();
  EXPECT_EQ(outcome.get_int("hops"), TraceLab::server_hop) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.1.interfaces"), at(TracePoint::r1_client_side)) << outcome.describe();
  const std::string hop2 = outcome.get("hop.2.interfaces");
  const std::string hop3 = outcome.get("hop.3.interfaces");
  ASSERT_TRUE(hop2 == at(TracePoint::r2a_r1_side) || hop2 == at(TracePoint::r2b_r1_side)) << outcome.describe();
  EXPECT_EQ(hop3, at(hop2 == at(TracePoint::r2a_r1_side) ? TracePoint::r3_r2a_side : TracePoint::r3_r2b_side))
      << outcome.describe();
  EXPECT_EQ(outcome.get("hop.4.interfaces"), at(TracePoint::server)) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.4.reason"), method() == ProbeMethod::icmp_echo ? "echo-reply" : "port-unreachable")
      << outcome.describe();
}

TEST_P(TracerInLab, ProhibitRouteEndsTheTraceAtR1) {
  ICMPKIT_REQUIRE_LAB();
  TraceLab lab;
  const auto outcome = run_trace(lab, identity(), at(TracePoint::prohibit_target), hops_config(method()));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("stop"), static_cast<int>(engine::StopReason::unreachable)) << outcome.describe();
  EXPECT_EQ(outcome.get_int("hops"), 1) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.1.interfaces"), at(TracePoint::r1_client_side)) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.1.reason"), "prohibited") << outcome.describe();
}

// Root reads the errors on a raw ICMP socket; nobody on the error queue of
// its ping or UDP socket, which holds the rest of the ICMP message after the
// quoted probe: the RFC 4884 padding and then the extension structure.
TEST_P(TracerInLab, ExtensionHopReportsMplsLabelsAndInterfaceObject) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig lab_config;
  lab_config.extension_responder = true;
  TraceLab lab(lab_config);
  net::TracerOptions tracer_options;
  if (identity() == Identity::root) tracer_options.icmp_mode = sys::SocketMode::raw;
  const auto outcome =
      run_trace(lab, identity(), at(TracePoint::server), hops_config(method()), tracer_options);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.3.mpls"), "16001:0:0:1/24002:0:1:1") << outcome.describe();
  const std::string hop3 = outcome.get("hop.3.interfaces");
  ASSERT_TRUE(hop3 == at(TracePoint::r3_r2a_side) || hop3 == at(TracePoint::r3_r2b_side)) << outcome.describe();
  const int ifindex = lab.r3_ifindex(hop3 == at(TracePoint::r3_r2a_side) ? TraceNode::r2a : TraceNode::r2b);
  EXPECT_EQ(outcome.get("hop.3.interface_objects"), "0:" + std::to_string(ifindex) + ":" + hop3 + ":eth-mpls0:1500")
      << outcome.describe();
  for (const int hop : {1, 2, 4}) {
    EXPECT_FALSE(outcome.has("hop." + std::to_string(hop) + ".mpls")) << outcome.describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Lab, TracerInLab,
                         ::testing::Combine(::testing::Values(Family::v4, Family::v6),
                                            ::testing::Values(Identity::root, Identity::nobody),
                                            ::testing::Values(ProbeMethod::icmp_echo, ProbeMethod::udp)),
                         params_name);

class TracerByFamily : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(TracePoint point) const { return TraceLab::address(point, family()); }
};

std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return info.param == Family::v4 ? "v4" : "v6";
}

// MDA with UDP (the lab hashes on ports; ICMP has none, so ICMP flows all
// take one branch here): both routers of the pair and both of r3's ingress
// interfaces, linked branch by branch.
TEST_P(TracerByFamily, MultipathFindsBothEcmpBranches) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig lab_config;
  lab_config.extension_responder = true;
  TraceLab lab(lab_config);
  engine::TraceConfig config;
  config.method = ProbeMethod::udp;
  config.flow_mode = engine::FlowMode::paris;
  config.mode = engine::TraceMode::multipath;
  config.mda.confidence = 0.99;
  config.max_ttl = 8;
  config.wait.max = std::chrono::seconds(1);
  const std::set<std::string> r2_pair = {at(TracePoint::r2a_r1_side), at(TracePoint::r2b_r1_side)};
  const std::set<std::string> r3_pair = {at(TracePoint::r3_r2a_side), at(TracePoint::r3_r2b_side)};
  const std::set<std::string> r3_links = {at(TracePoint::r2a_r1_side) + ">" + at(TracePoint::r3_r2a_side),
                                          at(TracePoint::r2b_r1_side) + ">" + at(TracePoint::r3_r2b_side)};
  // MDA is probabilistic: a run misses a branch when all its flows at a TTL
  // hash to one side (about 1 in 100 here). Up to three runs are merged; every
  // run must still show only real interfaces and links.
  std::set<std::string> hop2;
  std::set<std::string> hop3;
  std::set<std::string> links3;
  for (int run = 0; run < 3 && (hop2 != r2_pair || hop3 != r3_pair || links3 != r3_links); ++run) {
    const auto outcome = run_trace(lab, Identity::nobody, at(TracePoint::server), config);
    ASSERT_TRUE(outcome.ok()) << outcome.describe();
    EXPECT_EQ(split(outcome.get("hop.1.interfaces")), std::set<std::string>{at(TracePoint::r1_client_side)})
        << outcome.describe();
    EXPECT_EQ(split(outcome.get("hop.4.interfaces")), std::set<std::string>{at(TracePoint::server)})
        << outcome.describe();
    for (const auto& a : split(outcome.get("hop.2.interfaces"))) {
      EXPECT_TRUE(r2_pair.count(a)) << outcome.describe();
      hop2.insert(a);
    }
    for (const auto& a : split(outcome.get("hop.3.interfaces"))) {
      EXPECT_TRUE(r3_pair.count(a)) << outcome.describe();
      hop3.insert(a);
    }
    for (const auto& link : split(outcome.get("hop.3.links"))) {
      EXPECT_TRUE(r3_links.count(link)) << "no such link: " << link << "\n" << outcome.describe();
      links3.insert(link);
    }
  }
  EXPECT_EQ(hop2, r2_pair);
  EXPECT_EQ(hop3, r3_pair);
  EXPECT_EQ(links3, r3_links);
}

TEST_P(TracerByFamily, PathMtuModeFindsTheSmallLink) {
  ICMPKIT_REQUIRE_LAB();
  TraceLab lab;
  engine::TraceConfig config = hops_config(ProbeMethod::udp);
  config.path_mtu = 0;  // start at the route's MTU (1500 on the client link)
  const auto outcome = run_trace(lab, Identity::nobody, at(TracePoint::server), config);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("path_mtu"), lab.config().server_link_mtu) << outcome.describe();
  EXPECT_EQ(outcome.get_int("hop.1.mtu"), 1500) << outcome.describe();
  EXPECT_EQ(outcome.get_int("hop.4.mtu"), lab.config().server_link_mtu) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.4.interfaces"), at(TracePoint::server)) << outcome.describe();
}

INSTANTIATE_TEST_SUITE_P(Lab, TracerByFamily, ::testing::Values(Family::v4, Family::v6), family_name);

}  // namespace
}  // namespace icmpkit::lab
