// Where net.ipv4.ping_group_range is closed (the kernel default "1 0", kept in
// every lab namespace but the client), root's automatic open falls back to a
// raw socket, an unprivileged user gets neither kind, and diagnose() says why
// for each kind. In the client namespace (range open) the same user is told
// the ping socket opens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "icmpkit/sys/privileges.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "support/probe_support.hpp"

namespace icmpkit::itest {
namespace {

using lab::Lab;
using lab::Node;
using lab::Where;
using wire::Family;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class ClosedPingGroupRange : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(ClosedPingGroupRange, AutomaticOpenFallsBackToRawForRootAndStillPings) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const Family family = GetParam();
  const std::string router = Lab::address(Where::r2_server_side, family);
  // r2 is one link away: its initial TTL / hop limit arrives unchanged.
  const int router_ttl = std::stoi(lab.read_sysctl(
      Node::r2, family == Family::v4 ? "net.ipv4.ip_default_ttl" : "net.ipv6.conf.r2-s.hop_limit"));
  const auto outcome = lab::run_in_netns(lab.netns(Node::server), {lab::Identity::root, 5s}, [&](lab::ChildReport& report) {
    sys::OpenOptions dgram_only;
    dgram_only.mode = sys::SocketMode::dgram;
    sys::OpenReport dgram_report;
    auto dgram = sys::IcmpSocket::open(family, dgram_only, &dgram_report);
    report.set("dgram_opened", dgram.has_value());
    if (!dgram) {
      const auto ec = dgram.error();
      report.set("dgram_error_is_permission",
                 ec == errc::permission_denied || (ec.category() == std::system_category() && ec.value() == EACCES));
    }
    if (dgram_report.dgram) report.set("dgram_report_errno", dgram_report.dgram->error.value());

    auto socket = sys::IcmpSocket::open(family);  // automatic
    if (!socket) return report.fail("automatic open: " + socket.error().message());
    report.set("kind", socket->kind() == sys::SocketKind::dgram ? "dgram" : "raw");
    if (const auto& why = socket->fallback_reason()) {
      report.set("fallback.kind", why->kind == sys::SocketKind::dgram ? "dgram" : "raw");
      report.set("fallback.errno", why->error.value());
      report.set("fallback.reason", std::string(why->reason));
    }
    // The raw fallback really works: echo r2 (one hop) and get the reply.
    const auto probe = echo_request(family, wire::EchoId{0x4b1d}, wire::EchoSeq{3}, "raw-fallback");
    auto sent = sys::send_to(*socket, probe, address(router));
    if (!sent) return report.fail("send_to: " + sent.error().message());
    const auto reply = await_datagram(*socket, 3s, echo_reply_to(family, wire::EchoSeq{3}, "raw-fallback"));
    if (!reply) return report.fail("no echo reply on the raw socket within 3 s");
    record(report, "reply", *reply);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("dgram_opened"), "false") << "root is not exempt from ping_group_range";
  EXPECT_EQ(outcome.get("dgram_error_is_permission"), "true") << outcome.describe();
  EXPECT_EQ(outcome.get_int("dgram_report_errno"), EACCES) << "the OS error is kept for the caller";
  EXPECT_EQ(outcome.get("kind"), "raw");
  EXPECT_EQ(outcome.get("fallback.kind"), "dgram");
  EXPECT_EQ(outcome.get_int("fallback.errno"), EACCES);
  EXPECT_NE(lower(outcome.get("fallback.reason")).find("ping_group_range"), std::string::npos) << outcome.describe();
  EXPECT_EQ(outcome.get("reply.source"), router);
  EXPECT_EQ(outcome.get_int("reply.id"), 0x4b1d) << "a raw socket keeps the id we wrote";
  EXPECT_EQ(outcome.get_int("reply.ttl"), router_ttl);
}

TEST_P(ClosedPingGroupRange, UnprivilegedUserIsRefusedBothKindsAndToldWhy) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const Family family = GetParam();
  const auto outcome = lab::run_in_netns(lab.netns(Node::server), {lab::Identity::nobody, 5s}, [&](lab::ChildReport& report) {
    sys::OpenReport open_report;
    auto socket = sys::IcmpSocket::open(family, {}, &open_report);
    report.set("opened", socket.has_value());
    if (!socket) report.set("open_error_is_permission_denied", socket.error() == errc::permission_denied);
    if (open_report.dgram) report.set("report.dgram.errno", open_report.dgram->error.value());
    if (open_report.raw) report.set("report.raw.errno", open_report.raw->error.value());

    const auto diagnosis = sys::diagnose(family);
    report.set("dgram.opened", diagnosis.dgram.opened);
    report.set("dgram.errno", diagnosis.dgram.error.value());
    report.set("dgram.why", diagnosis.dgram.why);
    report.set("dgram.fixes", diagnosis.dgram.fixes.size());
    report.set("raw.opened", diagnosis.raw.opened);
    report.set("raw.errno", diagnosis.raw.error.value());
    report.set("raw.why", diagnosis.raw.why);
    report.set("raw.fixes", diagnosis.raw.fixes.size());
    report.set("automatic", diagnosis.automatic_result().has_value());
    if (diagnosis.ping_group_range) {
      report.set("range.closed", diagnosis.ping_group_range->is_closed());
    }
    if (diagnosis.capabilities) report.set("net_raw", diagnosis.capabilities->net_raw_effective);
    report.set("egid", static_cast<long long>(diagnosis.identity.egid));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("opened"), "false");
  EXPECT_EQ(outcome.get("open_error_is_permission_denied"), "true");
  EXPECT_EQ(outcome.get_int("report.dgram.errno"), EACCES);
  EXPECT_EQ(outcome.get_int("report.raw.errno"), EPERM);

  EXPECT_EQ(outcome.get("dgram.opened"), "false");
  EXPECT_EQ(outcome.get_int("dgram.errno"), EACCES);
  EXPECT_NE(lower(outcome.get("dgram.why")).find("ping_group_range"), std::string::npos) << outcome.describe();
  EXPECT_GE(outcome.get_int("dgram.fixes").value_or(0), 1);
  EXPECT_EQ(outcome.get("raw.opened"), "false");
  EXPECT_EQ(outcome.get_int("raw.errno"), EPERM);
  EXPECT_NE(lower(outcome.get("raw.why")).find("cap_net_raw"), std::string::npos) << outcome.describe();
  EXPECT_GE(outcome.get_int("raw.fixes").value_or(0), 1);
  EXPECT_EQ(outcome.get("automatic"), "false");
  EXPECT_EQ(outcome.get("range.closed"), "true");
  EXPECT_EQ(outcome.get("net_raw"), "false");
  EXPECT_EQ(outcome.get_int("egid"), static_cast<long long>(lab::nogroup_gid()));
}

TEST_P(ClosedPingGroupRange, OpenRangeInTheClientLetsTheSameUserOpenADgramSocket) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const Family family = GetParam();
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 5s}, [&](lab::ChildReport& report) {
    const auto diagnosis = sys::diagnose(family);
    report.set("dgram.opened", diagnosis.dgram.opened);
    report.set("raw.opened", diagnosis.raw.opened);
    report.set("automatic_is_dgram", diagnosis.automatic_result() == sys::SocketKind::dgram);
    if (diagnosis.ping_group_range) {
      report.set("range.contains_egid", diagnosis.ping_group_range->contains(diagnosis.identity.egid));
    }
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("dgram.opened"), "true");
  EXPECT_EQ(outcome.get("raw.opened"), "false");
  EXPECT_EQ(outcome.get("automatic_is_dgram"), "true");
  EXPECT_EQ(outcome.get("range.contains_egid"), "true");
}

INSTANTIATE_TEST_SUITE_P(Families, ClosedPingGroupRange, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
