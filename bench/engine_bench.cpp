// The engine's share of a one-probe sweep (`icmpkit sweep -c 1 -i 0`, issue
// 3): N loopback targets driven through PingEngine on a simulated clock the
// way net::Pinger drives it, with the socket replaced by turning each request
// into its echo reply. What is left is the user CPU the engine costs per
// target; the kernel's share is bench/speed_of_light's.
//
// The drive follows src/net/pinger.cpp: a window of 256 targets running at
// once (its sweep_window: on loopback, where replies come at once, the
// targets waiting to send are the running ones), each started with the
// sweep's PingOptions (count 1, timeout 1 s, stop_on_reply, no retries, keep_outcomes false);
// per pump, handle_timeout, up to 64 poll_transmit (sends_per_drain), on_sent
// for each a little later (the sendmmsg call), the 64 replies through
// on_datagram, poll_event until empty (a done event reads stats(), releases
// the target and starts the next one), then next_deadline() once (arm_timer).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/address.hpp"

namespace {

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

constexpr std::size_t sweep_window = 256;    // net::Pinger's
constexpr std::size_t sends_per_drain = 64;  // sys::max_batch

// Distinct loopback addresses 127.0.0.1 upwards.
std::vector<wire::IpAddress> loopback_targets(std::size_t n) {
  std::vector<wire::IpAddress> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::uint32_t>(i + 1);
    out.emplace_back(wire::Ipv4Address{std::byte{127}, std::byte(v >> 16), std::byte(v >> 8), std::byte(v)});
  }
  return out;
}

engine::PingOptions sweep_options() {
  engine::PingOptions o;
  o.count = 1;
  o.timeout = 1s;
  o.retries = 0;
  o.stop_on_reply = true;
  o.keep_outcomes = false;
  return o;
}

enum class Socket { ping, raw };

engine::EngineConfig sweep_config(Socket socket) {
  engine::EngineConfig c;
  c.family = wire::Family::v4;
  c.cookie = 0x0123456789abcdefULL;
  c.echo_id = wire::EchoId(0x4242);
  // A ping socket rewrites the identifier and checksums in the kernel; on a
  // raw socket both are the engine's (the reply keeps our identifier).
  c.match_echo_id = socket == Socket::raw;
  c.compute_checksum = socket == Socket::raw;
  c.linger = 10s;             // PingerOptions::linger
  return c;
}

struct SweepResult {
  std::uint64_t received = 0;
  std::uint64_t done = 0;
};

// One whole sweep; returns what it saw (checked by the caller so that the
// work cannot be optimised away and a broken drive is noticed).
SweepResult run_sweep(const std::vector<wire::IpAddress>& targets, std::size_t window, bool kernel_timestamps,
                      Socket socket) {
  engine::PingEngine e(sweep_config(socket));
  const auto options = sweep_options();
  engine::TimePoint now{std::chrono::seconds(1000)};
  std::int64_t realtime_ns = 1'700'000'000'000'000'000;
  std::array<std::vector<std::byte>, sends_per_drain> buffers;
  for (auto& b : buffers) b.resize(2048);
  std::array<engine::Transmit, sends_per_drain> built;

  SweepResult result;
  std::size_t next = 0;
  std::size_t running = 0;
  auto launch = [&] {
    while (running < window && next < targets.size()) {
      auto id = e.add_target(targets[next], options, now, next);
      if (!id) return;
      ++next;
      ++running;
    }
  };
  launch();
  while (result.done < targets.size()) {
    e.handle_timeout(now);
    std::size_t n = 0;
    while (n < sends_per_drain) {
      auto t = e.poll_transmit(now, buffers[n]);
      if (!t) break;
      built[n++] = *t;
    }
    // The sendmmsg call: ~5 us per probe of kernel time.
    now += std::chrono::microseconds(2);
    realtime_ns += 2000;
    for (std::size_t i = 0; i < n; ++i) {
      e.on_sent(built[i].handle, now,
                kernel_timestamps ? std::optional<std::chrono::nanoseconds>(realtime_ns) : std::nullopt,
                kernel_timestamps ? std::chrono::nanoseconds(1000) : std::chrono::nanoseconds(0));
    }
    now += std::chrono::microseconds(3 * n + 1);
    realtime_ns += 3000 * static_cast<std::int64_t>(n) + 1000;
    for (std::size_t i = 0; i < n; ++i) {
      auto& b = buffers[i];
      b[0] = std::byte{0};  // echo reply (the kernel checked the checksum; the engine does not)
      engine::DatagramIn d;
      d.source = built[i].destination;
      d.icmp = icmpkit::ConstBytes(b).first(built[i].length);
      d.ttl = wire::Ttl(64);
      if (kernel_timestamps) d.realtime = std::chrono::nanoseconds(realtime_ns);
      e.on_datagram(now, d);
    }
    while (auto ev = e.poll_event()) {
      if (ev->kind == engine::EventKind::outcome) {
        if (std::holds_alternative<engine::Reply>(ev->outcome)) ++result.received;
      } else if (ev->kind == engine::EventKind::done) {
        const auto s = e.stats(ev->target);
        benchmark::DoNotOptimize(s);
        e.release(ev->target);
        ++result.done;
        --running;
        launch();
      }
    }
    auto deadline = e.next_deadline();
    benchmark::DoNotOptimize(deadline);
    if (n == 0) {
      // Nothing was due (cannot happen with every reply answered): jump to
      // the next deadline so a broken drive still terminates.
      if (!deadline) break;
      now = std::max(now, *deadline);
    }
  }
  return result;
}

void BM_OneProbeSweep(benchmark::State& state, bool kernel_timestamps, Socket socket) {
  const auto targets = loopback_targets(static_cast<std::size_t>(state.range(0)));
  const auto window = static_cast<std::size_t>(state.range(1));
  for (auto _ : state) {
    const auto r = run_sweep(targets, window, kernel_timestamps, socket);
    if (r.done != targets.size() || r.received != targets.size()) {
      state.SkipWithError("the sweep did not answer every target");
      break;
    }
  }
  const auto per_run = static_cast<double>(targets.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(targets.size()));
  state.counters["ns_per_target"] =
      benchmark::Counter(per_run * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// On a shared machine the median and the minimum of several repetitions
// (--benchmark_repetitions=15) are what to compare: the minimum is the run
// least disturbed by other processes.
double minimum(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }
// Args: targets, window (256 as net::Pinger; 4,096, its window until
// November 2026, shows what the cache misses of a larger working set cost).
BENCHMARK_CAPTURE(BM_OneProbeSweep, monotonic, false, Socket::ping)
    ->Args({65536, sweep_window})
    ->Args({65536, 4096})
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", minimum);
BENCHMARK_CAPTURE(BM_OneProbeSweep, kernel_timestamps, true, Socket::ping)
    ->Args({65536, sweep_window})
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", minimum);
// What `icmpkit sweep` runs as root: a raw socket with kernel timestamps.
BENCHMARK_CAPTURE(BM_OneProbeSweep, raw_socket, true, Socket::raw)
    ->Args({65536, sweep_window})
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", minimum);

}  // namespace

BENCHMARK_MAIN();
