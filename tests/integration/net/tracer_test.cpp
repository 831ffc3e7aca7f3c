// net::Tracer across the lab (lab/lab.hpp: client—r1—r2—server): every
// method finds r1, r2 and the server in order, in both families, as root and
// (ICMP over a ping socket, UDP over an ordinary socket, TCP over connect()
// probes whose errors come from each socket's error queue) as nobody.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>

#include "icmpkit/error.hpp"
#include "icmpkit/net/tracer.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"

namespace icmpkit::lab {
namespace {

using engine::ProbeMethod;
using wire::Family;

const char* method_name(ProbeMethod m) {
  return m == ProbeMethod::icmp_echo ? "icmp" : (m == ProbeMethod::udp ? "udp" : "tcp");
}

const char* destination_reason(ProbeMethod m) {
  return m == ProbeMethod::icmp_echo ? "echo-reply" : (m == ProbeMethod::udp ? "port-unreachable" : "tcp-reset");
}

using Params = std::tuple<Family, Identity, ProbeMethod>;

class TracerAcrossLab : public ::testing::TestWithParam<Params> {};

TEST_P(TracerAcrossLab, FindsR1R2AndTheServer) {
  ICMPKIT_REQUIRE_LAB();
  const auto [family, identity, method] = GetParam();
  Lab lab;
  ChildOptions child;
  child.identity = identity;
  child.timeout = std::chrono::seconds(20);
  const std::string server = Lab::address(Where::server, family);
  const auto outcome = run_in_netns(lab.netns(Node::client), child, [&](ChildReport& report) {
    engine::TraceConfig config;
    config.method = method;
    config.queries = 2;
    config.max_ttl = 6;
    config.wait.max = std::chrono::seconds(2);
    auto result = net::trace(*wire::IpAddress::parse(server), config);
    if (!result) {
      report.set("error", result.error() == make_error_code(errc::permission_denied) ? "permission_denied"
                                                                                       : result.error().message());
      return;
    }
    report.set("stop", static_cast<int>(result->stop));
    report.set("hops", result->hops.size());
    for (const auto& hop : result->hops) {
      const std::string key = "hop." + std::to_string(hop.ttl.value());
      std::string interfaces;
      for (const auto& a : hop.interfaces) interfaces += (interfaces.empty() ? "" : ",") + a.to_string();
      report.set(key + ".interfaces", interfaces);
      report.set(key + ".reason", engine::reason_name(hop.reason));
      int answered = 0;
      for (const auto& p : hop.probes) answered += p.responder ? 1 : 0;
      report.set(key + ".answered", answered);
    }
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  ASSERT_FALSE(outcome.has("error")) << outcome.describe();
  EXPECT_EQ(outcome.get_int("stop"), static_cast<int>(engine::StopReason::destination_reached)) << outcome.describe();
  EXPECT_EQ(outcome.get_int("hops"), 3) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.1.interfaces"), Lab::address(Where::r1_client_side, family)) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.2.interfaces"), Lab::address(Where::r2_r1_side, family)) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.3.interfaces"), server) << outcome.describe();
  EXPECT_EQ(outcome.get("hop.1.reason"), "time-exceeded") << outcome.describe();
  EXPECT_EQ(outcome.get("hop.3.reason"), destination_reason(method)) << outcome.describe();
  // No probe lost to the one-shot send failure after a queued error.
  for (const char* hop : {"hop.1.answered", "hop.2.answered", "hop.3.answered"}) {
    EXPECT_EQ(outcome.get_int(hop), 2) << hop << "\n" << outcome.describe();
  }
}

std::string params_name(const ::testing::TestParamInfo<Params>& info) {
  return std::string(std::get<0>(info.param) == Family::v4 ? "v4" : "v6") + "_" +
         (std::get<1>(info.param) == Identity::root ? "root" : "nobody") + "_" + method_name(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Lab, TracerAcrossLab,
                         ::testing::Combine(::testing::Values(Family::v4, Family::v6),
                                            ::testing::Values(Identity::root, Identity::nobody),
                                            ::testing::Values(ProbeMethod::icmp_echo, ProbeMethod::udp,
                                                              ProbeMethod::tcp_syn)),
                         params_name);

}  // namespace
}  // namespace icmpkit::lab
