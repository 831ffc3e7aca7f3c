// PingOptions::keep_outcomes: a request that streams its events through a
// probe callback can leave PingResult::probes empty, so an endless ping does
// not grow; the statistics and the events are the same either way. Runs in a
// private network namespace (loopback).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <string>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

namespace {

struct PingRun {
  std::size_t outcome_events = 0;
  std::size_t kept = 0;
  std::uint64_t received = 0;
  std::uint64_t rtt_samples = 0;
  bool done = false;
};

PingRun ping_five(bool keep) {
  asio::io_context context;
  net::Pinger pinger(context);
  net::PingOptions o;
  o.count = 5;
  o.interval = 1ms;
  o.timeout = 2s;
  o.keep_outcomes = keep;
  PingRun run;
  pinger.async_ping(
      wire::IpAddress(wire::Ipv4Address{std::byte{127}, std::byte{0}, std::byte{0}, std::byte{1}}), o,
      [&](const engine::ProbeEvent& e) {
        if (e.kind == engine::EventKind::outcome) ++run.outcome_events;
      },
      [&](std::error_code ec, net::PingResult r) {
        run.done = !ec;
        run.kept = r.probes.size();
        run.received = r.statistics.received;
        run.rtt_samples = r.statistics.rtt.samples;
      });
  context.run_for(10s);
  return run;
}

TEST(PingerKeepOutcomes, OffLeavesProbesEmptyButStatisticsAndEventsWhole) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    const PingRun kept = ping_five(true);
    const PingRun streamed = ping_five(false);
    if (!kept.done || !streamed.done) return std::string("a request did not complete");
    if (kept.kept != 5 || kept.received != 5 || kept.outcome_events != 5) {
      return "keep_outcomes=true: kept " + std::to_string(kept.kept) + " received " + std::to_string(kept.received);
    }
    if (streamed.kept != 0) return "keep_outcomes=false still kept " + std::to_string(streamed.kept);
    if (streamed.received != 5 || streamed.outcome_events != 5 || streamed.rtt_samples != 5) {
      return "keep_outcomes=false: received " + std::to_string(streamed.received) + ", events " +
             std::to_string(streamed.outcome_events) + ", rtt samples " + std::to_string(streamed.rtt_samples);
    }
    return std::string();
  });
}

}  // namespace
