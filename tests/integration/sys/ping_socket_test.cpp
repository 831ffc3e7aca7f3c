// An unprivileged user in a namespace whose ping_group_range is open gets
// echo replies through a ping socket, v4 and v6, with the reply's TTL / hop
// limit (server's initial value minus the routers on the way).
#include <gtest/gtest.h>

#include <net/if.h>

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

struct EchoCase {
  Family family;
  sys::SocketMode mode;
};

std::string echo_case_name(const ::testing::TestParamInfo<EchoCase>& info) {
  return std::string(family_name(info.param.family)) +
         (info.param.mode == sys::SocketMode::dgram ? "_dgram" : "_automatic");
}

class PingSocketEcho : public ::testing::TestWithParam<EchoCase> {};

TEST_P(PingSocketEcho, UnprivilegedClientGetsServerReplyWithTtlLessTheRouters) {
  ICMPKIT_REQUIRE_LAB();
  const auto [family, mode] = GetParam();
  lab::LabConfig config;
  config.server_initial_ttl = 77;  // not a default, so a hard-coded 62/63/64 cannot pass
  Lab lab(config);
  const int expected_ttl = lab.server_initial_ttl(family) - Lab::routers_between_client_and_server;
  const std::string server = Lab::address(Where::server, family);
  const std::string cookie = "icmpkit-lab-echo-cookie";
  const std::string client_if = Lab::interface_towards(Node::client, Node::r1);

  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 5s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = mode;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    report.set("kind", socket->kind() == sys::SocketKind::dgram ? "dgram" : "raw");
    auto id = socket->ensure_echo_id();
    if (!id) return report.fail("ensure_echo_id: " + id.error().message());
    report.set("local_id", static_cast<int>(id->value()));
    // An id the kernel must replace with the socket's own.
    const wire::EchoId written_id(static_cast<std::uint16_t>(id->value() ^ 0x5a5a));
    const auto probe = echo_request(family, written_id, wire::EchoSeq{7}, cookie);
    auto sent = sys::send_to(*socket, probe, address(server));
    if (!sent) return report.fail("send_to: " + sent.error().message());
    const auto reply = await_datagram(*socket, 3s, echo_reply_to(family, wire::EchoSeq{7}, cookie));
    if (!reply) return report.fail("no echo reply within 3 s");
    record(report, "reply", *reply);
    report.set("client_ifindex", static_cast<long long>(::if_nametoindex(client_if.c_str())));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("kind"), "dgram") << "ping_group_range is open in the client: automatic must pick dgram";
  EXPECT_EQ(outcome.get("reply.source"), server);
  EXPECT_EQ(outcome.get_int("reply.ttl"), expected_ttl) << outcome.describe();
  EXPECT_EQ(outcome.get_int("reply.id"), outcome.get_int("local_id")) << "the kernel owns the echo id";
  // Control messages the socket asked for by default: pktinfo and a receive timestamp.
  EXPECT_EQ(outcome.get("reply.destination"), Lab::address(Where::client, family));
  EXPECT_EQ(outcome.get_int("reply.ifindex"), outcome.get_int("client_ifindex"));
  ASSERT_TRUE(outcome.has("reply.timestamp_age_ms")) << "no kernel receive timestamp";
  EXPECT_GE(*outcome.get_int("reply.timestamp_age_ms"), 0);
  EXPECT_LT(*outcome.get_int("reply.timestamp_age_ms"), 3000);
}

class SilentHost : public ::testing::TestWithParam<Family> {};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

// A host that ignores echo leaves the prober with a timeout: no reply, and
// nothing in the error queue either (silence is data, not an error).
TEST_P(SilentHost, ProbeGetsNeitherReplyNorQueuedError) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  lab::LabConfig config;
  config.server_ignores_echo = true;
  Lab lab(config);
  const std::string server = Lab::address(Where::server, family);
  const std::string router = Lab::address(Where::r2_server_side, family);
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 5s}, [&](lab::ChildReport& report) {
    auto socket = sys::IcmpSocket::open(family);
    if (!socket) return report.fail("open: " + socket.error().message());
    const auto silent = echo_request(family, wire::EchoId{1}, wire::EchoSeq{1}, "anyone-there");
    if (auto sent = sys::send_to(*socket, silent, address(server)); !sent) return report.fail("send_to: " + sent.error().message());
    report.set("server_replied", await_datagram(*socket, 1s, echo_reply_to(family, wire::EchoSeq{1}, "anyone-there")).has_value());
    report.set("error_queued", await_queued_error(*socket, 10ms).has_value());
    // The path is fine: the server's router answers.
    const auto control = echo_request(family, wire::EchoId{1}, wire::EchoSeq{2}, "router");
    if (auto sent = sys::send_to(*socket, control, address(router)); !sent) return report.fail("send_to: " + sent.error().message());
    report.set("router_replied", await_datagram(*socket, 2s, echo_reply_to(family, wire::EchoSeq{2}, "router")).has_value());
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("server_replied"), "false");
  EXPECT_EQ(outcome.get("error_queued"), "false");
  EXPECT_EQ(outcome.get("router_replied"), "true");
}

INSTANTIATE_TEST_SUITE_P(Families, SilentHost, ::testing::Values(Family::v4, Family::v6), param_family);

INSTANTIATE_TEST_SUITE_P(Modes, PingSocketEcho,
                         ::testing::Values(EchoCase{Family::v4, sys::SocketMode::dgram},
                                           EchoCase{Family::v4, sys::SocketMode::automatic},
                                           EchoCase{Family::v6, sys::SocketMode::dgram},
                                           EchoCase{Family::v6, sys::SocketMode::automatic}),
                         echo_case_name);

}  // namespace
}  // namespace icmpkit::itest
