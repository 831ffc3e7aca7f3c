// net::Pinger and the one-shot calls on loopback only (127.0.0.0/8, ::1).
// Raw sockets need root (the host's ping_group_range is closed); ping sockets
// and ICMP errors are exercised in a private network namespace (fork +
// unshare, see net_test_support.hpp) where ping_group_range is opened and
// nftables rejects probes to chosen loopback addresses. Every run is bounded
// with io_context::run_for.
#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <sstream>
#include <thread>

#include "icmpkit/net/ping.hpp"
#include "icmpkit/net/pinger.hpp"
#include "icmpkit/net/resolve.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;
using net::test::is_root;
using net::test::v6_loopback_usable;

namespace {

wire::IpAddress addr(const char* text) { return *wire::IpAddress::parse(text); }

net::PingOptions quick(std::uint32_t count = 3) {
  net::PingOptions o;
  o.count = count;
  o.interval = 10ms;
  o.timeout = 1s;
  return o;
}

std::size_t replies(const net::PingResult& r) {
  std::size_t n = 0;
  for (const auto& p : r.probes) n += std::holds_alternative<engine::Reply>(p.outcome) ? 1 : 0;
  return n;
}

// Runs one async_ping to completion; returns (error, result).
std::pair<std::error_code, net::PingResult> ping_once(const wire::IpAddress& target, const net::PingOptions& o,
                                                      net::PingerOptions po = {}) {
  asio::io_context context;
  net::Pinger pinger(context, po);
  std::pair<std::error_code, net::PingResult> out;
  bool done = false;
  pinger.async_ping(target, o, [&](std::error_code ec, net::PingResult r) {
    out = {ec, std::move(r)};
    done = true;
  });
  context.run_for(10s);
  if (!done) out.first = std::make_error_code(std::errc::timed_out);
  return out;
}

}  // namespace

TEST(Pinger, RawSocketPingsLoopbackV4) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket (host ping_group_range is closed)";
  net::PingerOptions po;
  po.mode = icmpkit::sys::SocketMode::raw;
  auto [ec, r] = ping_once(addr("127.0.0.1"), quick(3), po);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.probes.size(), 3u);
  EXPECT_EQ(replies(r), 3u);
  EXPECT_EQ(r.statistics.sent, 3u);
  EXPECT_EQ(r.statistics.received, 3u);
  EXPECT_DOUBLE_EQ(r.statistics.loss_percent(), 0.0);
  EXPECT_GT(r.statistics.rtt.max, 0ns);
  EXPECT_LT(r.statistics.rtt.max, 1s);
  for (const auto& p : r.probes) {
    const auto& reply = std::get<engine::Reply>(p.outcome);
    EXPECT_EQ(reply.size, 64u);
    ASSERT_TRUE(reply.ttl);
  }
}

// PingerOptions::reply_ttl: asked for by default, and only then, on ping
// sockets (which carry the TTL in a control message only).
TEST(Pinger, ReplyTtlOnlyWhenAskedForOnPingSockets) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    for (const bool asked : {true, false}) {
      net::PingerOptions po;
      po.mode = icmpkit::sys::SocketMode::dgram;
      po.reply_ttl = asked;
      auto [ec, r] = ping_once(addr("127.0.0.1"), quick(2), po);
      if (ec) return "ping failed: " + ec.message();
      if (replies(r) != 2) return std::string("not every probe was answered");
      for (const auto& p : r.probes) {
        const auto& reply = std::get<engine::Reply>(p.outcome);
        if (reply.ttl.has_value() != asked) {
          return std::string(asked ? "TTL missing although asked for" : "TTL present although not asked for");
        }
      }
    }
    return std::string();
  });
}

TEST(Pinger, RawSocketPingsLoopbackV6) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMPv6 socket";
  if (!v6_loopback_usable()) GTEST_SKIP() << "IPv6 disabled on lo";
  net::PingerOptions po;
  po.mode = icmpkit::sys::SocketMode::raw;
  auto [ec, r] = ping_once(addr("::1"), quick(2), po);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(replies(r), 2u);
}

TEST(Pinger, ManyProbesAndOptionsOnOneSocket) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  net::PingerOptions po;
  po.mode = icmpkit::sys::SocketMode::raw;
  net::Pinger pinger(context, po);
  int completed = 0;
  std::vector<net::PingResult> results;
  for (int i = 0; i < 3; ++i) {
    auto o = quick(5);
    o.interval = 0ns;
    o.payload_size = 100 + static_cast<std::size_t>(i);
    o.ttl = wire::Ttl(static_cast<std::uint8_t>(10 + i));
    o.tos = static_cast<std::uint8_t>(i * 4);
    pinger.async_ping(addr("127.0.0.1"), o, [&](std::error_code ec, net::PingResult r) {
      EXPECT_FALSE(ec);
      results.push_back(std::move(r));
      ++completed;
    });
  }
  context.run_for(10s);
  ASSERT_EQ(completed, 3);
  for (const auto& r : results) EXPECT_EQ(replies(r), 5u);
  EXPECT_EQ(pinger.total_stats(wire::Family::v4).received, 15u);
  EXPECT_EQ(pinger.socket_kind(wire::Family::v4), icmpkit::sys::SocketKind::raw);
}

TEST(Pinger, WorksWithUseFuture) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  net::Pinger pinger(context, net::PingerOptions{icmpkit::sys::SocketMode::raw});
  auto future = pinger.async_ping(addr("127.0.0.1"), quick(1), asio::use_future);
  std::thread runner([&] { context.run_for(10s); });
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  auto r = future.get();
  runner.join();
  EXPECT_EQ(replies(r), 1u);
}

TEST(Pinger, WorksWithUseAwaitable) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  net::Pinger pinger(context, net::PingerOptions{icmpkit::sys::SocketMode::raw});
  std::size_t got = 99;
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        auto r = co_await pinger.async_ping(addr("127.0.0.1"), quick(2), asio::use_awaitable);
        got = replies(r);
      },
      asio::detached);
  context.run_for(10s);
  EXPECT_EQ(got, 2u);
}

TEST(Pinger, CancellationSlotEndsTheRequest) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  net::Pinger pinger(context, net::PingerOptions{icmpkit::sys::SocketMode::raw});
  asio::cancellation_signal signal;
  auto o = quick(100);
  o.interval = 50ms;
  std::optional<net::PingResult> result;
  pinger.async_ping(addr("127.0.0.1"), o,
                    asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, net::PingResult r) {
                      EXPECT_FALSE(ec);
                      result = std::move(r);
                    }));
  asio::steady_timer timer(context, 180ms);
  timer.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::terminal); });
  context.run_for(10s);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->cancelled);
  EXPECT_GE(result->statistics.received, 2u);
  EXPECT_LT(result->probes.size(), 10u);
}

TEST(Pinger, SweepStreamsEachTarget) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  net::PingerOptions po;
  po.mode = icmpkit::sys::SocketMode::raw;
  po.max_rate = 2000;
  po.burst = 10;
  net::Pinger pinger(context, po);
  std::vector<wire::IpAddress> targets;
  for (int i = 1; i <= 60; ++i) targets.push_back(addr(("127.0.0." + std::to_string(i)).c_str()));
  std::vector<wire::IpAddress> streamed;
  std::optional<net::SweepSummary> summary;
  pinger.async_sweep(targets, quick(1), [&](const net::PingResult& r) { streamed.push_back(r.address); },
                     [&](std::error_code ec, net::SweepSummary s) {
                       EXPECT_FALSE(ec);
                       summary = s;
                     });
  context.run_for(10s);
  ASSERT_TRUE(summary);
  EXPECT_EQ(streamed.size(), 60u);
  EXPECT_EQ(summary->targets, 60u);
  EXPECT_EQ(summary->alive, 60u);
  EXPECT_EQ(summary->statistics.received, 60u);
  EXPECT_EQ(summary->statistics.rtt.samples, 60u);
}

TEST(Pinger, SyncPingAndInUseCheck) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  net::PingCallOptions call;
  call.mode = icmpkit::sys::SocketMode::raw;
  auto r = icmpkit::ping("127.0.0.1", quick(2), call);
  EXPECT_EQ(replies(r), 2u);
  auto by_name = icmpkit::ping("localhost", quick(1), net::PingCallOptions{net::FamilyPreference::v4_only,
                                                                            icmpkit::sys::SocketMode::raw});
  EXPECT_EQ(by_name.address, addr("127.0.0.1"));
  EXPECT_TRUE(icmpkit::is_address_in_use(addr("127.0.0.1"), 500ms, icmpkit::sys::SocketMode::raw));
}

TEST(Resolve, NumericAndPreference) {
  std::error_code ec;
  auto a = net::resolve("127.0.0.1", {}, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(a.size(), 1u);
  net::resolve("::1", net::ResolveOptions{net::FamilyPreference::v4_only}, ec);
  EXPECT_EQ(ec, asio::error::host_not_found);
  auto both = net::select_addresses({addr("::1"), addr("127.0.0.1"), addr("::1")},
                                    net::ResolveOptions{net::FamilyPreference::prefer_v4, true});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], addr("127.0.0.1"));
  EXPECT_EQ(both[1], addr("::1"));
  auto first = net::select_addresses({addr("::1"), addr("127.0.0.1")}, net::ResolveOptions{net::FamilyPreference::prefer_v4});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], addr("127.0.0.1"));
}

TEST(Resolve, AsyncLocalhostFromHostsFile) {
  asio::io_context context;
  std::vector<wire::IpAddress> found;
  std::error_code error;
  net::async_resolve(context.get_executor(), "localhost", net::ResolveOptions{net::FamilyPreference::v4_only},
                     [&](std::error_code ec, std::vector<wire::IpAddress> a) {
                       error = ec;
                       found = std::move(a);
                     });
  context.run_for(10s);
  ASSERT_FALSE(error) << error.message();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].is_loopback());
}

TEST(Pinger, InvalidOptionsFailTheRequest) {
  asio::io_context context;
  net::Pinger pinger(context);
  auto o = quick(1);
  o.timeout = 0ns;
  std::error_code error;
  bool called = false;
  pinger.async_ping(addr("127.0.0.1"), o, [&](std::error_code ec, net::PingResult) {
    error = ec;
    called = true;
  });
  context.run_for(5s);
  ASSERT_TRUE(called);
  // Either the socket could not be opened (not root) or the options were refused.
  EXPECT_TRUE(error == icmpkit::errc::invalid_argument || error == icmpkit::errc::permission_denied) << error.message();
}

// In a private namespace: ping sockets (dgram), ICMP errors from nftables
// rejects on loopback (error queue on dgram, quoted datagrams on raw), and a
// send refused by an unreachable route.
namespace {
std::string namespace_body(icmpkit::sys::SocketMode mode) {
  if (!net::test::sh("nft add table ip ikH") ||
      !net::test::sh("nft 'add chain ip ikH in { type filter hook input priority 0; }'") ||
      !net::test::sh("nft add rule ip ikH in ip daddr 127.0.0.5 icmp type echo-request reject with icmp type host-unreachable") ||
      !net::test::sh("ip route add unreachable 10.9.9.9/32")) {
    return "SKIP: nft or ip route not usable in the namespace";
  }
  std::ostringstream fail;
  asio::io_context context;
  net::PingerOptions po;
  po.mode = mode;
  net::Pinger pinger(context, po);
  std::optional<net::PingResult> ok, rejected, unroutable;
  pinger.async_ping(addr("127.0.0.1"), quick(2), [&](std::error_code ec, net::PingResult r) {
    if (ec) fail << "ping 127.0.0.1: " << ec.message() << "; ";
    ok = std::move(r);
  });
  pinger.async_ping(addr("127.0.0.5"), quick(1), [&](std::error_code ec, net::PingResult r) {
    if (ec) fail << "ping 127.0.0.5: " << ec.message() << "; ";
    rejected = std::move(r);
  });
  pinger.async_ping(addr("10.9.9.9"), quick(1), [&](std::error_code ec, net::PingResult r) {
    if (ec) fail << "ping 10.9.9.9: " << ec.message() << "; ";
    unroutable = std::move(r);
  });
  context.run_for(8s);
  const auto expected_kind = mode == icmpkit::sys::SocketMode::dgram ? icmpkit::sys::SocketKind::dgram
                                                                     : icmpkit::sys::SocketKind::raw;
  if (pinger.socket_kind(wire::Family::v4) != expected_kind) fail << "wrong socket kind; ";
  if (!ok || replies(*ok) != 2) fail << "127.0.0.1 did not answer twice; ";
  if (!rejected || rejected->probes.size() != 1) {
    fail << "127.0.0.5: no outcome; ";
  } else if (const auto* e = std::get_if<engine::IcmpError>(&rejected->probes[0].outcome); e == nullptr) {
    fail << "127.0.0.5: outcome is not an IcmpError (index " << rejected->probes[0].outcome.index() << "); ";
  } else if (e->kind != engine::IcmpErrorKind::unreachable || e->code != 1) {
    fail << "127.0.0.5: unexpected error " << int(e->type) << "/" << int(e->code) << "; ";
  }
  if (!unroutable || unroutable->probes.size() != 1) {
    fail << "10.9.9.9: no outcome; ";
  } else if (!std::holds_alternative<engine::SendError>(unroutable->probes[0].outcome)) {
    fail << "10.9.9.9: outcome index " << unroutable->probes[0].outcome.index() << "; ";
  } else if (std::get<engine::SendError>(unroutable->probes[0].outcome).error != std::errc::host_unreachable) {
    fail << "10.9.9.9: " << std::get<engine::SendError>(unroutable->probes[0].outcome).error.message() << "; ";
  } else if (unroutable->statistics.send_failures != 1 || unroutable->statistics.sent != 0) {
    fail << "10.9.9.9: failure not counted; ";
  }
  std::ifstream disabled("/proc/sys/net/ipv6/conf/lo/disable_ipv6");
  int v6_off = 1;
  if (disabled && (disabled >> v6_off) && v6_off == 0) {
    std::optional<net::PingResult> v6;
    pinger.async_ping(addr("::1"), quick(2), [&](std::error_code ec, net::PingResult r) {
      if (ec) fail << "ping ::1: " << ec.message() << "; ";
      v6 = std::move(r);
    });
    context.restart();
    context.run_for(5s);
    if (!v6 || replies(*v6) != 2) fail << "::1 did not answer twice; ";
    if (pinger.socket_kind(wire::Family::v6) != expected_kind) fail << "wrong v6 socket kind; ";
  }
  if (net::is_address_in_use(addr("127.0.0.5"), 300ms, mode)) fail << "127.0.0.5 reported in use; ";
  if (!net::is_address_in_use(addr("127.0.0.1"), 300ms, mode)) fail << "127.0.0.1 reported free; ";
  return fail.str();
}
}  // namespace

TEST(Pinger, PingSocketRepliesErrorsAndSendFailuresInPrivateNetns) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return namespace_body(icmpkit::sys::SocketMode::dgram); });
}

TEST(Pinger, RawSocketRepliesErrorsAndSendFailuresInPrivateNetns) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return namespace_body(icmpkit::sys::SocketMode::raw); });
}

TEST(Pinger, StreamsProbeEventsAndMixesFamiliesInASweep) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP sockets";
  if (!v6_loopback_usable()) GTEST_SKIP() << "IPv6 disabled on lo";
  asio::io_context context;
  net::Pinger pinger(context, net::PingerOptions{icmpkit::sys::SocketMode::raw});
  std::vector<engine::ProbeEvent> events;
  bool done = false;
  pinger.async_ping(addr("127.0.0.1"), quick(3), [&](const engine::ProbeEvent& e) { events.push_back(e); },
                    [&](std::error_code ec, net::PingResult r) {
                      EXPECT_FALSE(ec);
                      EXPECT_EQ(replies(r), 3u);
                      done = true;
                    });
  std::optional<net::SweepSummary> summary;
  pinger.async_sweep({addr("127.0.0.1"), addr("::1"), addr("127.0.0.2")}, quick(2), {},
                     [&](std::error_code ec, net::SweepSummary s) {
                       EXPECT_FALSE(ec);
                       summary = s;
                     });
  context.run_for(10s);
  EXPECT_TRUE(done);
  ASSERT_EQ(events.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].kind, engine::EventKind::outcome);
    EXPECT_EQ(events[i].probe_index, i);
  }
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->alive, 3u);
  EXPECT_EQ(summary->statistics.received, 6u);
  EXPECT_EQ(pinger.socket_kind(wire::Family::v6), icmpkit::sys::SocketKind::raw);
}

TEST(Pinger, DestroyingThePingerAbortsRunningRequests) {
  if (!is_root()) GTEST_SKIP() << "needs root: raw ICMP socket";
  asio::io_context context;
  std::error_code error;
  bool called = false;
  {
    net::Pinger pinger(context, net::PingerOptions{icmpkit::sys::SocketMode::raw});
    auto o = quick(0);  // endless
    pinger.async_ping(addr("127.0.0.1"), o, [&](std::error_code ec, net::PingResult) {
      error = ec;
      called = true;
    });
    context.run_for(50ms);
  }
  context.restart();
  context.run_for(5s);
  ASSERT_TRUE(called);
  EXPECT_EQ(error, asio::error::operation_aborted);
}
