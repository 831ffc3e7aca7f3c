// Measures the engine's hot path with a counting global allocator: once the
// probe pool, the heaps and the event queue have grown to the peak load, a
// steady stream of probes and replies allocates nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Replaces the global allocator for this test binary; counts every allocation.
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
// Every form of delete must match, or a sanitizer sees new (ours) paired with
// delete (its own) — std::stable_sort's temporary buffer uses the nothrow forms.
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

TEST(PingEngineMemory, SteadyStateProbesAllocateNothing) {
  engine::EngineConfig config;
  config.cookie = 7;
  config.match_echo_id = false;
  config.linger = 100ms;
  config.rtt_sample_cap = 16;  // reached during warm-up, so sample storage stops growing
  engine::PingEngine e(config);
  engine::PingOptions options;
  options.count = 0;  // endless
  options.interval = 10ms;
  options.timeout = 50ms;
  constexpr int targets = 100;
  engine::TimePoint now{std::chrono::seconds(5)};
  for (int i = 0; i < targets; ++i) {
    wire::Ipv4Address a{std::byte{10}, std::byte{0}, std::byte{0}, std::byte(i + 1)};
    ASSERT_TRUE(e.add_target(wire::IpAddress(a), options, now));
  }
  std::vector<std::byte> buffer(2048), reply(2048);
  std::size_t sent = 0;
  auto step = [&]() {
    while (auto t = e.poll_transmit(now, buffer)) {
      e.on_sent(t->handle, now);
      ++sent;
      std::copy(buffer.begin(), buffer.begin() + static_cast<long>(t->length), reply.begin());
      reply[0] = std::byte{0};
      engine::DatagramIn d;
      d.source = t->destination;
      d.icmp = icmpkit::ConstBytes(reply).first(t->length);
      e.on_datagram(now + 1ms, d);
    }
    while (e.poll_event()) {
    }
    now += 1ms;
    e.handle_timeout(now);
  };
  for (int i = 0; i < 2000; ++i) step();  // warm-up: 2 s simulated
  const auto before = g_allocations.load();
  const auto sent_before = sent;
  for (int i = 0; i < 2000; ++i) step();
  EXPECT_EQ(sent - sent_before, static_cast<std::size_t>(targets) * 200u);
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations on the hot path";
  EXPECT_EQ(e.total_stats().received, sent);
}

TEST(PingEngineMemory, SteadyStateRetriesAllocateNothing) {
  // Half the targets never answer: every probe of theirs times out and is
  // retried twice. Retry queues come from a pool that stops growing.
  engine::EngineConfig config;
  config.cookie = 7;
  config.match_echo_id = false;
  config.linger = 100ms;
  config.rtt_sample_cap = 16;
  engine::PingEngine e(config);
  engine::PingOptions options;
  options.count = 0;
  options.interval = 10ms;
  options.timeout = 20ms;
  options.retries = 2;
  options.backoff = 1.0;
  constexpr int targets = 100;
  engine::TimePoint now{std::chrono::seconds(5)};
  for (int i = 0; i < targets; ++i) {
    wire::Ipv4Address a{std::byte{10}, std::byte{0}, std::byte{0}, std::byte(i + 1)};
    ASSERT_TRUE(e.add_target(wire::IpAddress(a), options, now));
  }
  std::vector<std::byte> buffer(2048), reply(2048);
  std::size_t retried = 0;
  auto step = [&]() {
    while (auto t = e.poll_transmit(now, buffer)) {
      e.on_sent(t->handle, now);
      if (std::to_integer<int>(t->destination.bytes()[3]) % 2 == 0) continue;  // silent target
      std::copy(buffer.begin(), buffer.begin() + static_cast<long>(t->length), reply.begin());
      reply[0] = std::byte{0};
      engine::DatagramIn d;
      d.source = t->destination;
      d.icmp = icmpkit::ConstBytes(reply).first(t->length);
      e.on_datagram(now + 1ms, d);
    }
    while (auto ev = e.poll_event()) {
      if (ev->kind == engine::EventKind::outcome && ev->attempt > 0) ++retried;
    }
    now += 1ms;
    e.handle_timeout(now);
  };
  for (int i = 0; i < 2000; ++i) step();
  const auto before = g_allocations.load();
  const auto retried_before = retried;
  for (int i = 0; i < 2000; ++i) step();
  EXPECT_GT(retried - retried_before, 1000u);
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations on the hot path";
}

TEST(PingEngineMemory, SteadyStateSweepAllocatesNothingPerTarget) {
  // Single-probe targets to new addresses added, answered and released in
  // windows (a sweep): once the pools, heaps and the address index have
  // grown to one window, a target allocates nothing (its address entry is
  // pooled, its one RTT sample held inline).
  engine::EngineConfig config;
  config.cookie = 7;
  config.match_echo_id = false;
  engine::PingEngine e(config);
  engine::PingOptions options;
  options.count = 1;
  std::vector<std::byte> buffer(2048), reply(2048);
  engine::TimePoint now{std::chrono::seconds(5)};
  std::uint32_t next = 0;
  std::size_t received = 0;
  auto window = [&](std::uint32_t n) {
    for (std::uint32_t k = 0; k < n; ++k, ++next) {
      wire::Ipv4Address a{std::byte{10}, std::byte(next >> 16), std::byte(next >> 8), std::byte(next)};
      ASSERT_TRUE(e.add_target(wire::IpAddress(a), options, now));
    }
    while (auto t = e.poll_transmit(now, buffer)) {
      e.on_sent(t->handle, now);
      std::copy(buffer.begin(), buffer.begin() + static_cast<long>(t->length), reply.begin());
      reply[0] = std::byte{0};
      engine::DatagramIn d;
      d.source = t->destination;
      d.icmp = icmpkit::ConstBytes(reply).first(t->length);
      e.on_datagram(now + 1ms, d);
    }
    while (auto ev = e.poll_event()) {
      if (ev->kind == engine::EventKind::outcome) ++received;
      if (ev->kind == engine::EventKind::done) e.release(ev->target);
    }
    now += 10ms;
    e.handle_timeout(now);
  };
  for (int i = 0; i < 100; ++i) window(500);  // warm-up
  const auto before = g_allocations.load();
  const auto received_before = received;
  constexpr std::uint32_t measured = 20000;
  for (std::uint32_t i = 0; i < measured / 500; ++i) window(500);
  EXPECT_EQ(received - received_before, measured);
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations per target";
}

TEST(RttStatsMemory, OneSampleAllocatesNothing) {
  engine::RttStats s;
  const auto before = g_allocations.load();
  s.add(std::chrono::milliseconds(3));
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(s.kept(), 1u);
  s.add(std::chrono::milliseconds(5));
  EXPECT_EQ(s.kept(), 2u);
}
