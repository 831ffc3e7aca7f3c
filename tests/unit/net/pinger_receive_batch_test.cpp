// How many receive slots the Pinger offers each recvmmsg call: the probes in
// flight and a few spare, doubling after a batch that came back full. Every
// offered slot is set up for the call, so a flood (one probe in flight, one
// drain per probe) offering all 64 spent a quarter of its user time on slots
// it never used, while a sweep must still read full batches. Real sockets in
// a private network namespace; the system-call seam records each call.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "icmpkit/net/pinger.hpp"
#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace sys = icmpkit::sys;

namespace {

// The slots offered to each recvmmsg call, in order.
std::vector<unsigned>& offered() {
  static std::vector<unsigned> counts;
  return counts;
}

int recording_recvmmsg(int fd, void* messages, unsigned count, int flags, void* timeout) {
  offered().push_back(count);
  return sys::detail::real_system_calls().recvmmsg(fd, messages, count, flags, timeout);
}

// Pings every target with `options`, one request each; "" when every probe was answered.
std::string ping_all(const std::vector<icmpkit::wire::IpAddress>& targets, const net::PingOptions& options) {
  asio::io_context context;
  net::PingerOptions po;
  po.mode = sys::SocketMode::raw;
  net::Pinger pinger(context, po);
  std::size_t answered = 0;
  std::string failure;
  for (const auto& target : targets) {
    pinger.async_ping(target, options, [&](std::error_code ec, net::PingResult r) {
      if (ec) failure = ec.message();
      if (r.statistics.received == options.count) ++answered;
    });
  }
  context.run_for(10s);
  if (!failure.empty()) return failure;
  if (answered != targets.size()) {
    return std::to_string(answered) + " of " + std::to_string(targets.size()) + " targets answered every probe";
  }
  return "";
}

}  // namespace

TEST(Pinger, OffersReceiveSlotsForTheProbesInFlight) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    auto calls = sys::detail::real_system_calls();
    calls.recvmmsg = recording_recvmmsg;
    sys::detail::ScopedSystemCalls seam(calls);

    // A flood: the next probe leaves when the reply is in, so one is in flight.
    net::PingOptions flood;
    flood.count = 50;
    flood.interval = 1s;
    flood.send_on_reply = true;
    flood.timeout = 1s;
    offered().clear();
    if (auto failure = ping_all({net::test::loopback(icmpkit::wire::Family::v4)}, flood); !failure.empty()) {
      return "flood: " + failure;
    }
    if (offered().empty()) return std::string("flood: recvmmsg was never called");
    const unsigned flood_most = *std::max_element(offered().begin(), offered().end());
    if (flood_most > 5) return "flood: up to " + std::to_string(flood_most) + " slots offered, expected 1 + 4 at most";

    // A sweep: hundreds in flight, so batches fill and reach the limit.
    std::vector<icmpkit::wire::IpAddress> targets;
    for (std::uint32_t i = 0; i < 400; ++i) targets.push_back(net::test::numbered_loopback(i));
    net::PingOptions once;
    once.count = 1;
    once.timeout = 2s;
    offered().clear();
    if (auto failure = ping_all(targets, once); !failure.empty()) return "sweep: " + failure;
    const unsigned sweep_most = *std::max_element(offered().begin(), offered().end());
    if (sweep_most != sys::max_batch) {
      return "sweep: at most " + std::to_string(sweep_most) + " slots offered, expected " +
             std::to_string(sys::max_batch);
    }
    return std::string();
  });
}
