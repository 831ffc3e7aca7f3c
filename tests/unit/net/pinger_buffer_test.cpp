// net::Pinger against its receive buffer: a sweep sent as fast as possible
// must not overrun it into silent loss. With the automatic in-flight cap a
// tiny buffer loses nothing; without the cap the kernel drops replies and
// the Pinger reports exactly how many. Runs in a private network namespace
// (net_test_support.hpp) so no other program's ICMP shares the socket.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <string>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;
using net::test::IsolatedOutcome;

namespace {

constexpr std::uint32_t targets_count = 3000;

std::vector<wire::IpAddress> loopback_targets() {
  std::vector<wire::IpAddress> out;
  for (std::uint32_t i = 0; i < targets_count; ++i) {
    wire::Ipv4Address a{std::byte{127}, std::byte{0}, std::byte((i >> 8) + 1), std::byte(i & 0xff)};
    out.emplace_back(a);
  }
  return out;
}

struct SweepRun {
  std::error_code error;
  std::optional<net::SweepSummary> summary;
  net::SocketStats socket;
};

SweepRun sweep_fast(const net::PingerOptions& po) {
  asio::io_context context;
  net::Pinger pinger(context, po);
  net::PingOptions o;
  o.count = 1;
  o.timeout = 500ms;
  SweepRun run;
  pinger.async_sweep(loopback_targets(), o, {}, [&](std::error_code ec, net::SweepSummary s) {
    run.error = ec;
    run.summary = s;
  });
  context.run_for(15s);
  run.socket = pinger.socket_stats(wire::Family::v4);
  return run;
}

std::string check(bool ok, const std::string& what) { return ok ? "" : what; }

void expect_isolated(const IsolatedOutcome& outcome) {
  if (outcome.status == IsolatedOutcome::Status::skipped) GTEST_SKIP() << outcome.message;
  EXPECT_EQ(outcome.status, IsolatedOutcome::Status::passed) << outcome.message;
}

TEST(PingerBuffer, InFlightCapKeepsTinyBufferLossless) {
  expect_isolated(net::test::run_in_private_netns([] {
    net::PingerOptions po;
    po.receive_buffer = 1;  // the kernel's minimum: a handful of replies
    auto run = sweep_fast(po);
    if (!run.summary) return std::string("the sweep did not finish");
    if (run.error) return "sweep error: " + run.error.message();
    const auto& st = run.summary->statistics;
    if (auto e = check(run.socket.in_flight_cap >= 1 && run.socket.in_flight_cap < 64,
                       "cap " + std::to_string(run.socket.in_flight_cap) + " for buffer " +
                           std::to_string(run.socket.receive_buffer));
        !e.empty())
      return e;
    if (auto e = check(st.sent == targets_count && st.received == targets_count,
                       "received " + std::to_string(st.received) + " of " + std::to_string(st.sent));
        !e.empty())
      return e;
    return check(run.socket.kernel_drops == 0, "drops " + std::to_string(run.socket.kernel_drops));
  }, std::chrono::seconds(30)));
}

TEST(PingerBuffer, UncappedOverrunIsCountedNotSilent) {
  expect_isolated(net::test::run_in_private_netns([] {
    net::PingerOptions po;
    po.receive_buffer = 1;
    po.max_in_flight = net::PingerOptions::no_in_flight_cap;
    auto run = sweep_fast(po);
    if (!run.summary) return std::string("the sweep did not finish");
    const auto& st = run.summary->statistics;
    if (auto e = check(run.socket.in_flight_cap == 0, "a cap was set"); !e.empty()) return e;
    if (auto e = check(st.received < targets_count, "nothing was lost: the test proves nothing"); !e.empty()) return e;
    // Alone in the namespace, every reply is either read or dropped and counted.
    return check(st.received + run.socket.kernel_drops == targets_count,
                 "received " + std::to_string(st.received) + " + drops " + std::to_string(run.socket.kernel_drops) +
                     " != " + std::to_string(targets_count));
  }, std::chrono::seconds(30)));
}

TEST(PingerBuffer, LargeBufferIsAskedForByDefault) {
  if (!net::test::is_root()) GTEST_SKIP() << "needs root: raw socket and SO_RCVBUFFORCE";
  asio::io_context context;
  net::PingerOptions po;
  po.mode = icmpkit::sys::SocketMode::raw;
  net::Pinger pinger(context, po);
  ASSERT_FALSE(pinger.open(wire::Family::v4));
  const auto stats = pinger.socket_stats(wire::Family::v4);
  // Linux reports twice the request (its bookkeeping share).
  EXPECT_GE(stats.receive_buffer, po.receive_buffer);
  EXPECT_GT(stats.in_flight_cap, 10000u);
}

}  // namespace
