// net::Pinger::async_sweep with more targets than wait to be sent at once: the
// rest wait as addresses and start as earlier ones finish. Every target is
// reported exactly once, and a cancelled sweep starts nothing new. Runs in a
// private network namespace (loopback answers every 127.0.0.0/8 address).
#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <set>
#include <string>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;

namespace {

std::vector<wire::IpAddress> loopback_targets(std::uint32_t count) {
  std::vector<wire::IpAddress> out;
  for (std::uint32_t i = 0; i < count; ++i) out.push_back(net::test::numbered_loopback(i));
  return out;
}

std::string key(const wire::IpAddress& a) { return a.to_string(); }

TEST(PingerSweepWindow, TenThousandTargetsAreEachReportedOnce) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    constexpr std::uint32_t count = 10000;
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.timeout = 2s;
    std::multiset<std::string> streamed;
    std::optional<net::SweepSummary> summary;
    std::error_code error;
    pinger.async_sweep(loopback_targets(count), o, [&](const net::PingResult& r) { streamed.insert(key(r.address)); },
                       [&](std::error_code ec, net::SweepSummary s) {
                         error = ec;
                         summary = s;
                       });
    context.run_for(30s);
    if (!summary) return std::string("the sweep did not complete");
    if (error) return "sweep error: " + error.message();
    if (summary->targets != count || summary->alive != count || summary->statistics.sent != count) {
      return "targets " + std::to_string(summary->targets) + " alive " + std::to_string(summary->alive) + " sent " +
             std::to_string(summary->statistics.sent);
    }
    std::set<std::string> unique(streamed.begin(), streamed.end());
    if (streamed.size() != count || unique.size() != count) {
      return "streamed " + std::to_string(streamed.size()) + " results for " + std::to_string(unique.size()) +
             " targets";
    }
    for (const auto& a : loopback_targets(count)) {
      if (unique.count(key(a)) != 1) return "missing " + key(a);
    }
    return std::string();
  }, std::chrono::seconds(40));
}

TEST(PingerSweepWindow, CancelledSweepStartsNoMoreTargets) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    constexpr std::uint32_t count = 20000;
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.timeout = 2s;
    o.interval = 1s;
    o.count = 3;  // each target runs ~2 s: cancelling after 100 ms finds the first window running
    asio::cancellation_signal signal;
    std::size_t streamed = 0;
    std::optional<net::SweepSummary> summary;
    std::error_code error;
    pinger.async_sweep(loopback_targets(count), o, [&](const net::PingResult&) { ++streamed; },
                       asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, net::SweepSummary s) {
                         error = ec;
                         summary = s;
                       }));
    context.run_for(100ms);
    signal.emit(asio::cancellation_type::terminal);
    context.run_for(10s);
    if (!summary) return std::string("the cancelled sweep did not complete");
    if (error) return "sweep error: " + error.message();
    // Only a first few windows had started (256 targets wait to be sent at a
    // time, and these wait a second between probes): far fewer than 4,096.
    if (summary->targets == 0 || summary->targets > 4096) {
      return "targets completed: " + std::to_string(summary->targets);
    }
    if (streamed != summary->targets) return "streamed " + std::to_string(streamed);
    if (summary->statistics.sent >= summary->targets * 3) return std::string("the cancelled targets kept sending");
    return std::string();
  }, std::chrono::seconds(30));
}

}  // namespace
