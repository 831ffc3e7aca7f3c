// PingerOptions::transmit_timestamps: the kernel's transmit timestamps are
// matched to their probes (TransmitKeys) and read before the replies, so
// every RTT on loopback runs from the kernel's send time, taken before the
// local queueing discipline. Real sockets in a private network namespace
// (loopback only), both kinds and both families.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <string>

#include "../../../src/net/transmit_keys.hpp"
#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace net = icmpkit::net;
namespace sys = icmpkit::sys;
namespace wire = icmpkit::wire;
using net::detail::TransmitKeys;
using net::test::v6_loopback_usable;

namespace {

constexpr std::uint32_t probes = 5;

// One request to loopback; on success `failure` is empty and `kernel_timed`
// says how many probes the engine timed by the kernel's transmit timestamps.
struct Pinged {
  std::string failure;
  net::PingResult result;
  std::uint64_t kernel_timed = 0;
};

Pinged ping_loopback(wire::Family family, sys::SocketMode mode, bool transmit_timestamps,
                     const net::PingOptions& options) {
  asio::io_context context;
  net::PingerOptions po;
  po.mode = mode;
  po.transmit_timestamps = transmit_timestamps;
  net::Pinger pinger(context, po);
  Pinged out;
  std::error_code error;
  bool done = false;
  pinger.async_ping(net::test::loopback(family), options, [&](std::error_code ec, net::PingResult r) {
    error = ec;
    out.result = std::move(r);
    done = true;
  });
  context.run_for(10s);
  if (!done) {
    out.failure = "no result within 10 s";
  } else if (error) {
    out.failure = error.message();
  }
  out.kernel_timed = pinger.engine_counters(family).transmit_timestamps;
  return out;
}

std::string case_name(wire::Family family, sys::SocketMode mode) {
  return net::test::family_name(family) + (mode == sys::SocketMode::raw ? " raw" : " dgram");
}

// Pings loopback `probes` times; "" when every reply came back and the
// engine counted `expected` probes timed by the kernel.
std::string ping_and_count(wire::Family family, sys::SocketMode mode, bool asked, std::uint64_t expected) {
  net::PingOptions o;
  o.count = probes;
  o.interval = 2ms;
  o.timeout = 1s;
  const auto pinged = ping_loopback(family, mode, asked, o);
  const std::string what =
      case_name(family, mode) + (asked ? " with" : " without") + " transmit timestamps: ";
  if (!pinged.failure.empty()) return what + pinged.failure;
  if (pinged.result.statistics.received != probes) return what + "not every probe was answered";
  for (const auto& p : pinged.result.probes) {
    const auto* reply = std::get_if<engine::Reply>(&p.outcome);
    if (reply == nullptr || !reply->kernel_timestamp) return what + "a reply without a kernel-timed RTT";
  }
  if (pinged.kernel_timed != expected) {
    return what + std::to_string(pinged.kernel_timed) + " probes timed by the kernel, expected " +
           std::to_string(expected);
  }
  return "";
}

// Two probes sent in one batch through a token bucket on lo; "" when the
// later one's RTT covers its wait in the bucket (see the test below).
std::string ping_through_bucket(wire::Family family, sys::SocketMode mode) {
  const std::string what = case_name(family, mode) + ": ";
  // A fresh qdisc each time: its bucket starts full.
  (void)net::test::sh("tc qdisc del dev lo root");
  if (!net::test::sh("tc qdisc add dev lo root tbf rate 100kbit burst 1600 latency 2s")) {
    return "SKIP: tc cannot add a tbf qdisc here (iproute2 or sch_tbf missing)";
  }
  net::PingOptions o;
  o.count = 2;
  o.interval = 0ms;  // both in the same sendmmsg
  o.payload_size = 1000;
  o.timeout = 2s;
  const auto pinged = ping_loopback(family, mode, true, o);
  (void)net::test::sh("tc qdisc del dev lo root");
  if (!pinged.failure.empty()) return what + pinged.failure;
  if (pinged.result.statistics.received != 2) return what + "not both probes were answered";
  if (pinged.kernel_timed != 2) {
    return what + std::to_string(pinged.kernel_timed) + " probes timed by the kernel, expected 2";
  }
  std::chrono::nanoseconds longest{0};
  for (const auto& p : pinged.result.probes) longest = std::max(longest, std::get<engine::Reply>(p.outcome).rtt);
  if (longest < 190ms) {
    return what + "the later probe's RTT is " + std::to_string(longest.count() / 1000) +
           " us: its wait in the local qdisc was left out";
  }
  return "";
}

// The first failure of `check` over every socket the namespace offers (v4
// and, when ::1 is usable, v6; raw and dgram each), or "" when all pass.
template <typename Check>
std::string first_failure_on_each_socket(Check check) {
  const bool v6 = v6_loopback_usable();
  for (const auto family : {wire::Family::v4, wire::Family::v6}) {
    if (family == wire::Family::v6 && !v6) continue;
    for (const auto mode : {sys::SocketMode::raw, sys::SocketMode::dgram}) {
      if (auto failure = check(family, mode); !failure.empty()) return failure;
    }
  }
  return std::string();
}

}  // namespace

TEST(TransmitKeys, FindsTheProbeOfEachSendNumber) {
  TransmitKeys keys;
  EXPECT_FALSE(keys.records_due());
  for (std::uint32_t i = 0; i < 3; ++i) keys.log_send({i, 7});
  EXPECT_TRUE(keys.records_due());
  EXPECT_EQ(keys.find(1), (engine::ProbeHandle{1, 7}));
  EXPECT_FALSE(keys.find(3)) << "not sent yet";
  keys.mark_read();
  EXPECT_FALSE(keys.records_due());
}

TEST(TransmitKeys, ForgetsSendsOlderThanItsCapacity) {
  TransmitKeys keys;
  const auto total = static_cast<std::uint32_t>(TransmitKeys::capacity + 10);
  for (std::uint32_t i = 0; i < total; ++i) keys.log_send({i, 0});
  EXPECT_FALSE(keys.find(5)) << "overwritten by send " << 5 + TransmitKeys::capacity;
  EXPECT_EQ(keys.find(total - 1), (engine::ProbeHandle{total - 1, 0}));
  EXPECT_EQ(keys.find(10), (engine::ProbeHandle{10, 0}));
}

TEST(Pinger, TransmitTimestampsTimeEveryProbeWhenAskedFor) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    return first_failure_on_each_socket([](wire::Family family, sys::SocketMode mode) {
      for (const bool asked : {true, false}) {
        if (auto failure = ping_and_count(family, mode, asked, asked ? probes : 0); !failure.empty()) return failure;
      }
      return std::string();
    });
  });
}

// ping(8) reads the clock before sendmsg, so time a probe spends queued on
// our own host (a shaper, netem, a saturated uplink's fq_codel) is part of
// its RTT; the kernel's stamp must be the one taken as the packet enters the
// qdisc (TX_SCHED), not when the driver takes it (TX_SOFTWARE). The bucket
// (100 kbit/s = 12,500 bytes/s, 1,600 bytes deep) makes the waits exact. On
// lo a 1,000-byte probe is a 1,042-byte frame (1,062 for v6): 83.4 ms of
// tokens (85.0). The first request passes at once and leaves 558 bytes; its
// reply waits 38.7 ms (41.9); the second request and its reply leave 83.4
// ms apart after that, so the second reply comes 205.5 ms (211.9) after both
// were sent. Stamped by the driver, the second probe would show 166.8 or
// 83.4 ms (170.0 or 85.0), depending on whether its request queued before
// or after the first reply. Threshold: 190 ms.
TEST(Pinger, TransmitTimestampsCountTheWaitInTheLocalQdisc) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return first_failure_on_each_socket(ping_through_bucket); });
}
