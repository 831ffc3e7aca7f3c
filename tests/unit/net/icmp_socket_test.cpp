// basic_icmp_socket on real sockets: loopback only (127.0.0.0/8, ::1).
// Raw-socket tests run in the host namespace and need root (CAP_NET_RAW).
// Ping-socket (dgram) tests, cancellation and error-queue tests run in a
// private network namespace (see net_test_support.hpp) where the per-namespace
// ping_group_range is opened and nftables rules make ICMP errors on demand.
#include <gtest/gtest.h>

#include <asio/detail/config.hpp>

// Asio 1.22 enables co_await only where it detects C++20 coroutines (g++ 10+;
// not clang < 17 with libstdc++). These tests exercise coroutines throughout,
// so on such a compiler they are replaced by one skipped test.
#if !defined(ASIO_HAS_CO_AWAIT)
TEST(IcmpSocket, NeedsCoroutineSupport) {
  GTEST_SKIP() << "Asio reports no C++20 coroutine support for this compiler (ASIO_HAS_CO_AWAIT unset)";
}
#else

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/sys/receive.hpp"
#include "unit/net/net_test_support.hpp"

namespace icmpkit::net {
namespace {

using namespace std::chrono_literals;
using test::EchoProbe;
using test::loopback;
using wire::Family;

constexpr auto kReplyLimit = 5s;  // loopback answers in microseconds; this only bounds a failure

std::string kind_name(sys::SocketKind kind) { return kind == sys::SocketKind::dgram ? "dgram" : "raw"; }

// Opens or explains. An empty optional plus `why` set means "cannot run here".
std::string open_socket(icmp_socket& socket, Family family, sys::SocketMode mode) {
  sys::OpenOptions options;
  options.mode = mode;
  std::error_code ec;
  socket.open(family, options, ec);
  if (ec) return "open " + test::family_name(family) + " failed: " + ec.message();
  return {};
}

// Checks what a reply carries besides the echo itself.
std::string check_reply_metadata(const Received& received, Family family) {
  const auto* message = as_message(received);
  if (message == nullptr) return "not a message";
  const auto expected_type = family == Family::v4 ? wire::icmpv4_type::echo_reply : wire::icmpv6_type::echo_reply;
  if (message->icmp.type != expected_type) return "wrong type " + std::to_string(message->icmp.type);
  if (message->datagram.source != loopback(family))
    return "wrong source " + message->datagram.source.to_string();
  if (!message->datagram.ttl) return "no TTL / hop limit control message";
  if (!message->datagram.kernel_timestamp) return "no kernel timestamp";
  if (message->datagram.destination != loopback(family)) return "no or wrong destination (pktinfo)";
  if (message->datagram.interface_index == 0) return "no interface index (pktinfo)";
  return {};
}

// --- echo with a coroutine ---------------------------------------------------

// Sends one echo and awaits its reply on an open socket, bounded in time.
std::string run_echo_coroutine(asio::io_context& context, icmp_socket& socket, Family family,
                               std::uint16_t sequence) {
  EchoProbe probe(family, sequence);
  std::string failure = "no reply";
  asio::steady_timer guard(context, kReplyLimit);
  guard.async_wait([&](std::error_code ec) {
    if (!ec) socket.cancel();
  });
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        const auto sent = co_await socket.async_send_to(probe.bytes(), loopback(family), asio::use_awaitable);
        if (sent != probe.size) {
          failure = "short send";
          co_return;
        }
        std::vector<std::byte> buffer(sys::max_datagram_size);
        for (int i = 0; i < 200; ++i) {
          auto received = co_await socket.async_receive(buffer, asio::use_awaitable);
          if (probe.is_reply(received)) {
            failure = check_reply_metadata(received, family);
            break;
          }
        }
        guard.cancel();
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          failure = std::string("coroutine threw: ") + x.what();
        }
      });
  context.run_for(2 * kReplyLimit);
  return failure;
}

std::string echo_with_coroutine(Family family, sys::SocketMode mode, sys::SocketKind expected_kind) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, mode); !why.empty()) return why;
  if (socket.kind() != expected_kind) return "opened " + kind_name(socket.kind());
  return run_echo_coroutine(context, socket, family, 7);
}

// --- echo with plain callbacks -----------------------------------------------

std::string echo_with_callbacks(Family family, sys::SocketMode mode, sys::SocketKind expected_kind) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, mode); !why.empty()) return why;
  if (socket.kind() != expected_kind) return "opened " + kind_name(socket.kind());

  EchoProbe probe(family, 9);
  std::string failure = "no reply";
  std::vector<std::byte> buffer(sys::max_datagram_size);
  asio::steady_timer guard(context, kReplyLimit);
  guard.async_wait([&](std::error_code ec) {
    if (!ec) socket.cancel();
  });
  int receives_left = 200;
  std::function<void(std::error_code, Received)> on_receive = [&](std::error_code ec, Received received) {
    if (ec) {
      failure = "receive: " + ec.message();
      guard.cancel();
      return;
    }
    if (probe.is_reply(received)) {
      failure = check_reply_metadata(received, family);
      guard.cancel();
      return;
    }
    if (--receives_left > 0) socket.async_receive(buffer, on_receive);
  };
  bool sent_inline = true;  // a handler must never run inside the initiating call
  socket.async_send_to(probe.bytes(), loopback(family), [&](std::error_code ec, std::size_t sent) {
    if (sent_inline) failure = "send handler ran inside async_send_to";
    if (ec || sent != probe.size) {
      failure = "send: " + ec.message();
      guard.cancel();
      return;
    }
    socket.async_receive(buffer, on_receive);
  });
  sent_inline = false;
  context.run_for(2 * kReplyLimit);
  return failure;
}

// --- echo with futures (the io_context runs on another thread) ---------------

std::string echo_with_futures(Family family, sys::SocketMode mode, sys::SocketKind expected_kind) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, mode); !why.empty()) return why;
  if (socket.kind() != expected_kind) return "opened " + kind_name(socket.kind());

  auto work = asio::make_work_guard(context);
  std::thread runner([&] { context.run(); });
  std::string failure = "no reply";
  try {
    EchoProbe probe(family, 11);
    auto sent = socket.async_send_to(probe.bytes(), loopback(family), asio::use_future);
    if (sent.wait_for(kReplyLimit) != std::future_status::ready) {
      failure = "send did not complete";
    } else if (sent.get() != probe.size) {
      failure = "short send";
    } else {
      std::vector<std::byte> buffer(sys::max_datagram_size);
      for (int i = 0; i < 200; ++i) {
        auto next = socket.async_receive(buffer, asio::use_future);
        if (next.wait_for(kReplyLimit) != std::future_status::ready) {
          asio::post(context, [&] { socket.cancel(); });
          next.wait();
          failure = "receive timed out";
          break;
        }
        auto received = next.get();
        if (probe.is_reply(received)) {
          failure = check_reply_metadata(received, family);
          break;
        }
      }
    }
  } catch (const std::exception& e) {
    failure = std::string("future threw: ") + e.what();
  }
  work.reset();
  context.stop();
  runner.join();
  return failure;
}

// --- synchronous pairs -------------------------------------------------------

std::string echo_synchronously(Family family, sys::SocketMode mode) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, mode); !why.empty()) return why;
  EchoProbe probe(family, 13);
  // The asio::ip::address overload and the throwing form.
  const auto sent = socket.send_to(probe.bytes(), to_asio(loopback(family)));
  if (sent != probe.size) return "short send";
  std::vector<std::byte> buffer(sys::max_datagram_size);
  // A blocking receive cannot be bounded by itself: the reply is already on
  // its way over loopback, and any stray message only costs one iteration.
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    auto received = socket.receive(buffer, ec);
    if (ec) return "receive: " + ec.message();
    if (probe.is_reply(received)) return check_reply_metadata(received, family);
  }
  return "no reply in 200 messages";
}

bool can_open_raw(Family family) {
  auto raw = sys::IcmpSocket::open(family, sys::OpenOptions{.mode = sys::SocketMode::raw});
  return raw.has_value();
}

#define ICMPKIT_REQUIRE_RAW(family)                                            \
  do {                                                                         \
    if (!can_open_raw(family)) GTEST_SKIP() << "needs root (CAP_NET_RAW) for a raw socket"; \
  } while (false)

// --- host namespace, raw sockets ---------------------------------------------

TEST(IcmpSocket, RawEchoWithCoroutineV4) {
  ICMPKIT_REQUIRE_RAW(Family::v4);
  EXPECT_EQ(echo_with_coroutine(Family::v4, sys::SocketMode::raw, sys::SocketKind::raw), "");
}

TEST(IcmpSocket, RawEchoWithCoroutineV6) {
  ICMPKIT_REQUIRE_RAW(Family::v6);
  EXPECT_EQ(echo_with_coroutine(Family::v6, sys::SocketMode::raw, sys::SocketKind::raw), "");
}

TEST(IcmpSocket, RawEchoWithCallbacksV4) {
  ICMPKIT_REQUIRE_RAW(Family::v4);
  EXPECT_EQ(echo_with_callbacks(Family::v4, sys::SocketMode::raw, sys::SocketKind::raw), "");
}

TEST(IcmpSocket, RawEchoWithFuturesV6) {
  ICMPKIT_REQUIRE_RAW(Family::v6);
  EXPECT_EQ(echo_with_futures(Family::v6, sys::SocketMode::raw, sys::SocketKind::raw), "");
}

TEST(IcmpSocket, RawEchoSynchronouslyV4) {
  ICMPKIT_REQUIRE_RAW(Family::v4);
  EXPECT_EQ(echo_synchronously(Family::v4, sys::SocketMode::raw), "");
}

// --- private namespace, ping sockets -----------------------------------------

TEST(IcmpSocket, DgramEchoWithCoroutineV4) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS(
      [] { return echo_with_coroutine(Family::v4, sys::SocketMode::dgram, sys::SocketKind::dgram); });
}

TEST(IcmpSocket, DgramEchoWithCoroutineV6) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS(
      [] { return echo_with_coroutine(Family::v6, sys::SocketMode::dgram, sys::SocketKind::dgram); });
}

TEST(IcmpSocket, DgramEchoWithCallbacksV6) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS(
      [] { return echo_with_callbacks(Family::v6, sys::SocketMode::dgram, sys::SocketKind::dgram); });
}

TEST(IcmpSocket, DgramEchoWithFuturesV4) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS(
      [] { return echo_with_futures(Family::v4, sys::SocketMode::dgram, sys::SocketKind::dgram); });
}

TEST(IcmpSocket, AutomaticModePrefersPingSocketWhenGroupAllowed) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS(
      [] { return echo_with_coroutine(Family::v4, sys::SocketMode::automatic, sys::SocketKind::dgram); });
}

TEST(IcmpSocket, DgramEchoSynchronouslyV6) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return echo_synchronously(Family::v6, sys::SocketMode::dgram); });
}

// --- cancellation (private namespace: a ping socket receives nothing unasked,
// where a raw socket on the host would see other programs' replies) ----------

enum class CancelBy { cancel, close, slot_terminal, slot_total, awaitable_or };

std::string receive_is_aborted(Family family, CancelBy how) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, sys::SocketMode::dgram); !why.empty()) return why;
  std::vector<std::byte> buffer(sys::max_datagram_size);
  std::optional<std::error_code> outcome;
  asio::cancellation_signal signal;
  asio::steady_timer trigger(context, 50ms);

  if (how == CancelBy::awaitable_or) {
    using namespace asio::experimental::awaitable_operators;
    asio::co_spawn(
        context,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer timeout(context, 50ms);
          auto which = co_await (socket.async_receive(buffer, asio::use_awaitable) ||
                                 timeout.async_wait(asio::use_awaitable));
          static_assert(std::is_same_v<decltype(which), std::variant<Received, std::monostate>>,
                        "Received must not be flattened by the awaitable operators");
          // The timer won, so the receive was cancelled through its slot.
          outcome = which.index() == 1 ? asio::error::operation_aborted : std::error_code{};
        },
        [&](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            std::fprintf(stderr, "coroutine threw: %s\n", x.what());
            outcome = std::make_error_code(std::errc::state_not_recoverable);
          }
        });
  } else {
    auto handler = [&](std::error_code ec, Received) { outcome = ec; };
    if (how == CancelBy::slot_terminal || how == CancelBy::slot_total) {
      socket.async_receive(buffer, asio::bind_cancellation_slot(signal.slot(), handler));
    } else {
      socket.async_receive(buffer, handler);
    }
    trigger.async_wait([&](std::error_code) {
      switch (how) {
        case CancelBy::cancel: socket.cancel(); break;
        case CancelBy::close: socket.close(); break;
        case CancelBy::slot_terminal: signal.emit(asio::cancellation_type::terminal); break;
        case CancelBy::slot_total: signal.emit(asio::cancellation_type::total); break;
        case CancelBy::awaitable_or: break;
      }
    });
  }
  context.run_for(kReplyLimit);
  if (!outcome) return "receive did not complete";
  if (*outcome != asio::error::operation_aborted) return "completed with " + outcome->message();
  if (how == CancelBy::close) return socket.is_open() ? "still open after close" : "";

  // Nothing was consumed and the socket still works after a cancellation.
  context.restart();
  return run_echo_coroutine(context, socket, family, 17);
}

TEST(IcmpSocketCancel, CancelAbortsPendingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return receive_is_aborted(Family::v4, CancelBy::cancel); });
}

TEST(IcmpSocketCancel, CloseAbortsPendingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return receive_is_aborted(Family::v6, CancelBy::close); });
}

TEST(IcmpSocketCancel, TerminalSlotSignalAbortsPendingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return receive_is_aborted(Family::v4, CancelBy::slot_terminal); });
}

TEST(IcmpSocketCancel, TotalSlotSignalAbortsPendingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return receive_is_aborted(Family::v6, CancelBy::slot_total); });
}

TEST(IcmpSocketCancel, AwaitableOrOperatorCancelsTheLosingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return receive_is_aborted(Family::v4, CancelBy::awaitable_or); });
}

// --- the error queue through the same async receive --------------------------

struct ErrorLab {
  Family family;
  const char* target;    // where the probe goes (rejected by nftables)
  const char* nft_rule;  // installed in the private namespace's input hook
  std::uint8_t type;
  std::uint8_t code;
};

const ErrorLab kRejectV4{Family::v4, "127.0.0.2",
                         "add rule inet ikE in ip daddr 127.0.0.2 icmp type echo-request "
                         "reject with icmp type host-unreachable",
                         wire::icmpv4_type::destination_unreachable, 1};
const ErrorLab kRejectV6{Family::v6, "::1",
                         "add rule inet ikE in ip6 daddr ::1 icmpv6 type echo-request "
                         "reject with icmpv6 type admin-prohibited",
                         wire::icmpv6_type::destination_unreachable, 1};

std::string error_queue_record_is_received(const ErrorLab& lab, sys::SocketMode mode) {
  if (!test::sh("nft add table inet ikE") ||
      !test::sh("nft 'add chain inet ikE in { type filter hook input priority 0; }'") ||
      !test::sh(std::string("nft '") + lab.nft_rule + "'"))
    return "SKIP: nftables reject rule could not be installed";
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, lab.family, mode); !why.empty()) return why;
  const auto target = *wire::IpAddress::parse(lab.target);
  EchoProbe probe(lab.family, 21);
  std::string failure = "no error-queue record";
  asio::steady_timer guard(context, kReplyLimit);
  guard.async_wait([&](std::error_code ec) {
    if (!ec) socket.cancel();
  });
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        co_await socket.async_send_to(probe.bytes(), target, asio::use_awaitable);
        std::vector<std::byte> buffer(sys::max_datagram_size);
        // A raw socket also receives the ICMP error itself as a message; the
        // record from the error queue is what we wait for.
        for (int i = 0; i < 50; ++i) {
          auto received = co_await socket.async_receive(buffer, asio::use_awaitable);
          if (probe.is_reply(received)) {
            failure = "got an echo reply despite the reject rule";
            break;
          }
          const auto* error = as_error(received);
          if (error == nullptr || !probe.is_quoted_by(*error)) continue;
          const auto& record = error->record;
          if (record.offender != target) {
            failure = "offender " + record.offender.to_string();
          } else if (record.icmp_type != lab.type || record.icmp_code != lab.code) {
            failure = "type/code " + std::to_string(record.icmp_type) + "/" + std::to_string(record.icmp_code);
          } else if (record.origin != (lab.family == Family::v4 ? sys::ErrorOrigin::icmp : sys::ErrorOrigin::icmp6)) {
            failure = "origin " + std::to_string(static_cast<int>(record.origin));
          } else if (record.error_number == 0) {
            failure = "no errno";
          } else {
            failure.clear();
          }
          break;
        }
        guard.cancel();
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          failure = std::string("coroutine threw: ") + x.what();
        }
      });
  context.run_for(2 * kReplyLimit);
  return failure;
}

TEST(IcmpSocketErrorQueue, DgramReceivesRejectAsErrorRecordV4) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return error_queue_record_is_received(kRejectV4, sys::SocketMode::dgram); });
}

TEST(IcmpSocketErrorQueue, DgramReceivesRejectAsErrorRecordV6) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return error_queue_record_is_received(kRejectV6, sys::SocketMode::dgram); });
}

TEST(IcmpSocketErrorQueue, RawReceivesRejectAsErrorRecordV4) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return error_queue_record_is_received(kRejectV4, sys::SocketMode::raw); });
}

// A receive that is already waiting must wake for a queued ICMP error (the
// kernel signals it with POLLERR, not POLLIN) as well as for a reply.
std::string pending_receive_wakes(Family family, const char* target, bool expect_error) {
  asio::io_context context;
  icmp_socket socket(context);
  if (auto why = open_socket(socket, family, sys::SocketMode::dgram); !why.empty()) return why;
  EchoProbe probe(family, 31);
  std::vector<std::byte> buffer(sys::max_datagram_size);
  std::string failure = "receive did not complete";
  bool waiting = true;
  socket.async_receive(buffer, [&](std::error_code ec, Received received) {
    waiting = false;
    if (ec) {
      failure = "receive: " + ec.message();
    } else if (expect_error) {
      failure = received.is_error() && probe.is_quoted_by(*received.error()) ? "" : "woke without the record";
    } else {
      failure = probe.is_reply(received) ? "" : "woke without the reply";
    }
  });
  // Send only once the receive is surely parked in the reactor.
  asio::steady_timer later(context, 30ms);
  later.async_wait([&](std::error_code) {
    if (!waiting) {
      failure = "receive completed before anything was sent";
      return;
    }
    std::error_code ec;
    socket.send_to(probe.bytes(), *wire::IpAddress::parse(target), ec);
    if (ec) failure = "send: " + ec.message();
  });
  asio::steady_timer guard(context, kReplyLimit);
  guard.async_wait([&](std::error_code) { socket.cancel(); });
  while (waiting && context.run_one_for(kReplyLimit) != 0) {
  }
  return failure;
}

TEST(IcmpSocketErrorQueue, PendingReceiveWakesForErrorRecord) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    if (!test::sh("nft add table inet ikE") ||
        !test::sh("nft 'add chain inet ikE in { type filter hook input priority 0; }'") ||
        !test::sh(std::string("nft '") + kRejectV4.nft_rule + "'"))
      return std::string("SKIP: nftables reject rule could not be installed");
    return pending_receive_wakes(Family::v4, kRejectV4.target, true);
  });
}

TEST(IcmpSocketErrorQueue, AsyncWaitReadCompletesForErrorRecord) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    if (!test::sh("nft add table inet ikE") ||
        !test::sh("nft 'add chain inet ikE in { type filter hook input priority 0; }'") ||
        !test::sh(std::string("nft '") + kRejectV4.nft_rule + "'"))
      return std::string("SKIP: nftables reject rule could not be installed");
    asio::io_context context;
    icmp_socket socket(context, Family::v4, sys::OpenOptions{.mode = sys::SocketMode::dgram});
    EchoProbe probe(Family::v4, 41);
    std::optional<std::error_code> woke;
    socket.async_wait(icmp_socket::wait_type::wait_read, [&](std::error_code ec) { woke = ec; });
    asio::steady_timer later(context, 30ms);
    later.async_wait([&](std::error_code) {
      if (!woke) socket.send_to(probe.bytes(), *wire::IpAddress::parse(kRejectV4.target));
    });
    asio::steady_timer guard(context, kReplyLimit);
    guard.async_wait([&](std::error_code) { socket.cancel(); });
    while (!woke && context.run_one_for(kReplyLimit) != 0) {
    }
    if (!woke) return std::string("wait did not complete");
    if (*woke) return "wait failed: " + woke->message();
    std::vector<std::byte> buffer(sys::max_datagram_size);
    auto received = receive_now(socket.ref(), buffer);
    if (!received) return "nothing to read after the wake: " + received.error().message();
    if (!received->is_error() || !probe.is_quoted_by(*received->error())) return std::string("not the record");
    return std::string();
  });
}

TEST(IcmpSocket, PendingReceiveWakesForReply) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] { return pending_receive_wakes(Family::v6, "::1", false); });
}

TEST(IcmpSocketCancel, DestroyingSocketAbortsPendingReceive) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    asio::io_context context;
    auto socket = std::make_unique<icmp_socket>(context, Family::v4, sys::OpenOptions{.mode = sys::SocketMode::dgram});
    std::vector<std::byte> buffer(sys::max_datagram_size);
    std::optional<std::error_code> outcome;
    socket->async_receive(buffer, [&](std::error_code ec, Received) { outcome = ec; });
    asio::steady_timer later(context, 20ms);
    later.async_wait([&](std::error_code) { socket.reset(); });
    context.run_for(kReplyLimit);
    if (!outcome) return std::string("receive did not complete");
    if (*outcome != asio::error::operation_aborted) return "completed with " + outcome->message();
    return std::string();
  });
}

// A datagram too short for an ICMP header is consumed, counted and skipped;
// the next good message is returned. Only ICMPv6 can produce one for real:
// Linux hands raw v6 sockets anything with the 4-byte ICMPv6 header (raw v4
// sockets need all 8 bytes), before icmpv6_rcv drops it as too short.
TEST(IcmpSocket, MalformedDatagramIsSkippedAndCounted) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    asio::io_context context;
    sys::OpenOptions options{.mode = sys::SocketMode::raw};
    options.install_kernel_filter = false;
    std::error_code ec;
    icmp_socket listener(context);
    listener.open(Family::v6, options, ec);
    if (ec) return "SKIP: raw socket refused: " + ec.message();
    icmp_socket sender(context, Family::v6, sys::OpenOptions{.mode = sys::SocketMode::raw});
    const std::array<std::byte, 4> runt{std::byte{128}, std::byte{0}, std::byte{0}, std::byte{0}};
    sender.send_to(runt, loopback(Family::v6));
    EchoProbe probe(Family::v6, 51);
    sender.send_to(probe.bytes(), loopback(Family::v6));
    std::vector<std::byte> buffer(sys::max_datagram_size);
    std::string failure = "no echo seen";
    for (int i = 0; i < 20; ++i) {
      auto received = listener.receive(buffer, ec);
      if (ec) return "receive: " + ec.message();
      const auto* message = received.message();
      if (message == nullptr) continue;
      if (message->icmp.bytes.size() < wire::icmp_header_size) return std::string("runt returned as a message");
      auto echo = wire::decode_echo(message->icmp);
      if (echo && echo->seq == probe.seq) {  // the request (or its reply) after the runt
        failure.clear();
        break;
      }
    }
    if (!failure.empty()) return failure;
    if (listener.receive_stats().malformed != 1)
      return "malformed count " + std::to_string(listener.receive_stats().malformed);
    return std::string();
  });
}

TEST(IcmpSocket, PendingReceiveFollowsTheSocketWhenMoved) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
    asio::io_context context;
    icmp_socket first(context, Family::v4, sys::OpenOptions{.mode = sys::SocketMode::dgram});
    EchoProbe probe(Family::v4, 61);
    std::vector<std::byte> buffer(sys::max_datagram_size);
    std::string failure = "receive did not complete";
    first.async_receive(buffer, [&](std::error_code ec, Received received) {
      failure = ec ? "receive: " + ec.message() : (probe.is_reply(received) ? "" : "not the reply");
    });
    icmp_socket second(std::move(first));
    second.send_to(probe.bytes(), loopback(Family::v4));
    asio::steady_timer guard(context, kReplyLimit);
    guard.async_wait([&](std::error_code e) {
      if (!e) second.cancel();
    });
    while (failure == "receive did not complete" && context.run_one_for(kReplyLimit) != 0) {
    }
    return failure;
  });
}

// --- no privileges needed ----------------------------------------------------

TEST(IcmpSocket, OperationsOnClosedSocketFailWithoutThrowingInErrorCodeForm) {
  asio::io_context context;
  icmp_socket socket(context.get_executor());
  EXPECT_FALSE(socket.is_open());
  std::vector<std::byte> buffer(64);
  std::error_code ec;
  (void)socket.receive(buffer, ec);
  EXPECT_TRUE(ec);
  ec.clear();
  EchoProbe probe(Family::v4, 1);
  EXPECT_EQ(socket.send_to(probe.bytes(), loopback(Family::v4), ec), 0U);
  EXPECT_TRUE(ec);
  EXPECT_THROW((void)socket.receive(buffer), std::system_error);
}

TEST(IcmpSocket, WorksWithAConcreteExecutorType) {
  asio::io_context context;
  using Socket = basic_icmp_socket<asio::io_context::executor_type>;
  static_assert(std::is_same_v<icmp_socket::rebind_executor<asio::io_context::executor_type>::other, Socket>);
  Socket socket(context);
  EXPECT_TRUE(socket.get_executor() == context.get_executor());
  std::vector<std::byte> buffer(64);
  std::optional<std::error_code> outcome;
  socket.async_receive(buffer, [&](std::error_code ec, Received) { outcome = ec; });
  context.run_for(1s);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(*outcome == std::errc::bad_file_descriptor) << outcome->message();
}

TEST(IcmpSocket, AsyncReceiveOnClosedSocketCompletesWithError) {
  asio::io_context context;
  icmp_socket socket(context);
  std::vector<std::byte> buffer(64);
  std::optional<std::error_code> outcome;
  socket.async_receive(buffer, [&](std::error_code ec, Received) { outcome = ec; });
  EXPECT_FALSE(outcome) << "handler ran inside the initiating call";
  context.run_for(1s);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(*outcome);
}

TEST(IcmpSocket, MoveKeepsTheOpenSocketAndLeavesSourceClosed) {
  if (!can_open_raw(Family::v4)) {
    ICMPKIT_RUN_IN_PRIVATE_NETNS([] {
      asio::io_context context;
      icmp_socket a(context, Family::v4, sys::OpenOptions{.mode = sys::SocketMode::dgram});
      const int fd = a.native_handle();
      icmp_socket b(std::move(a));
      if (a.is_open() || !b.is_open() || b.native_handle() != fd) return std::string("move broke ownership");
      return std::string();
    });
    return;
  }
  asio::io_context context;
  icmp_socket a(context, Family::v4, sys::OpenOptions{.mode = sys::SocketMode::raw});
  const int fd = a.native_handle();
  icmp_socket b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.native_handle(), fd);
  icmp_socket c(context);
  c = std::move(b);
  EXPECT_EQ(c.native_handle(), fd);
  EXPECT_EQ(c.kind(), sys::SocketKind::raw);
}

}  // namespace
}  // namespace icmpkit::net

#endif  // ASIO_HAS_CO_AWAIT
