// `icmpkit trace` in the trace lab (trace_lab.hpp), run in the client
// namespace as root and as nobody, its text output read like traceroute(8)'s
// (traceroute_output.hpp). The same hops, ECMP branches, flags, MTU and
// MPLS labels traceroute(8) shows in traceroute_oracle_test.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "lab/command.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"
#include "trace/trace_lab.hpp"
#include "trace/traceroute_output.hpp"

#ifndef ICMPKIT_CLI_PATH
#error "ICMPKIT_CLI_PATH must name the icmpkit binary"
#endif

namespace icmpkit::lab {
namespace {

using wire::Family;

// Runs `icmpkit trace <options> <target>` in the client namespace as `identity`.
TraceOutput icmpkit_trace(const TraceLab& lab, Identity identity, Family family,
                          const std::vector<std::string>& options, const std::string& target) {
  std::vector<std::string> argv = {ICMPKIT_CLI_PATH, "trace", family == Family::v4 ? "-4" : "-6", "-n", "-w", "1"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(target);
  ChildOptions child;
  child.identity = identity;
  child.timeout = std::chrono::seconds(25);
  const auto outcome = run_in_netns(lab.netns(TraceNode::client), child, [&](ChildReport& report) {
    const auto result = run_command_unchecked(argv, {}, std::chrono::seconds(20));
    report.set("exit", result.exit_code);
    report.set("output", result.output);
  });
  if (!outcome.ok()) return parse_traceroute_output(-1, outcome.describe());
  return parse_traceroute_output(static_cast<int>(outcome.get_int("exit").value_or(-1)), outcome.get("output"));
}

using Params = std::tuple<Family, Identity, std::string>;

class IcmpkitTraceInLab : public ::testing::TestWithParam<Params> {
 protected:
  Family family() const { return std::get<0>(GetParam()); }
  Identity identity() const { return std::get<1>(GetParam()); }
  const std::string& method() const { return std::get<2>(GetParam()); }
  std::string at(TracePoint point) const { return TraceLab::address(point, family()); }
};

std::string params_name(const ::testing::TestParamInfo<Params>& info) {
  return std::string(std::get<0>(info.param) == Family::v4 ? "v4" : "v6") + "_" +
         (std::get<1>(info.param) == Identity::root ? "root" : "nobody") + "_" +
         (std::get<2>(info.param) == "-I" ? "icmp" : "udp");
}

TEST_P(IcmpkitTraceInLab, PrintsEachHopAddress) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig config;
  config.extension_responder = true;  // r3 answers from its ingress address
  TraceLab lab(config);
  const auto out = icmpkit_trace(lab, identity(), family(), {method(), "-P", "-q", "1", "-N", "1", "-m", "8"},
                                 at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_EQ(out.addresses.size(), 4u) << out.text;
  EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  const auto hop2 = out.address_set(TraceLab::r2_hop);
  const auto hop3 = out.address_set(TraceLab::r3_hop);
  ASSERT_EQ(hop2.size(), 1u) << out.text;
  ASSERT_EQ(hop3.size(), 1u) << out.text;
  const bool via_a = *hop2.begin() == at(TracePoint::r2a_r1_side);
  EXPECT_TRUE(via_a || *hop2.begin() == at(TracePoint::r2b_r1_side)) << out.text;
  EXPECT_EQ(*hop3.begin(), at(via_a ? TracePoint::r3_r2a_side : TracePoint::r3_r2b_side)) << out.text;
  EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
}

TEST_P(IcmpkitTraceInLab, ProhibitRouteShowsBangXAtR1) {
  ICMPKIT_REQUIRE_LAB();
  TraceLab lab;
  const auto out = icmpkit_trace(lab, identity(), family(), {method(), "-q", "1", "-m", "4"},
                                 at(TracePoint::prohibit_target));
  EXPECT_EQ(out.address_set(TraceLab::r1_hop), std::set<std::string>{at(TracePoint::r1_client_side)}) << out.text;
  EXPECT_NE(out.line(TraceLab::r1_hop).find("!X"), std::string::npos) << out.text;
  EXPECT_EQ(out.lines.count(TraceLab::r2_hop), 0u) << out.text;
}

INSTANTIATE_TEST_SUITE_P(Lab, IcmpkitTraceInLab,
                         ::testing::Combine(::testing::Values(Family::v4, Family::v6),
                                            ::testing::Values(Identity::root, Identity::nobody),
                                            ::testing::Values(std::string("-I"), std::string("-U"))),
                         params_name);

class IcmpkitTraceByFamily : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(TracePoint point) const { return TraceLab::address(point, family()); }
};

std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return info.param == Family::v4 ? "v4" : "v6";
}

// MDA at its default 95 % confidence misses the second branch of a hop when
// its first 6 flows all hash to one side (1 time in 32), so up to three runs
// are merged: a lab or tracer without multipath still fails every time.
TEST_P(IcmpkitTraceByFamily, MdaPrintsBothEcmpBranches) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig config;
  config.extension_responder = true;
  TraceLab lab(config);
  const std::set<std::string> r2_pair = {at(TracePoint::r2a_r1_side), at(TracePoint::r2b_r1_side)};
  const std::set<std::string> r3_pair = {at(TracePoint::r3_r2a_side), at(TracePoint::r3_r2b_side)};
  std::set<std::string> hop2;
  std::set<std::string> hop3;
  std::string texts;
  for (int run = 0; run < 3 && (hop2 != r2_pair || hop3 != r3_pair); ++run) {
    const auto out = icmpkit_trace(lab, Identity::nobody, family(), {"-U", "--mda", "-m", "8"}, at(TracePoint::server));
    ASSERT_EQ(out.exit_code, 0) << out.text;
    EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
    for (const auto& address : out.address_set(TraceLab::r2_hop)) hop2.insert(address);
    for (const auto& address : out.address_set(TraceLab::r3_hop)) hop3.insert(address);
    texts += out.text;
  }
  EXPECT_EQ(hop2, r2_pair) << texts;
  EXPECT_EQ(hop3, r3_pair) << texts;
}

TEST_P(IcmpkitTraceByFamily, MtuShowsTheSmallLink) {
  ICMPKIT_REQUIRE_LAB();
  TraceLab lab;
  const auto out = icmpkit_trace(lab, Identity::nobody, family(), {"-U", "--mtu", "-q", "1", "-m", "8"},
                                 at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("F=" + std::to_string(lab.config().server_link_mtu)), std::string::npos) << out.text;
  EXPECT_EQ(out.address_set(TraceLab::server_hop), std::set<std::string>{at(TracePoint::server)}) << out.text;
}

// As root on a raw ICMP socket (tracer_test.cpp also checks the error queue as nobody).
TEST_P(IcmpkitTraceByFamily, ExtensionsShowTheMplsLabels) {
  ICMPKIT_REQUIRE_LAB();
  TraceLabConfig config;
  config.extension_responder = true;
  TraceLab lab(config);
  const auto out = icmpkit_trace(lab, Identity::root, family(), {"-I", "--mode", "raw", "-e", "-q", "1", "-m", "8"},
                                 at(TracePoint::server));
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.line(TraceLab::r3_hop).find("<MPLS:L=16001,E=0,S=0,T=1/L=24002,E=0,S=1,T=1>"), std::string::npos)
      << out.text;
  EXPECT_EQ(out.line(TraceLab::r2_hop).find("MPLS"), std::string::npos) << out.text;
}

INSTANTIATE_TEST_SUITE_P(Lab, IcmpkitTraceByFamily, ::testing::Values(Family::v4, Family::v6), family_name);

}  // namespace
}  // namespace icmpkit::lab
