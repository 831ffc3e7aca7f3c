// net::icmp_socket (Asio) on real sockets in the lab, as the unprivileged
// user in the client namespace: async_receive delivers echo replies and, on
// the same wait, the ICMP errors the kernel queued for our probes; a burst
// of probes towards an nft-rejected destination loses none of them to the
// kernel's one-shot pending socket error.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <set>

#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/wire/icmp.hpp"
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

// Receives asynchronously until done() accepts a result or the timeout ends;
// the result's views are only valid inside done().
bool receive_until(asio::io_context& io, net::icmp_socket& socket, std::vector<std::byte>& buffer,
                   std::chrono::milliseconds timeout, const std::function<bool(const net::Received&)>& done) {
  bool finished = false;
  asio::steady_timer watchdog(io, timeout);
  watchdog.async_wait([&](std::error_code ec) {
    if (!ec) socket.cancel();
  });
  std::function<void()> arm = [&] {
    socket.async_receive(buffer, [&](std::error_code ec, net::Received received) {
      if (ec) return;
      if (done(received)) {
        finished = true;
        watchdog.cancel();
        return;
      }
      arm();
    });
  };
  arm();
  io.restart();
  io.run();
  return finished;
}

std::optional<std::uint16_t> echo_seq_of(const wire::IcmpView& view) {
  auto echo = wire::decode_echo(view);
  if (!echo) return std::nullopt;
  return echo->seq.value();
}

class NetIcmpSocket : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(Where where) const { return Lab::address(where, family()); }
};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(NetIcmpSocket, AsyncReceiveDeliversTheReplyAndThenTheQueuedTimeExceeded) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const Family family = GetParam();
  const int expected_ttl = lab.server_initial_ttl(family) - Lab::routers_between_client_and_server;
  const std::string server = at(Where::server);
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 8s}, [&](lab::ChildReport& report) {
    asio::io_context io;
    net::icmp_socket socket(io, family);
    report.set("kind", socket.kind() == sys::SocketKind::dgram ? "dgram" : "raw");
    std::vector<std::byte> buffer(sys::max_datagram_size);

    socket.send_to(echo_request(family, wire::EchoId{1}, wire::EchoSeq{1}, "net-reply"), address(server));
    const bool replied = receive_until(io, socket, buffer, 3s, [&](const net::Received& received) {
      const auto* message = received.message();
      if (message == nullptr || echo_seq_of(message->icmp) != 1) return false;
      report.set("reply.source", message->datagram.source.to_string());
      if (message->datagram.ttl) report.set("reply.ttl", static_cast<int>(message->datagram.ttl->value()));
      return true;
    });
    report.set("replied", replied);

    if (auto set = sys::set_ttl(socket.ref(), wire::Ttl(1)); !set) return report.fail("set_ttl: " + set.error().message());
    socket.send_to(echo_request(family, wire::EchoId{1}, wire::EchoSeq{2}, "net-ttl1"), address(server));
    const bool errored = receive_until(io, socket, buffer, 3s, [&](const net::Received& received) {
      const auto* error = received.error();
      if (error == nullptr || !error->probe || echo_seq_of(*error->probe) != 2) return false;
      report.set("error.offender", error->record.offender.to_string());
      report.set("error.type", static_cast<int>(error->record.icmp_type));
      return true;
    });
    report.set("errored", errored);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("kind"), "dgram");
  EXPECT_EQ(outcome.get("replied"), "true");
  EXPECT_EQ(outcome.get("reply.source"), server);
  EXPECT_EQ(outcome.get_int("reply.ttl"), expected_ttl);
  EXPECT_EQ(outcome.get("errored"), "true") << "the error queue wakes an async_receive";
  EXPECT_EQ(outcome.get("error.offender"), at(Where::r1_client_side));
  EXPECT_EQ(outcome.get_int("error.type"),
            family == Family::v4 ? wire::icmpv4_type::time_exceeded : wire::icmpv6_type::time_exceeded);
}

TEST_P(NetIcmpSocket, ABurstOfProbesToARejectedDestinationGetsEveryErrorBack) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.r1_reject_icmp_code = 1;
  config.r1_reject_icmpv6_code = 4;
  config.router_icmp_ratelimit_ms = 0;  // nft reject answers through the ICMP rate limiter
  Lab lab(config);
  const Family family = GetParam();
  const std::string target = at(Where::reject_target);
  constexpr int probes = 30;
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 8s}, [&](lab::ChildReport& report) {
    asio::io_context io;
    net::icmp_socket socket(io, family);
    int sent = 0, failed = 0;
    for (int seq = 1; seq <= probes; ++seq) {
      std::error_code ec;
      socket.send_to(echo_request(family, wire::EchoId{1}, wire::EchoSeq{static_cast<std::uint16_t>(seq)}, "burst"),
                     address(target), ec);
      ec ? ++failed : ++sent;
    }
    report.set("sent", sent);
    report.set("failed", failed);
    std::set<int> errors;
    std::vector<std::byte> buffer(sys::max_datagram_size);
    receive_until(io, socket, buffer, 3s, [&](const net::Received& received) {
      if (const auto* error = received.error(); error != nullptr && error->probe) {
        if (const auto seq = echo_seq_of(*error->probe)) errors.insert(*seq);
      }
      return static_cast<int>(errors.size()) == sent;
    });
    report.set("errors", errors.size());
    report.set("pending_errors_seen_by_reads", static_cast<long long>(socket.receive_stats().pending_errors));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("sent"), probes) << outcome.describe();
  EXPECT_EQ(outcome.get_int("failed"), 0);
  EXPECT_EQ(outcome.get_int("errors"), probes) << "every probe sent must come back as an error";
}

INSTANTIATE_TEST_SUITE_P(Families, NetIcmpSocket, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
