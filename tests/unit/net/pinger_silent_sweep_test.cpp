// Silent hosts must not slow a sweep down: the sweep window counts targets
// waiting to be sent, not targets running, so a target that sent its probe
// and waits for its timeout does not hold the next ones back. Before, a
// sweep kept 4,096 targets running, and silent hosts went at 4,096 per
// timeout. Runs in a private network namespace where nftables drops every
// echo request to 127.3.0.0/16 (those targets are silent); the rest of
// 127.0.0.0/8 answers on loopback.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <string>
#include <variant>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;
namespace engine = icmpkit::engine;

namespace {

constexpr std::uint32_t silent_count = 10000;  // well above the 4,096 that used to run at once

wire::IpAddress silent_target(std::uint32_t i) {
  return wire::IpAddress(
      wire::Ipv4Address{std::byte{127}, std::byte{3}, std::byte((i >> 8) & 0xff), std::byte(i & 0xff)});
}

bool make_127_3_silent() {
  return net::test::sh(
      "nft add table inet silent && "
      "nft add chain inet silent input '{ type filter hook input priority 0; }' && "
      "nft add rule inet silent input ip daddr 127.3.0.0/16 icmp type echo-request drop");
}

TEST(PingerSilentSweep, EverySilentTargetIsSentBeforeTheFirstTimesOut) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    if (!make_127_3_silent()) return "SKIP: nft could not install the drop rule (nftables missing?)";
    asio::io_context context;
    net::PingerOptions pinger_options;
    // The window is under test, not the receive buffer's cap on probes in flight.
    pinger_options.max_in_flight = net::PingerOptions::no_in_flight_cap;
    net::Pinger pinger(context, pinger_options);
    net::PingOptions o;
    o.count = 1;
    o.timeout = 3s;  // sending 10,000 probes takes a fraction of this
    std::vector<wire::IpAddress> targets;
    for (std::uint32_t i = 0; i < silent_count; ++i) targets.push_back(silent_target(i));

    std::uint64_t sent_at_first_result = 0;
    std::uint64_t results = 0;
    std::uint64_t timeouts = 0;
    bool completed = false;
    std::string error;
    net::SweepSummary summary;
    pinger.async_sweep(
        targets, o,
        [&](const net::PingResult& result) {
          if (results++ == 0) sent_at_first_result = pinger.total_stats(wire::Family::v4).sent;
          if (result.probes.size() == 1 && std::holds_alternative<engine::Timeout>(result.probes[0].outcome)) {
            ++timeouts;
          }
        },
        [&](std::error_code ec, net::SweepSummary s) {
          completed = true;
          if (ec) error = ec.message();
          summary = s;
        });
    context.run_for(15s);
    if (!completed) return "the sweep did not complete within 15 s";
    if (!error.empty()) return "the sweep failed: " + error;
    if (sent_at_first_result != silent_count) {
      return "only " + std::to_string(sent_at_first_result) + " of " + std::to_string(silent_count) +
             " probes were sent when the first target timed out";
    }
    if (results != silent_count || timeouts != silent_count) {
      return std::to_string(results) + " results, " + std::to_string(timeouts) + " timeouts for " +
             std::to_string(silent_count) + " silent targets";
    }
    if (summary.targets != silent_count || summary.alive != 0) return "the summary counts wrong";
    return {};
  });
}

// A stream that starts its next target only when the Pinger says it sent
// probes (never from on_finished), as a sweep that keeps a window of unsent
// targets does; unsent_requests counts the targets not sent yet.
struct FeedOnSendStream final : net::PingStream {
  net::Pinger* pinger = nullptr;
  net::PingOptions options;
  std::uint64_t total = 0;
  std::uint64_t started = 0;
  std::uint64_t finished = 0;
  std::uint64_t replies = 0;
  std::uint64_t sent_calls = 0;
  std::string error;

  void start_next() {
    if (started == total) return;
    if (auto ok = pinger->stream_ping(net::test::numbered_loopback(static_cast<std::uint32_t>(started)), options,
                                      *this, started);
        !ok) {
      error = "stream_ping failed: " + ok.error().message();
      return;
    }
    ++started;
  }
  void on_probe(std::uint64_t, const engine::ProbeEvent& event) override {
    if (event.kind == engine::EventKind::outcome && std::holds_alternative<engine::Reply>(event.outcome)) ++replies;
  }
  void on_finished(std::uint64_t, std::error_code, const engine::PingStatistics&, bool) override { ++finished; }
  void on_probes_sent() override {
    ++sent_calls;
    start_next();
  }
};

TEST(PingerStream, TargetsStartedFromOnProbesSentAllFinish) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    asio::io_context context;
    net::Pinger pinger(context);
    FeedOnSendStream stream;
    stream.pinger = &pinger;
    // Two probes 20 ms apart keep each target running after its first send,
    // so the stream has targets running when the Pinger says it sent (a
    // stream whose targets all finished hears on_finished instead).
    stream.options.count = 2;
    stream.options.interval = 20ms;
    stream.options.timeout = 2s;
    stream.total = 200;
    for (int i = 0; i < 3; ++i) stream.start_next();
    if (!stream.error.empty()) return stream.error;
    const auto unsent_before = pinger.unsent_requests(wire::Family::v4);
    if (unsent_before != 3) return "unsent_requests is " + std::to_string(unsent_before) + " before any send, not 3";
    for (int i = 0; i < 200 && stream.finished < stream.total && stream.error.empty(); ++i) context.run_for(50ms);
    if (!stream.error.empty()) return stream.error;
    if (stream.finished != stream.total || stream.replies != 2 * stream.total) {
      return std::to_string(stream.finished) + " finished, " + std::to_string(stream.replies) + " replies of " +
             std::to_string(stream.total);
    }
    // Every target after the first three was started from a call.
    if (stream.sent_calls < stream.total - 3) return "on_probes_sent came " + std::to_string(stream.sent_calls) + " times";
    if (pinger.unsent_requests(wire::Family::v4) != 0) return "unsent_requests is not 0 at the end";
    return {};
  });
}

}  // namespace
