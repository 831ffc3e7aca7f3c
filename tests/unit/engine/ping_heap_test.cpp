// PingEngine's heaps and per-address index under sweep load, on a simulated
// clock: stale timer and send entries are compacted away (the heaps stay
// within twice the live entries plus a floor), and lingering records still
// turn later replies into duplicates / late replies across compactions.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "ping_test_support.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

namespace {

// The compaction floor of ping_engine.cpp: below it nothing is compacted.
constexpr std::size_t floor_entries = 4096;

using engine::test::one_probe;
using engine::test::reply_to;
using engine::test::sweep_config;
using engine::test::v4_index;

struct Sweep {
  explicit Sweep(engine::EngineConfig config = sweep_config()) : e(config) {}
  engine::PingEngine e;
  engine::TimePoint now{std::chrono::seconds(1000)};
  std::vector<std::byte> buffer = std::vector<std::byte>(2048);
  std::size_t max_timers = 0;
  std::size_t max_sends = 0;

  void observe() {
    max_timers = std::max(max_timers, e.pending_timers());
    max_sends = std::max(max_sends, e.pending_sends());
  }
  // Sends everything due; returns the requests.
  std::vector<std::vector<std::byte>> send_due() {
    std::vector<std::vector<std::byte>> out;
    while (auto t = e.poll_transmit(now, buffer)) {
      out.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(t->length));
      e.on_sent(t->handle, now);
      observe();
    }
    return out;
  }
  void deliver(const std::vector<std::byte>& icmp, const wire::IpAddress& from) {
    engine::DatagramIn d;
    d.source = from;
    d.icmp = icmp;
    e.on_datagram(now, d);
    observe();
  }
};

// Adds, answers and releases `n` targets from `first` (one window of a sweep).
void churn(Sweep& s, std::uint32_t first, std::uint32_t n) {
  for (std::uint32_t i = first; i < first + n; ++i) ASSERT_TRUE(s.e.add_target(v4_index(i), one_probe(), s.now, i));
  std::vector<std::pair<std::vector<std::byte>, wire::IpAddress>> sent;
  while (auto t = s.e.poll_transmit(s.now, s.buffer)) {
    sent.emplace_back(std::vector<std::byte>(s.buffer.begin(), s.buffer.begin() + static_cast<long>(t->length)),
                      t->destination);
    s.e.on_sent(t->handle, s.now);
    s.observe();
  }
  ASSERT_EQ(sent.size(), n);
  for (auto& [request, from] : sent) s.deliver(reply_to(request), from);
  std::uint32_t released = 0;
  while (auto ev = s.e.poll_event()) {
    if (ev->kind == engine::EventKind::done) {
      s.e.release(ev->target);
      ++released;
    }
  }
  ASSERT_EQ(released, n);
}

}  // namespace

TEST(PingEngineHeaps, TimerHeapStaysBoundedInAReleasingSweep) {
  // 200,000 targets at 100,000/s, each answered and released at once while
  // its record would linger 10 s: without compaction every timeout and linger
  // entry (400,000) would still be in the heap at the end.
  Sweep s;
  constexpr std::uint32_t total = 200000;
  constexpr std::uint32_t per_window = 1000;
  for (std::uint32_t first = 0; first < total; first += per_window) {
    churn(s, first, per_window);
    if (HasFatalFailure()) return;
    s.now += 10ms;
    s.e.handle_timeout(s.now);
    s.observe();
  }
  EXPECT_EQ(s.e.total_stats().received, total);
  EXPECT_EQ(s.e.targets(), 0u);
  // Live entries never exceed one window's probes: at most twice that plus the floor.
  EXPECT_LE(s.max_timers, 2 * per_window + floor_entries);
  EXPECT_GT(s.max_timers, per_window);  // the bound is not trivially met
  EXPECT_LE(s.max_sends, 2 * per_window + floor_entries);
  // Nothing is live any more: the heaps empty out as their times come.
  EXPECT_FALSE(s.e.next_deadline().has_value());
  EXPECT_EQ(s.e.pending_timers(), 0u);
  EXPECT_EQ(s.e.pending_sends(), 0u);
}

TEST(PingEngineHeaps, LingeringRepliesUnchangedAcrossCompactions) {
  Sweep s;
  // Kept targets: one answered (its later copies are duplicates), one timed
  // out (its reply is late), one answered and left to linger out.
  auto answered = *s.e.add_target(*wire::IpAddress::parse("192.0.2.1"), one_probe(), s.now, 1);
  auto timed_out = *s.e.add_target(*wire::IpAddress::parse("192.0.2.2"), one_probe(500ms), s.now, 2);
  auto requests = s.send_due();
  ASSERT_EQ(requests.size(), 2u);
  const auto reply_a = reply_to(requests[0]);
  const auto reply_b = reply_to(requests[1]);
  s.now += 1ms;
  s.deliver(reply_a, *wire::IpAddress::parse("192.0.2.1"));
  s.now += 600ms;
  const auto timed_out_at = s.now;  // lingering runs from when the timeout was handled
  s.e.handle_timeout(s.now);
  while (s.e.poll_event()) {
  }
  EXPECT_EQ(s.e.stats(timed_out).timeouts, 1u);

  // Churn enough released targets that the timer heap is compacted several
  // times while both records linger.
  const auto before = s.e.pending_timers();
  std::size_t compactions = 0;
  std::size_t last = before;
  for (std::uint32_t first = 0; first < 30000; first += 500) {
    churn(s, first, 500);
    if (HasFatalFailure()) return;
    // No time passes, so nothing expired: a shrinking heap was compacted.
    if (s.e.pending_timers() < last) ++compactions;
    last = s.e.pending_timers();
  }
  EXPECT_GE(compactions, 2u);
  EXPECT_LE(s.max_timers, 2 * (500 + 2) + floor_entries);

  s.now += 1ms;
  s.deliver(reply_a, *wire::IpAddress::parse("192.0.2.1"));
  s.deliver(reply_b, *wire::IpAddress::parse("192.0.2.2"));
  std::vector<engine::ProbeEvent> events;
  while (auto ev = s.e.poll_event()) events.push_back(*ev);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, engine::EventKind::duplicate);
  EXPECT_EQ(events[0].target, answered);
  EXPECT_EQ(std::get<engine::Reply>(events[0].outcome).duplicates, 1u);
  EXPECT_EQ(events[1].kind, engine::EventKind::late_reply);
  EXPECT_EQ(events[1].target, timed_out);
  EXPECT_EQ(std::get<engine::Reply>(events[1].outcome).rtt, 602ms);
  EXPECT_EQ(s.e.counters().stale_replies, 0u);
  EXPECT_EQ(s.e.stats(answered).duplicates, 1u);
  EXPECT_EQ(s.e.stats(timed_out).late, 1u);

  // The lingering records still end on time: the answered one 10 s after
  // its reply, after which a copy is stale.
  s.now = engine::TimePoint{std::chrono::seconds(1000)} + 1ms + 10s - 1ns;
  s.e.handle_timeout(s.now);
  s.deliver(reply_a, *wire::IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(s.e.stats(answered).duplicates, 2u);
  s.now += 1ns;
  s.e.handle_timeout(s.now);
  s.deliver(reply_a, *wire::IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(s.e.stats(answered).duplicates, 2u);
  EXPECT_EQ(s.e.counters().stale_replies, 1u);
  // The timed-out one lingers until 10 s after its timeout.
  s.deliver(reply_b, *wire::IpAddress::parse("192.0.2.2"));
  EXPECT_EQ(s.e.stats(timed_out).late, 2u);
  s.now = timed_out_at + 10s - 1ns;
  s.e.handle_timeout(s.now);
  s.deliver(reply_b, *wire::IpAddress::parse("192.0.2.2"));
  EXPECT_EQ(s.e.stats(timed_out).late, 3u);
  s.now += 1ns;
  s.e.handle_timeout(s.now);
  s.deliver(reply_b, *wire::IpAddress::parse("192.0.2.2"));
  EXPECT_EQ(s.e.stats(timed_out).late, 3u);
  EXPECT_EQ(s.e.counters().stale_replies, 2u);
}

TEST(PingEngineHeaps, RequestDeadlinesSurviveCompaction) {
  Sweep s;
  auto o = one_probe();
  o.count = 0;  // endless, ended by its deadline
  o.interval = 1s;
  o.deadline = 3s;
  auto endless = *s.e.add_target(*wire::IpAddress::parse("192.0.2.9"), o, s.now, 9);
  const auto start = s.now;
  ASSERT_EQ(s.send_due().size(), 1u);
  for (std::uint32_t first = 0; first < 20000; first += 500) {
    churn(s, first, 500);
    if (HasFatalFailure()) return;
  }
  EXPECT_LE(s.max_timers, 2 * (500 + 2) + floor_entries);
  // Run to the deadline: it still ends the request, as Cancelled.
  bool done = false;
  for (int guard = 0; guard < 100 && !done; ++guard) {
    auto next = s.e.next_deadline();
    ASSERT_TRUE(next.has_value());
    s.now = std::max(s.now, *next);
    s.e.handle_timeout(s.now);
    s.send_due();
    while (auto ev = s.e.poll_event()) {
      if (ev->kind == engine::EventKind::done && ev->target == endless) {
        done = true;
        EXPECT_TRUE(std::holds_alternative<engine::Cancelled>(ev->outcome));
      }
    }
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(s.now, start + 3s);
}

TEST(PingEngineHeaps, SendScheduleStaysBoundedWhenRequestsAreReleased) {
  // Endless requests cancelled and released after one probe leave their next
  // send (an hour away) in the schedule, behind a live request due earlier,
  // so popping stale heads alone would never reach them.
  Sweep s;
  auto keeper_options = one_probe();
  keeper_options.count = 0;
  keeper_options.interval = 30min;
  auto keeper = *s.e.add_target(*wire::IpAddress::parse("192.0.2.7"), keeper_options, s.now);
  ASSERT_EQ(s.send_due().size(), 1u);
  auto o = one_probe();
  o.count = 0;
  o.interval = 1h;
  constexpr std::uint32_t requests = 20000;
  for (std::uint32_t i = 0; i < requests; ++i) {
    auto id = *s.e.add_target(v4_index(i), o, s.now, i);
    auto sent = s.send_due();
    ASSERT_EQ(sent.size(), 1u) << "request " << i;
    s.deliver(reply_to(sent[0]), v4_index(i));
    s.e.cancel(id, s.now);
    while (s.e.poll_event()) {
    }
    s.e.release(id);
    s.now += 1ms;
    s.e.handle_timeout(s.now);
  }
  EXPECT_EQ(s.e.total_stats().received, requests);
  EXPECT_LE(s.max_sends, 2 * 2 + floor_entries);
  EXPECT_GT(s.max_sends, 1000u);  // stale entries did pile up before compaction
  // The keeper's schedule is intact: its second probe leaves 30 min after the first.
  EXPECT_TRUE(s.e.contains(keeper));
  EXPECT_EQ(s.e.next_deadline(), engine::TimePoint{std::chrono::seconds(1000)} + 30min);
  s.now = engine::TimePoint{std::chrono::seconds(1000)} + 30min - 1ns;
  EXPECT_TRUE(s.send_due().empty());
  s.now += 1ns;
  EXPECT_EQ(s.send_due().size(), 1u);
  EXPECT_EQ(s.e.stats(keeper).sent, 2u);
}

TEST(PingEngineHeaps, SessionsOnOneAddressShareItsSequenceSpace) {
  Sweep s;
  const auto address = *wire::IpAddress::parse("192.0.2.5");
  auto tiny = one_probe();
  tiny.payload_size = 0;  // matched by (address, sequence) only: walks the address's sessions
  auto a = *s.e.add_target(address, tiny, s.now, 1);
  auto b = *s.e.add_target(address, tiny, s.now, 2);
  auto c = *s.e.add_target(address, tiny, s.now, 3);
  auto first = s.send_due();
  ASSERT_EQ(first.size(), 3u);
  std::vector<std::uint16_t> seqs;
  for (const auto& r : first) seqs.push_back(wire::detail::load_be16(r, 6));
  EXPECT_EQ(seqs, (std::vector<std::uint16_t>{0, 1, 2}));
  // Replies in reverse order each end their own probe.
  s.deliver(reply_to(first[2]), address);
  s.deliver(reply_to(first[0]), address);
  EXPECT_EQ(s.e.stats(a).received, 1u);
  EXPECT_EQ(s.e.stats(b).received, 0u);
  EXPECT_EQ(s.e.stats(c).received, 1u);
  // Releasing the middle and the first session keeps the counter for the
  // rest; a new session continues it.
  while (s.e.poll_event()) {
  }
  s.e.release(a);
  s.e.cancel(b, s.now);
  s.e.release(b);
  auto d = *s.e.add_target(address, tiny, s.now, 4);
  auto second = s.send_due();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(wire::detail::load_be16(second[0], 6), 3u);
  s.deliver(reply_to(second[0]), address);
  EXPECT_EQ(s.e.stats(d).received, 1u);
  // The released sessions' probes are gone: b's reply is stale, not c's or d's.
  s.deliver(reply_to(first[1]), address);
  EXPECT_EQ(s.e.counters().stale_replies, 1u);
  EXPECT_EQ(s.e.stats(c).duplicates + s.e.stats(d).duplicates, 0u);
  // A duplicate for c still finds c's lingering probe among the address's sessions.
  s.deliver(reply_to(first[2]), address);
  EXPECT_EQ(s.e.stats(c).duplicates, 1u);
  // Once no session uses the address its entry goes, and the space restarts.
  s.e.release(c);
  s.e.release(d);
  auto e2 = *s.e.add_target(address, tiny, s.now, 5);
  auto third = s.send_due();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(wire::detail::load_be16(third[0], 6), 0u);
  EXPECT_TRUE(s.e.contains(e2));
}

TEST(PingEngineHeaps, RetriesOfManySessionsInterleave) {
  // Retry queues are pooled across sessions: each session still sends its
  // own retries, in order, with the right attempt numbers.
  Sweep s;
  auto o = one_probe(100ms);
  o.count = 2;
  o.interval = 10ms;  // probe 1 leaves 10 ms after probe 0: one order of events
  o.retries = 2;
  o.backoff = 1.0;
  std::vector<engine::TargetId> ids;
  for (std::uint32_t i = 0; i < 3; ++i) ids.push_back(*s.e.add_target(v4_index(i), o, s.now, i));
  std::vector<engine::ProbeEvent> outcomes;
  std::size_t sent = s.send_due().size();
  for (int guard = 0; guard < 100; ++guard) {
    auto next = s.e.next_deadline();
    if (!next) break;
    s.now = std::max(s.now, *next);
    s.e.handle_timeout(s.now);
    sent += s.send_due().size();
    while (auto ev = s.e.poll_event()) {
      if (ev->kind == engine::EventKind::outcome) outcomes.push_back(*ev);
    }
  }
  EXPECT_EQ(sent, 18u);
  ASSERT_EQ(outcomes.size(), 3u * 2u * 3u);  // 3 targets x 2 probes x 3 attempts
  for (const auto& id : ids) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> seen;  // (probe_index, attempt)
    for (const auto& ev : outcomes) {
      if (ev.target == id) seen.emplace_back(ev.probe_index, ev.attempt);
    }
    EXPECT_EQ(seen, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                        {0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}}));
    EXPECT_EQ(s.e.stats(id).timeouts, 6u);
    EXPECT_TRUE(s.e.is_done(id));
  }
}

TEST(PingEngineHeaps, AddressIndexKeepsSequenceSpacesUnderChurn) {
  // Random adds and releases over a few thousand addresses, checked against
  // a model: while any request to an address lives, a new probe to it takes
  // the next number of its sequence space; once none does, it restarts at 0.
  // Exercises the index's growth, clusters and backward-shift deletion.
  Sweep s;
  auto o = one_probe();
  o.payload_size = 0;
  constexpr std::uint32_t addresses = 3000;
  std::map<std::uint32_t, std::uint16_t> next_seq;              // address -> expected next
  std::map<std::uint32_t, std::vector<engine::TargetId>> live;  // address -> requests
  std::vector<std::uint32_t> used;                              // addresses with a request
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto random = [&state](std::uint32_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::uint32_t>(state % n);
  };
  for (int op = 0; op < 60000; ++op) {
    if (used.empty() || random(100) < 55) {
      const auto a = random(addresses);
      auto id = *s.e.add_target(v4_index(a), o, s.now, a);
      auto sent = s.send_due();
      ASSERT_EQ(sent.size(), 1u);
      const auto expected = live[a].empty() ? std::uint16_t{0} : next_seq[a];
      ASSERT_EQ(wire::detail::load_be16(sent[0], 6), expected) << "op " << op << " address " << a;
      next_seq[a] = static_cast<std::uint16_t>(expected + 1);
      if (live[a].empty()) used.push_back(a);
      live[a].push_back(id);
    } else {
      const auto k = random(static_cast<std::uint32_t>(used.size()));
      const auto a = used[k];
      auto& ids = live[a];
      const auto which = random(static_cast<std::uint32_t>(ids.size()));
      s.e.release(ids[which]);
      ids.erase(ids.begin() + which);
      if (ids.empty()) {
        used[k] = used.back();
        used.pop_back();
      }
    }
    while (s.e.poll_event()) {
    }
  }
  std::size_t requests = 0;
  for (const auto& [a, ids] : live) requests += ids.size();
  EXPECT_EQ(s.e.targets(), requests);
  EXPECT_GT(used.size(), 500u);  // the table held many addresses at once
}
