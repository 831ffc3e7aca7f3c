// net::Pinger::stream_ping: every event of a target goes to a PingStream,
// with the caller's tag, directly from the Pinger; the end comes once per
// target as on_finished. Runs in a private network namespace (loopback
// answers every 127.0.0.0/8 address).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <string>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;
namespace engine = icmpkit::engine;

namespace {

wire::IpAddress loopback_target(std::uint64_t i) { return net::test::numbered_loopback(static_cast<std::uint32_t>(i)); }

// Records what each tag heard, in order.
struct RecordingStream final : net::PingStream {
  struct Heard {
    std::uint64_t replies = 0;
    std::uint64_t other_outcomes = 0;
    std::uint64_t finished = 0;
    bool events_after_finish = false;
    bool cancelled = false;
    std::error_code error;
    engine::PingStatistics statistics;
  };
  std::map<std::uint64_t, Heard> heard;
  std::function<void(std::uint64_t)> after_finish;

  void on_probe(std::uint64_t tag, const engine::ProbeEvent& event) override {
    auto& h = heard[tag];
    if (h.finished != 0) h.events_after_finish = true;
    if (event.kind != engine::EventKind::outcome) return;
    if (std::holds_alternative<engine::Reply>(event.outcome)) {
      ++h.replies;
    } else {
      ++h.other_outcomes;
    }
  }
  void on_finished(std::uint64_t tag, std::error_code error, const engine::PingStatistics& statistics,
                   bool cancelled) override {
    auto& h = heard[tag];
    ++h.finished;
    h.error = error;
    h.statistics = statistics;
    h.cancelled = cancelled;
    if (after_finish) after_finish(tag);
  }
};

// Streams targets 0..count-1 with tags first_tag + i; "" or why one failed.
std::string start_targets(net::Pinger& pinger, const net::PingOptions& o, net::PingStream& stream,
                          std::uint64_t count, std::uint64_t first_tag = 0) {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (auto started = pinger.stream_ping(loopback_target(i), o, stream, first_tag + i); !started) {
      return "stream_ping failed: " + started.error().message();
    }
  }
  return {};
}

TEST(PingerStream, EveryTargetHearsItsRepliesThenFinishesOnce) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    constexpr std::uint64_t count = 1000;
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.count = 2;
    o.interval = 10ms;
    o.timeout = 2s;
    RecordingStream stream;
    if (auto failed = start_targets(pinger, o, stream, count, 1000); !failed.empty()) return failed;
    context.run_for(20s);
    if (stream.heard.size() != count) return "heard from " + std::to_string(stream.heard.size()) + " tags";
    for (const auto& [tag, h] : stream.heard) {
      if (tag < 1000 || tag >= 1000 + count) return "unknown tag " + std::to_string(tag);
      if (h.finished != 1) return "tag " + std::to_string(tag) + " finished " + std::to_string(h.finished) + " times";
      if (h.replies != 2 || h.other_outcomes != 0) {
        return "tag " + std::to_string(tag) + ": " + std::to_string(h.replies) + " replies, " +
               std::to_string(h.other_outcomes) + " other outcomes";
      }
      if (h.events_after_finish) return "tag " + std::to_string(tag) + " had events after on_finished";
      if (h.error || h.cancelled) return "tag " + std::to_string(tag) + " ended with an error or cancelled";
      if (h.statistics.sent != 2 || h.statistics.received != 2) {
        return "tag " + std::to_string(tag) + " statistics " + std::to_string(h.statistics.sent) + "/" +
               std::to_string(h.statistics.received);
      }
    }
    return std::string();
  });
}

TEST(PingerStream, TargetsStartedFromOnFinishedRunToo) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    constexpr std::uint64_t window = 50, total = 2000;
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.timeout = 2s;
    RecordingStream stream;
    std::uint64_t next = 0;
    std::string failure;
    auto start_next = [&] {
      const auto tag = next++;
      if (auto started = pinger.stream_ping(loopback_target(tag), o, stream, tag); !started) {
        failure = "stream_ping failed: " + started.error().message();
      }
    };
    stream.after_finish = [&](std::uint64_t) {
      if (next < total) start_next();
    };
    for (std::uint64_t i = 0; i < window; ++i) start_next();
    context.run_for(20s);
    if (!failure.empty()) return failure;
    if (stream.heard.size() != total) return "heard from " + std::to_string(stream.heard.size()) + " tags";
    for (const auto& [tag, h] : stream.heard) {
      if (h.finished != 1 || h.replies != 1) {
        return "tag " + std::to_string(tag) + ": finished " + std::to_string(h.finished) + ", replies " +
               std::to_string(h.replies);
      }
    }
    return std::string();
  });
}

TEST(PingerStream, CancelAllFinishesEveryTargetAsCancelled) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    constexpr std::uint64_t count = 20;
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.count = 1000;
    o.interval = 20ms;
    o.timeout = 1s;
    RecordingStream stream;
    if (auto failed = start_targets(pinger, o, stream, count); !failed.empty()) return failed;
    asio::steady_timer timer(context, 150ms);
    timer.async_wait([&](std::error_code) { pinger.cancel_all(); });
    context.run_for(10s);
    if (stream.heard.size() != count) return "heard from " + std::to_string(stream.heard.size()) + " tags";
    for (const auto& [tag, h] : stream.heard) {
      if (h.finished != 1 || !h.cancelled) return "tag " + std::to_string(tag) + " not finished once as cancelled";
      if (h.replies == 0 || h.replies >= 1000) {
        return "tag " + std::to_string(tag) + " heard " + std::to_string(h.replies) + " replies before the cancel";
      }
      if (h.statistics.received != h.replies) return "tag " + std::to_string(tag) + " statistics disagree";
    }
    return std::string();
  });
}

TEST(PingerStream, InvalidOptionsAreRefusedAndNeverReachTheStream) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    asio::io_context context;
    net::Pinger pinger(context);
    net::PingOptions o;
    o.payload_size = 70000;  // no ICMP message is that large
    RecordingStream stream;
    auto started = pinger.stream_ping(loopback_target(1), o, stream, 7);
    if (started) return std::string("a 70,000-byte payload was accepted");
    context.run_for(200ms);
    if (!stream.heard.empty()) return std::string("the stream heard from a refused target");
    return std::string();
  });
}

TEST(PingerStream, DestroyingThePingerCallsNoStream) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    asio::io_context context;
    RecordingStream stream;
    {
      net::Pinger pinger(context);
      net::PingOptions o;
      o.count = 100;
      o.interval = 10ms;
      if (auto failed = start_targets(pinger, o, stream, 10); !failed.empty()) return failed;
      context.run_for(100ms);
    }
    for (const auto& [tag, h] : stream.heard) {
      if (h.finished != 0) return "tag " + std::to_string(tag) + " was finished by the Pinger's destructor";
    }
    if (stream.heard.empty()) return std::string("no target was heard from before the destructor");
    context.run_for(100ms);
    for (const auto& [tag, h] : stream.heard) {
      if (h.finished != 0) return "tag " + std::to_string(tag) + " was finished after the Pinger was gone";
    }
    return std::string();
  });
}

}  // namespace
