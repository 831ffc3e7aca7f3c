// net::Tracer on real sockets, to loopback only, inside a private network
// namespace (net_test_support.hpp): a trace to 127.0.0.1 / ::1 is one hop,
// answered by the destination itself, for each method and socket kind, as
// root and after dropping to nobody.
#include "icmpkit/net/tracer.hpp"

#include <gtest/gtest.h>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "icmpkit/error.hpp"
#include "net_test_support.hpp"

namespace icmpkit::net {
namespace {

using engine::ProbeMethod;
using engine::ProbeReason;
using engine::StopReason;
using test::loopback;

std::string method_name(ProbeMethod m) {
  return m == ProbeMethod::icmp_echo ? "icmp" : (m == ProbeMethod::udp ? "udp" : "tcp");
}

TraceOptions quick_options(ProbeMethod method) {
  TraceOptions options;
  options.method = method;
  options.max_ttl = 5;
  options.queries = 3;
  options.wait.max = std::chrono::seconds(2);
  return options;
}

// Traces loopback of `family`; "" when it is one hop reached with every
// query answered by the destination, else what was wrong.
std::string check_loopback_trace(wire::Family family, ProbeMethod method, sys::SocketMode mode,
                                 std::optional<sys::SocketKind> expect_kind = std::nullopt) {
  const std::string what = method_name(method) + " " + test::family_name(family) + ": ";
  TracerOptions tracer_options;
  tracer_options.icmp_mode = mode;
  asio::io_context context;
  Tracer tracer(context, tracer_options);
  std::vector<engine::HopEvent> hops;
  std::error_code error;
  std::optional<engine::TraceResult> result;
  const auto destination = loopback(family);
  tracer.async_trace(destination, quick_options(method), [&](const engine::HopEvent& e) { hops.push_back(e); },
                     [&](std::error_code ec, engine::TraceResult r) {
                       error = ec;
                       result = std::move(r);
                     });
  context.run_for(std::chrono::seconds(10));
  if (error) return what + "trace failed: " + error.message();
  if (!result) return what + "no completion within 10 s";
  if (expect_kind && method == ProbeMethod::icmp_echo && tracer.icmp_socket_kind(family) != expect_kind) {
    return what + "unexpected socket kind";
  }
  if (result->stop != StopReason::destination_reached) return what + "not reached";
  if (result->hops.size() != 1) return what + std::to_string(result->hops.size()) + " hops, want 1";
  if (hops.size() != 1) return what + std::to_string(hops.size()) + " hop events, want 1";
  const auto& hop = result->hops.front();
  if (hop.ttl.value() != 1) return what + "hop ttl " + std::to_string(hop.ttl.value());
  if (hop.probes.size() != 3) return what + std::to_string(hop.probes.size()) + " probes, want 3";
  const ProbeReason want = method == ProbeMethod::udp ? ProbeReason::port_unreachable : ProbeReason::echo_reply;
  for (const auto& probe : hop.probes) {
    if (probe.reason != want) return what + "probe reason " + engine::reason_name(probe.reason);
    if (!probe.responder || *probe.responder != destination) return what + "wrong responder";
    if (probe.rtt <= std::chrono::nanoseconds(0) || probe.rtt > std::chrono::seconds(2)) return what + "bad rtt";
  }
  return "";
}

// Leaves root for good (saved uid too, no capabilities), as
// ARCHITECTURE.md's setpriv recipe does.
std::string drop_to_nobody() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "prctl failed";
  if (setgroups(0, nullptr) != 0) return "setgroups failed";
  if (setresgid(65534, 65534, 65534) != 0) return "setresgid failed";
  if (setresuid(65534, 65534, 65534) != 0) return "setresuid failed";
  return "";
}

TEST(Tracer, LoopbackIsOneHopForEveryMethodAsRoot) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    for (auto family : {wire::Family::v4, wire::Family::v6}) {
      for (auto [method, mode, kind] :
           {std::tuple{ProbeMethod::icmp_echo, sys::SocketMode::dgram, sys::SocketKind::dgram},
            std::tuple{ProbeMethod::icmp_echo, sys::SocketMode::raw, sys::SocketKind::raw},
            std::tuple{ProbeMethod::udp, sys::SocketMode::automatic, sys::SocketKind::dgram}}) {
        if (auto failure = check_loopback_trace(family, method, mode, kind); !failure.empty()) return failure;
      }
    }
    return "";
  });
}

TEST(Tracer, LoopbackIsOneHopUnprivileged) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    if (auto failure = drop_to_nobody(); !failure.empty()) return failure;
    for (auto family : {wire::Family::v4, wire::Family::v6}) {
      for (auto method : {ProbeMethod::icmp_echo, ProbeMethod::udp}) {
        if (auto failure = check_loopback_trace(family, method, sys::SocketMode::automatic, sys::SocketKind::dgram);
            !failure.empty()) {
          return failure;
        }
      }
    }
    // A raw socket is refused without CAP_NET_RAW, and the trace says so.
    asio::io_context context;
    TracerOptions raw_only;
    raw_only.icmp_mode = sys::SocketMode::raw;
    Tracer tracer(context, raw_only);
    std::error_code error;
    bool done = false;
    tracer.async_trace(loopback(wire::Family::v4), quick_options(ProbeMethod::icmp_echo), {},
                       [&](std::error_code ec, engine::TraceResult) {
                         error = ec;
                         done = true;
                       });
    context.run_for(std::chrono::seconds(5));
    if (!done) return "raw trace did not complete";
    if (!error) return "raw trace ran without CAP_NET_RAW";
    return "";
  });
}

TEST(Tracer, ManyConcurrentTracesShareTheSockets) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    asio::io_context context;
    TracerOptions options;
    options.icmp_mode = sys::SocketMode::dgram;
    Tracer tracer(context, options);
    constexpr int count = 20;
    int reached = 0;
    int completed = 0;
    for (int i = 0; i < count; ++i) {
      const auto destination = *wire::IpAddress::parse("127.0.0." + std::to_string(i + 1));
      tracer.async_trace(destination, quick_options(i % 2 == 0 ? ProbeMethod::icmp_echo : ProbeMethod::udp), {},
                         [&, destination](std::error_code ec, engine::TraceResult r) {
                           ++completed;
                           if (!ec && r.stop == StopReason::destination_reached && r.hops.size() == 1 &&
                               r.destination == destination) {
                             ++reached;
                           }
                         });
    }
    context.run_for(std::chrono::seconds(10));
    if (completed != count) return "only " + std::to_string(completed) + " traces completed";
    if (reached != count) return "only " + std::to_string(reached) + " traces reached their destination";
    return "";
  });
}

// Runs one TCP SYN trace to loopback; "" when one hop answered by `want`.
std::string check_tcp_loopback(wire::Family family, std::uint16_t port, ProbeReason want) {
  TraceOptions options = quick_options(ProbeMethod::tcp_syn);
  options.destination_port = port;
  auto result = trace(loopback(family), options);
  const std::string what = "tcp " + test::family_name(family) + " port " + std::to_string(port) + ": ";
  if (!result) return what + "trace failed: " + result.error().message();
  if (result->stop != StopReason::destination_reached || result->hops.size() != 1) return what + "not one hop reached";
  for (const auto& probe : result->hops.front().probes) {
    if (probe.reason != want) return what + "probe reason " + engine::reason_name(probe.reason);
  }
  return "";
}

TEST(Tracer, TcpSynReachesLoopbackOpenAndClosedPortsAsRoot) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    for (auto family : {wire::Family::v4, wire::Family::v6}) {
      // Closed port: the kernel answers RST.
      if (auto failure = check_tcp_loopback(family, 9, ProbeReason::tcp_reset); !failure.empty()) return failure;
      // Open port: a listening socket makes the kernel answer SYN-ACK.
      asio::io_context context;
      asio::ip::tcp::acceptor acceptor(context, asio::ip::tcp::endpoint(family == wire::Family::v4
                                                                            ? asio::ip::address(asio::ip::address_v4::loopback())
                                                                            : asio::ip::address(asio::ip::address_v6::loopback()),
                                                                        0));
      if (auto failure = check_tcp_loopback(family, acceptor.local_endpoint().port(), ProbeReason::tcp_syn_ack);
          !failure.empty()) {
        return failure;
      }
    }
    return "";
  });
}

// Runs one TCP trace to loopback on a Tracer of its own; "" when it is one
// hop reached with every query answered by the destination with `want` and
// the Tracer used (or not) the connect() fallback as `want_fallback`.
std::string check_tcp_connect_loopback(wire::Family family, std::uint16_t port, ProbeReason want, bool want_fallback) {
  const std::string what = "tcp " + test::family_name(family) + " port " + std::to_string(port) + ": ";
  asio::io_context context;
  Tracer tracer(context);
  std::error_code error;
  std::optional<engine::TraceResult> result;
  TraceOptions options = quick_options(ProbeMethod::tcp_syn);
  options.destination_port = port;
  const auto destination = loopback(family);
  tracer.async_trace(destination, options, {}, [&](std::error_code ec, engine::TraceResult r) {
    error = ec;
    result = std::move(r);
  });
  context.run_for(std::chrono::seconds(10));
  if (error) return what + "trace failed: " + error.message();
  if (!result) return what + "no completion within 10 s";
  if (tracer.uses_connect_fallback(family) != want_fallback) return what + "unexpected connect() fallback state";
  if (result->stop != StopReason::destination_reached || result->hops.size() != 1) return what + "not one hop reached";
  if (result->hops.front().probes.size() != 3) return what + "not 3 probes";
  for (const auto& probe : result->hops.front().probes) {
    if (probe.reason != want) return what + "probe reason " + engine::reason_name(probe.reason);
    if (!probe.responder || *probe.responder != destination) return what + "wrong responder";
    if (probe.rtt <= std::chrono::nanoseconds(0) || probe.rtt > std::chrono::seconds(2)) return what + "bad rtt";
  }
  return "";
}

TEST(Tracer, TcpWithoutCapNetRawFallsBackToConnectProbes) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    // Listen before dropping privileges (any port works; this keeps the
    // setup independent of the identity).
    asio::io_context listen_context;
    asio::ip::tcp::acceptor v4(listen_context, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    asio::ip::tcp::acceptor v6(listen_context, asio::ip::tcp::endpoint(asio::ip::address_v6::loopback(), 0));
    if (auto failure = drop_to_nobody(); !failure.empty()) return failure;
    for (auto family : {wire::Family::v4, wire::Family::v6}) {
      // Closed port: the kernel answers RST, connect() says ECONNREFUSED.
      if (auto failure = check_tcp_connect_loopback(family, 9, ProbeReason::tcp_reset, true); !failure.empty()) {
        return failure;
      }
      // Open port: the handshake completes.
      const std::uint16_t port = (family == wire::Family::v4 ? v4 : v6).local_endpoint().port();
      if (auto failure = check_tcp_connect_loopback(family, port, ProbeReason::tcp_syn_ack, true); !failure.empty()) {
        return failure;
      }
    }
    return "";
  });
}

TEST(Tracer, TcpMultipathWithoutCapNetRawIsPermissionDenied) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    if (auto failure = drop_to_nobody(); !failure.empty()) return failure;
    TraceOptions options = quick_options(ProbeMethod::tcp_syn);
    options.mode = engine::TraceMode::multipath;  // flows need the source port, which connect() cannot steer
    auto result = trace(loopback(wire::Family::v4), options);
    if (result) return "tcp multipath trace ran without CAP_NET_RAW";
    if (result.error() != make_error_code(errc::permission_denied)) return "error " + result.error().message();
    return "";
  });
}

// A silent destination: nftables drops what reaches 127.0.0.99 on input (the
// send itself succeeds, so only silence comes back).
bool make_silent_path() {
  return test::sh("nft add table ip ikK && nft add chain ip ikK pre '{ type filter hook prerouting priority 0; }' && "
                  "nft add rule ip ikK pre ip daddr 127.0.0.99 drop");
}

TEST(Tracer, CancellationSlotEndsTheTraceAsCancelled) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    if (!make_silent_path()) return "SKIP: cannot create a dummy interface";
    asio::io_context context;
    Tracer tracer(context);
    asio::cancellation_signal signal;
    std::optional<engine::TraceResult> result;
    std::error_code error;
    TraceOptions options = quick_options(ProbeMethod::udp);
    options.wait.max = std::chrono::seconds(5);
    const auto started = std::chrono::steady_clock::now();
    tracer.async_trace(*wire::IpAddress::parse("127.0.0.99"), options, {},
                       asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, engine::TraceResult r) {
                         error = ec;
                         result = std::move(r);
                       }));
    asio::steady_timer timer(context, std::chrono::milliseconds(200));
    timer.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::terminal); });
    context.run_for(std::chrono::seconds(4));
    if (!result) return "no completion after cancelling";
    if (error) return "cancel completed with an error: " + error.message();
    if (result->stop != StopReason::cancelled) return "stop reason is not cancelled";
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(3)) return "cancel took too long";
    return "";
  });
}

TEST(Tracer, DestroyingTheTracerAbortsRunningTraces) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    if (!make_silent_path()) return "SKIP: cannot create a dummy interface";
    asio::io_context context;
    std::error_code error;
    bool done = false;
    {
      Tracer tracer(context);
      tracer.async_trace(*wire::IpAddress::parse("127.0.0.99"), quick_options(ProbeMethod::icmp_echo), {},
                         [&](std::error_code ec, engine::TraceResult) {
                           error = ec;
                           done = true;
                         });
      context.run_for(std::chrono::milliseconds(100));
      if (done) return "trace over a silent path finished early";
    }
    context.run_for(std::chrono::seconds(2));
    if (!done) return "no completion after the Tracer was destroyed";
    if (error != asio::error::operation_aborted) return "error " + error.message();
    return "";
  });
}

TEST(Tracer, SynchronousTraceReturnsTheResult) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    auto result = trace(loopback(wire::Family::v6), quick_options(ProbeMethod::udp));
    if (!result) return "trace failed: " + result.error().message();
    if (result->stop != StopReason::destination_reached || result->hops.size() != 1) return "not one hop reached";
    return "";
  });
}

}  // namespace
}  // namespace icmpkit::net
