// net::Pinger end to end in the lab, as the unprivileged user in the client
// namespace: replies with the right TTL, ICMP errors as outcomes with the
// router that sent them, silence as Timeout, and a burst of probes towards
// an nft-rejected destination where every probe ends in an error outcome
// (none lost to the kernel's one-shot pending socket error, none timing out);
// and, as root where ping_group_range is closed, the raw-socket fallback.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <map>
#include <variant>

#include "icmpkit/net/pinger.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"
#include "support/probe_support.hpp"

namespace icmpkit::itest {
namespace {

using lab::Lab;
using lab::Node;
using lab::Where;
using wire::Family;

// Runs one async_ping to completion (bounded) and records its outcomes:
// "probes", "replies", "timeouts", "errors", "send_errors", "cancelled",
// and for the first reply / error its TTL / kind, code, mtu, router.
void ping_and_record(lab::ChildReport& report, const std::string& target, const engine::PingOptions& options,
                     std::chrono::milliseconds bound, const std::string& prefix = "") {
  asio::io_context io;
  net::Pinger pinger(io);
  bool completed = false;
  pinger.async_ping(address(target), options, [&](std::error_code ec, net::PingResult result) {
    completed = true;
    if (ec) return report.fail("async_ping: " + ec.message());
    std::map<std::string, int> counts{{"replies", 0}, {"timeouts", 0}, {"errors", 0}, {"send_errors", 0}, {"cancelled_probes", 0}};
    for (const auto& probe : result.probes) {
      if (const auto* reply = std::get_if<engine::Reply>(&probe.outcome)) {
        if (counts["replies"]++ == 0 && reply->ttl) report.set(prefix + "reply.ttl", static_cast<int>(reply->ttl->value()));
      } else if (std::get_if<engine::Timeout>(&probe.outcome)) {
        ++counts["timeouts"];
      } else if (const auto* error = std::get_if<engine::IcmpError>(&probe.outcome)) {
        if (counts["errors"]++ == 0) {
          report.set(prefix + "error.kind", static_cast<int>(error->kind));
          report.set(prefix + "error.type", static_cast<int>(error->type));
          report.set(prefix + "error.code", static_cast<int>(error->code));
          report.set(prefix + "error.mtu", static_cast<long long>(error->mtu));
          report.set(prefix + "error.router", error->router.to_string());
        }
      } else if (const auto* send_error = std::get_if<engine::SendError>(&probe.outcome)) {
        if (counts["send_errors"]++ == 0) report.set(prefix + "send_error", send_error->error.message());
      } else {
        ++counts["cancelled_probes"];
      }
    }
    for (const auto& [key, value] : counts) report.set(prefix + key, value);
    report.set(prefix + "probes", result.probes.size());
    report.set(prefix + "cancelled", result.cancelled);
    if (auto kind = pinger.socket_kind(address(target).family())) {
      report.set(prefix + "kind", *kind == sys::SocketKind::dgram ? "dgram" : "raw");
    }
  });
  io.run_for(bound);
  if (!completed) report.fail("async_ping did not complete in time");
}

engine::PingOptions probes(std::uint32_t count, std::chrono::milliseconds interval = std::chrono::milliseconds(20),
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
  engine::PingOptions options;
  options.count = count;
  options.interval = interval;
  options.timeout = timeout;
  return options;
}

class PingerInLab : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(Where where) const { return Lab::address(where, family()); }
  lab::ChildOutcome run(const Lab& lab, const std::string& target, const engine::PingOptions& options) const {
    return lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 8s}, [&](lab::ChildReport& report) {
      ping_and_record(report, target, options, 6s);
    });
  }
};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(PingerInLab, RepliesFromTheServerCarryItsTtlLessTheRouters) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.server_initial_ttl = 90;
  Lab lab(config);
  const auto outcome = run(lab, at(Where::server), probes(3));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("kind"), "dgram");
  EXPECT_EQ(outcome.get_int("replies"), 3) << outcome.describe();
  EXPECT_EQ(outcome.get_int("reply.ttl"), lab.server_initial_ttl(family()) - Lab::routers_between_client_and_server);
}

TEST_P(PingerInLab, TtlOneEndsInTimeExceededFromR1) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  auto options = probes(1);
  options.ttl = wire::Ttl(1);
  const auto outcome = run(lab, at(Where::server), options);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("errors"), 1) << outcome.describe();
  EXPECT_EQ(outcome.get_int("error.kind"), static_cast<int>(engine::IcmpErrorKind::time_exceeded));
  EXPECT_EQ(outcome.get("error.router"), at(Where::r1_client_side));
}

TEST_P(PingerInLab, SmallMtuWithDontFragmentEndsInPacketTooBigFromR2) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.server_link_mtu = 1280;
  Lab lab(config);
  auto options = probes(1);
  options.payload_size = 1400;
  options.dont_fragment = true;
  const auto outcome = run(lab, at(Where::server), options);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("errors"), 1) << outcome.describe();
  EXPECT_EQ(outcome.get_int("error.kind"), static_cast<int>(engine::IcmpErrorKind::packet_too_big));
  EXPECT_EQ(outcome.get_int("error.mtu"), 1280);
  EXPECT_EQ(outcome.get("error.router"), at(Where::r2_r1_side));
}

TEST_P(PingerInLab, SilentServerEndsInTimeout) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.server_ignores_echo = true;
  Lab lab(config);
  const auto outcome = run(lab, at(Where::server), probes(1, std::chrono::milliseconds(20), std::chrono::milliseconds(500)));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("timeouts"), 1) << outcome.describe();
  EXPECT_EQ(outcome.get_int("replies"), 0);
}

TEST_P(PingerInLab, EveryProbeOfABurstToARejectedTargetEndsInAnError) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.r1_reject_icmp_code = 13;
  config.r1_reject_icmpv6_code = 1;
  config.router_icmp_ratelimit_ms = 0;  // nft reject answers through the ICMP rate limiter
  Lab lab(config);
  constexpr std::uint32_t count = 25;
  const auto outcome = run(lab, at(Where::reject_target), probes(count, std::chrono::milliseconds(0)));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("probes"), static_cast<int>(count));
  EXPECT_EQ(outcome.get_int("timeouts"), 0) << "a probe was lost silently: " << outcome.describe();
  EXPECT_EQ(outcome.get_int("errors").value_or(0) + outcome.get_int("send_errors").value_or(0), static_cast<int>(count));
  EXPECT_EQ(outcome.get_int("error.code"), family() == Family::v4 ? 13 : 1);
  EXPECT_EQ(outcome.get("error.router"), at(Where::r1_client_side));
}

// Where ping_group_range is closed (the server namespace), root's Pinger
// falls back to a raw socket, and both replies and ICMP errors (taken from
// the quoted datagram, not the error queue) still end its probes.
TEST_P(PingerInLab, RawFallbackForRootGetsRepliesAndErrors) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const std::string client = at(Where::client);
  const int client_ttl = std::stoi(lab.read_sysctl(
      Node::client, family() == Family::v4 ? "net.ipv4.ip_default_ttl"
                                           : "net.ipv6.conf." + Lab::interface_towards(Node::client, Node::r1) + ".hop_limit"));
  auto expired = probes(1);
  expired.ttl = wire::Ttl(1);
  const auto outcome = lab::run_in_netns(lab.netns(Node::server), {lab::Identity::root, 8s}, [&](lab::ChildReport& report) {
    ping_and_record(report, client, probes(2), 3s, "echo.");
    ping_and_record(report, client, expired, 3s, "ttl1.");
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("echo.kind"), "raw");
  EXPECT_EQ(outcome.get_int("echo.replies"), 2) << outcome.describe();
  EXPECT_EQ(outcome.get_int("echo.reply.ttl"), client_ttl - Lab::routers_between_client_and_server);
  EXPECT_EQ(outcome.get_int("ttl1.errors"), 1) << outcome.describe();
  EXPECT_EQ(outcome.get_int("ttl1.error.kind"), static_cast<int>(engine::IcmpErrorKind::time_exceeded));
  EXPECT_EQ(outcome.get("ttl1.error.router"), at(Where::r2_server_side));
}

INSTANTIATE_TEST_SUITE_P(Families, PingerInLab, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
