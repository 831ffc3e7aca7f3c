// PingEngine's sweep fast paths on a simulated clock (issue 3): one timer
// entry per probe whose deadline later moves (on_sent, lingering), with the
// deadline still exact and timeouts still in deadline order; options shared
// between requests; RTT statistics kept inline until a second reply.
#include <gtest/gtest.h>

#include <algorithm>
#include <variant>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "ping_test_support.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

namespace {

using engine::test::one_probe;
using engine::test::reply_to;
using engine::test::sweep_config;
using engine::test::v4_index;

struct Sent {
  engine::Transmit transmit;
  std::vector<std::byte> bytes;
};

struct Sim {
  explicit Sim(engine::EngineConfig c = sweep_config()) : e(c) {}
  engine::PingEngine e;
  engine::TimePoint start{std::chrono::seconds(1000)};
  engine::TimePoint now = start;
  std::vector<std::byte> buffer = std::vector<std::byte>(2048);
  std::vector<engine::ProbeEvent> events;

  // Builds what is due at `now`; on_sent is left to the caller.
  std::vector<Sent> build() {
    std::vector<Sent> out;
    while (auto t = e.poll_transmit(now, buffer)) {
      out.push_back({*t, std::vector<std::byte>(buffer.begin(), buffer.begin() + static_cast<long>(t->length))});
    }
    return out;
  }
  void deliver(const Sent& s) {
    const auto reply = reply_to(s.bytes);
    engine::DatagramIn d;
    d.source = s.transmit.destination;
    d.icmp = reply;
    e.on_datagram(now, d);
  }
  void drain() {
    while (auto ev = e.poll_event()) events.push_back(*ev);
  }
  std::vector<engine::ProbeEvent> outcomes() const {
    std::vector<engine::ProbeEvent> out;
    for (const auto& ev : events) {
      if (ev.kind == engine::EventKind::outcome) out.push_back(ev);
    }
    return out;
  }
};

}  // namespace

TEST(PingEngineSweep, TimeoutRunsFromTheLateSendCall) {
  Sim sim;
  ASSERT_TRUE(sim.e.add_target(v4_index(1), one_probe(), sim.now, 1));
  auto sent = sim.build();
  ASSERT_EQ(sent.size(), 1u);
  sim.now += 3ms;  // the send call returned 3 ms after the probe was built
  sim.e.on_sent(sent[0].transmit.handle, sim.now);
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 3ms + 1s);
  sim.e.handle_timeout(sim.start + 1s);  // the deadline the probe had when built
  sim.e.handle_timeout(sim.start + 3ms + 1s - 1ns);
  sim.drain();
  EXPECT_TRUE(sim.outcomes().empty());
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 3ms + 1s);
  sim.e.handle_timeout(sim.start + 3ms + 1s);
  sim.drain();
  ASSERT_EQ(sim.outcomes().size(), 1u);
  EXPECT_TRUE(std::holds_alternative<engine::Timeout>(sim.outcomes()[0].outcome));
}

TEST(PingEngineSweep, AnsweredSweepQueuesOneTimerEntryPerProbe) {
  // Built, sent a little later, answered, released: the timeout entry is the
  // probe's only one (moving the deadline at on_sent and lingering after
  // the reply pushed two more before).
  Sim sim;
  constexpr std::uint32_t n = 1000;
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_TRUE(sim.e.add_target(v4_index(i), one_probe(), sim.now, i));
  auto sent = sim.build();
  ASSERT_EQ(sent.size(), n);
  sim.now += 2us;
  for (const auto& s : sent) sim.e.on_sent(s.transmit.handle, sim.now);
  sim.now += 5us;
  for (const auto& s : sent) sim.deliver(s);
  std::uint32_t released = 0;
  while (auto ev = sim.e.poll_event()) {
    if (ev->kind == engine::EventKind::done) {
      EXPECT_EQ(sim.e.stats(ev->target).received, 1u);
      sim.e.release(ev->target);
      ++released;
    }
  }
  EXPECT_EQ(released, n);
  EXPECT_EQ(sim.e.pending_timers(), n);
  EXPECT_EQ(sim.e.pending_sends(), 0u);
  // Every entry is stale: nothing is due, and asking drops them.
  EXPECT_FALSE(sim.e.next_deadline().has_value());
  EXPECT_EQ(sim.e.pending_timers(), 0u);
}

TEST(PingEngineSweep, LingerShorterThanTheTimeoutEndsOnTime) {
  Sim sim(sweep_config(100ms));
  auto id = *sim.e.add_target(v4_index(1), one_probe(10s), sim.now, 1);
  auto sent = sim.build();
  sim.e.on_sent(sent[0].transmit.handle, sim.now);
  sim.now += 1ms;
  sim.deliver(sent[0]);
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 101ms);
  sim.now = sim.start + 101ms - 1ns;
  sim.e.handle_timeout(sim.now);
  sim.deliver(sent[0]);
  EXPECT_EQ(sim.e.stats(id).duplicates, 1u);
  sim.now += 1ns;
  sim.e.handle_timeout(sim.now);
  sim.deliver(sent[0]);
  EXPECT_EQ(sim.e.stats(id).duplicates, 1u);
  EXPECT_EQ(sim.e.counters().stale_replies, 1u);
  EXPECT_FALSE(sim.e.next_deadline().has_value());
}

TEST(PingEngineSweep, LingerLongerThanTheTimeoutGivesTheExactDeadline) {
  Sim sim(sweep_config(10s));
  auto a = *sim.e.add_target(v4_index(1), one_probe(1s), sim.now, 1);
  auto b = *sim.e.add_target(v4_index(2), one_probe(5s), sim.now, 2);
  auto sent = sim.build();
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& s : sent) sim.e.on_sent(s.transmit.handle, sim.now);
  sim.now += 1ms;
  sim.deliver(sent[0]);  // a answered: lingers until +10.001 s
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 5s);  // b's timeout
  sim.now = sim.start + 5s;
  sim.e.handle_timeout(sim.now);
  sim.drain();
  EXPECT_EQ(sim.e.stats(b).timeouts, 1u);
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 10s + 1ms);  // a's lingering, then b's at +15 s
  sim.now = sim.start + 10s + 1ms - 1ns;
  sim.e.handle_timeout(sim.now);
  sim.deliver(sent[0]);
  EXPECT_EQ(sim.e.stats(a).duplicates, 1u);
  sim.now += 1ns;
  sim.e.handle_timeout(sim.now);
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 15s);
  sim.deliver(sent[0]);
  EXPECT_EQ(sim.e.counters().stale_replies, 1u);
  sim.deliver(sent[1]);  // b still lingers: late
  EXPECT_EQ(sim.e.stats(b).late, 1u);
}

TEST(PingEngineSweep, MovedTimeoutsFireInDeadlineOrder) {
  // a is built first but its send call returns last: its timeout is later
  // than b's although its first timer entry was earlier.
  Sim sim;
  auto a = *sim.e.add_target(v4_index(1), one_probe(), sim.now, 1);
  auto sent_a = sim.build();
  sim.now += 1ms;
  auto b = *sim.e.add_target(v4_index(2), one_probe(), sim.now, 2);
  auto sent_b = sim.build();
  sim.e.on_sent(sent_b[0].transmit.handle, sim.now);
  sim.now += 4ms;
  sim.e.on_sent(sent_a[0].transmit.handle, sim.now);
  EXPECT_EQ(sim.e.next_deadline(), sim.start + 1ms + 1s);
  sim.e.handle_timeout(sim.start + 2s);
  sim.drain();
  const auto outcomes = sim.outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].target, b);
  EXPECT_EQ(outcomes[1].target, a);
}

TEST(PingEngineSweep, RequestsWithDifferentOptionsKeepTheirOwn) {
  Sim sim;
  auto small = one_probe();
  small.payload_size = 10;
  small.count = 2;
  small.interval = 1s;
  small.ttl = wire::Ttl(3);
  auto large = one_probe();
  large.payload_size = 20;
  auto first = *sim.e.add_target(v4_index(1), small, sim.now, 1);
  ASSERT_TRUE(sim.e.add_target(v4_index(2), large, sim.now, 2));
  ASSERT_TRUE(sim.e.add_target(v4_index(3), small, sim.now, 3));
  auto sent = sim.build();
  ASSERT_EQ(sent.size(), 3u);
  std::vector<std::size_t> lengths;
  for (const auto& s : sent) lengths.push_back(s.transmit.length);
  std::sort(lengths.begin(), lengths.end());
  EXPECT_EQ(lengths, (std::vector<std::size_t>{18, 18, 28}));
  for (const auto& s : sent) {
    sim.e.on_sent(s.transmit.handle, sim.now);
    EXPECT_EQ(s.transmit.ttl.has_value(), s.transmit.length == 18);
  }
  // The first request ends early (cancelled) and is released; the third,
  // which shared its options, still sends its second probe with them.
  sim.e.cancel(first, sim.now);
  sim.drain();
  sim.e.release(first);
  auto other = one_probe();
  other.payload_size = 30;
  ASSERT_TRUE(sim.e.add_target(v4_index(4), other, sim.now, 4));
  auto more = sim.build();
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].transmit.length, 38u);
  sim.now += 1s;
  auto second = sim.build();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].transmit.length, 18u);
  EXPECT_EQ(second[0].transmit.ttl, wire::Ttl(3));
  EXPECT_EQ(second[0].transmit.destination, v4_index(3));
}

TEST(PingEngineSweep, StatisticsMatchRttStatsFedTheSameSamples) {
  for (const std::size_t cap : {std::size_t{0}, std::size_t{2}, std::size_t{1024}}) {
    auto c = sweep_config();
    c.rtt_sample_cap = cap;
    Sim sim(c);
    auto o = one_probe();
    o.count = 4;
    o.interval = 1s;
    auto id = *sim.e.add_target(v4_index(1), o, sim.now, 1);
    engine::RttStats reference(cap, c.cookie ^ id.index);
    for (const auto rtt : {3ms, 1ms, 7ms, 2ms}) {
      auto sent = sim.build();
      ASSERT_EQ(sent.size(), 1u);
      sim.e.on_sent(sent[0].transmit.handle, sim.now);
      sim.now += rtt;
      sim.deliver(sent[0]);
      reference.add(rtt);
      const auto got = sim.e.stats(id).rtt;
      const auto want = reference.summary();
      EXPECT_EQ(got.samples, want.samples) << "cap " << cap;
      EXPECT_EQ(got.min, want.min);
      EXPECT_EQ(got.avg, want.avg);
      EXPECT_EQ(got.max, want.max);
      EXPECT_EQ(got.mdev, want.mdev);
      EXPECT_EQ(got.jitter, want.jitter);
      EXPECT_EQ(got.p50, want.p50) << "cap " << cap;
      EXPECT_EQ(got.p90, want.p90);
      EXPECT_EQ(got.p99, want.p99);
      sim.now = sim.start + std::chrono::seconds(reference.count());
    }
  }
}

TEST(PingEngineSweep, ReleasedStatisticsDoNotLeakIntoTheNextRequest) {
  Sim sim;
  auto o = one_probe();
  o.count = 2;
  o.interval = 0s;
  auto run = [&sim, &o](std::uint32_t i, std::chrono::nanoseconds rtt) {
    auto id = *sim.e.add_target(v4_index(i), o, sim.now, i);
    auto sent = sim.build();
    EXPECT_EQ(sent.size(), 2u);
    for (const auto& s : sent) sim.e.on_sent(s.transmit.handle, sim.now);
    sim.now += rtt;
    for (const auto& s : sent) sim.deliver(s);
    const auto stats = sim.e.stats(id);
    sim.e.release(id);
    return stats;
  };
  const auto first = run(1, 5ms);
  EXPECT_EQ(first.rtt.samples, 2u);
  EXPECT_EQ(first.rtt.max, 5ms);
  const auto second = run(2, 1ms);
  EXPECT_EQ(second.rtt.samples, 2u);
  EXPECT_EQ(second.rtt.max, 1ms);
  EXPECT_EQ(second.rtt.min, 1ms);
}
