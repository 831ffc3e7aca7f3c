// "The next sendto() fails once after an ICMP error was queued": with
// IP_RECVERR / IPV6_RECVERR the kernel also stores the error as the socket's
// pending error, and the next send returns it without sending anything. A
// prober that fires probes in parallel loses one probe per error that way
// unless it resends. These tests first show the kernel doing it (plain
// sendto on the descriptor), then check that sys::send_to() loses nothing:
// every probe is either sent or reported as failed, and every probe sent to
// an nft-rejected destination comes back through the error queue.
//
// nft reject errors go through the kernel's ICMP rate limiter (per
// namespace, net.ipv4.icmp_ratelimit / net.ipv6.icmp.ratelimit), so these labs
// set it to 0 in the routers: every probe gets its error.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <set>
#include <thread>

#include "icmpkit/sys/receive.hpp"
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

// v4: host unreachable (EHOSTUNREACH); v6: port unreachable (ECONNREFUSED).
constexpr int reject_code_v4 = 1;
constexpr int reject_code_v6 = 4;

lab::LabConfig rejecting_lab() {
  lab::LabConfig config;
  config.r1_reject_icmp_code = reject_code_v4;
  config.r1_reject_icmpv6_code = reject_code_v6;
  config.router_icmp_ratelimit_ms = 0;
  return config;
}

int expected_errno(Family family) { return family == Family::v4 ? EHOSTUNREACH : ECONNREFUSED; }

// Plain sendto() on the socket's descriptor, to watch the kernel without sys::send_to's retry.
ssize_t plain_sendto(int fd, Family family, const std::vector<std::byte>& message, const std::string& to) {
  if (family == Family::v4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, to.c_str(), &sa.sin_addr);
    return ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, to.c_str(), &sa.sin6_addr);
  return ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
}

// Reads the error queue until `want` records arrived or `timeout` passed;
// returns the probe sequence numbers.
std::multiset<int> drain_errors(sys::SocketRef socket, std::size_t want, std::chrono::milliseconds timeout) {
  std::multiset<int> seqs;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seqs.size() < want && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const auto error = await_queued_error(socket, std::max(left, std::chrono::milliseconds(1)));
    if (!error) break;
    seqs.insert(error->probe_seq ? *error->probe_seq : -1);
  }
  return seqs;
}

std::string seqs_text(const std::multiset<int>& seqs) {
  std::string text;
  for (const int seq : seqs) text += std::to_string(seq) + ",";
  return text;
}

class PendingError : public ::testing::TestWithParam<Family> {};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(PendingError, KernelFailsTheNextPlainSendOnceAndDropsThatProbe) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  Lab lab(rejecting_lab());
  const std::string target = Lab::address(Where::reject_target, family);
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 6s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    const int fd = socket->native_handle();
    auto send_seq = [&](std::uint16_t seq) {
      const auto probe = echo_request(family, wire::EchoId{1}, wire::EchoSeq{seq}, "pending");
      const ssize_t n = plain_sendto(fd, family, probe, target);
      return n < 0 ? -errno : 0;
    };
    report.set("send1", send_seq(1));
    // Wait until the error is queued, without reading it.
    pollfd pfd{fd, 0, 0};
    report.set("pollerr", ::poll(&pfd, 1, 3000) == 1 && (pfd.revents & POLLERR) != 0);
    report.set("send2", send_seq(2));
    report.set("send3", send_seq(3));
    report.set("seqs", seqs_text(drain_errors(*socket, 2, 2s)));
    report.set("more", await_queued_error(*socket, 300ms).has_value());
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("send1"), 0);
  EXPECT_EQ(outcome.get("pollerr"), "true");
  EXPECT_EQ(outcome.get_int("send2"), -expected_errno(GetParam())) << "the queued error fails the next send";
  EXPECT_EQ(outcome.get_int("send3"), 0) << "only once";
  EXPECT_EQ(outcome.get("seqs"), "1,3,") << "probe 2 was never sent";
  EXPECT_EQ(outcome.get("more"), "false");
}

// Probes sent one after the other with the previous probe's error already
// queued: each send meets a pending error, and none may be lost.
TEST_P(PendingError, SendToResendsSoSpacedProbesAreNeverLost) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  Lab lab(rejecting_lab());
  const std::string target = Lab::address(Where::reject_target, family);
  constexpr int probes = 12;
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 8s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    int sent = 0, failed = 0, pending_reported = 0, pending_errno_right = 0;
    std::multiset<int> sent_seqs;
    for (int seq = 1; seq <= probes; ++seq) {
      const auto probe = echo_request(family, wire::EchoId{1}, wire::EchoSeq{static_cast<std::uint16_t>(seq)}, "spaced");
      auto outcome_ = sys::send_to(*socket, probe, address(target));
      if (!outcome_) {
        ++failed;
      } else {
        ++sent;
        sent_seqs.insert(seq);
        if (outcome_->pending_error_reported) {
          ++pending_reported;
          if (outcome_->pending_error.value() == expected_errno(family)) ++pending_errno_right;
        }
      }
      // Let this probe's error come back (and become pending) before the next send.
      pollfd pfd{socket->native_handle(), 0, 0};
      ::poll(&pfd, 1, 1000);
    }
    report.set("sent", sent);
    report.set("failed", failed);
    report.set("pending_reported", pending_reported);
    report.set("pending_errno_right", pending_errno_right);
    report.set("sent_seqs", seqs_text(sent_seqs));
    report.set("error_seqs", seqs_text(drain_errors(*socket, static_cast<std::size_t>(sent), 3s)));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("sent"), probes) << outcome.describe();
  EXPECT_EQ(outcome.get_int("failed"), 0);
  EXPECT_EQ(outcome.get_int("pending_reported"), probes - 1) << "every send after the first met a pending error";
  EXPECT_EQ(outcome.get_int("pending_errno_right"), probes - 1);
  EXPECT_EQ(outcome.get("error_seqs"), outcome.get("sent_seqs")) << "each sent probe's error came back";
}

// Probes fired back to back while errors arrive at random points in between:
// each probe is either sent (and its error comes back) or reported failed.
TEST_P(PendingError, SendToLosesNoProbeOfABurst) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  Lab lab(rejecting_lab());
  const std::string target = Lab::address(Where::reject_target, family);
  constexpr int probes = 40;
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 8s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    int sent = 0, failed = 0, pending_reported = 0;
    std::multiset<int> sent_seqs;
    for (int seq = 1; seq <= probes; ++seq) {
      const auto probe = echo_request(family, wire::EchoId{1}, wire::EchoSeq{static_cast<std::uint16_t>(seq)}, "burst");
      auto result = sys::send_to(*socket, probe, address(target));
      if (!result) {
        ++failed;
        report.set("failure." + std::to_string(seq), result.error().message());
      } else {
        ++sent;
        sent_seqs.insert(seq);
        if (result->pending_error_reported) ++pending_reported;
      }
      if (seq % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    report.set("sent", sent);
    report.set("failed", failed);
    report.set("pending_reported", pending_reported);
    report.set("sent_seqs", seqs_text(sent_seqs));
    report.set("error_seqs", seqs_text(drain_errors(*socket, static_cast<std::size_t>(sent), 3s)));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("sent").value_or(0) + outcome.get_int("failed").value_or(0), probes);
  EXPECT_EQ(outcome.get("error_seqs"), outcome.get("sent_seqs")) << outcome.describe();
  // Informational: how often the kernel's one-shot error hit this burst.
  RecordProperty("pending_reported", outcome.get("pending_reported"));
}

INSTANTIATE_TEST_SUITE_P(Families, PendingError, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
