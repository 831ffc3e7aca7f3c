// File: icmpkit/net/pinger.hpp
//
// net::Pinger: ICMP echo (RFC 792) and ICMPv6 echo (RFC 4443 §4) for Asio.
// One Pinger drives one engine::PingEngine and one icmp socket per family
// (opened lazily on first use: ping socket first, raw socket as fallback, or
// the kind asked for) with one steady_timer, so thousands of concurrent
// requests cost one socket and no thread each. ICMP errors caused by probes
// (unreachable, time exceeded, packet too big, parameter problem) come from
// the error queue on ping sockets and from quoted datagrams on raw sockets;
// either way they end the probe as engine::IcmpError. A send the kernel
// refuses ends the probe as engine::SendError: no probe is lost silently.
//
// Async operations take any Asio completion token (callbacks,
// asio::use_awaitable, asio::use_future, asio::deferred) with signature
// void(std::error_code, T), and support per-operation cancellation through
// the handler's cancellation slot (any type): a cancelled ping completes with
// its outcomes so far, the rest as Cancelled, and PingResult::cancelled set.
//
// Thread safety: a Pinger is not thread safe: call it from its executor's
// thread (or a strand as its executor). Callbacks passed to it run there.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/execution_context.hpp>
#include <asio/ip/address.hpp>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/engine/ping_types.hpp"
#include "icmpkit/net/address.hpp"
#include "icmpkit/net/ping_result.hpp"
#include "icmpkit/net/ping_stream.hpp"
#include "icmpkit/net/pinger_completion.hpp"
#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::net {

/// How a Pinger opens its sockets and paces itself.
struct PingerOptions {
  sys::SocketMode mode = sys::SocketMode::automatic;
  /// Global send-rate limit over all requests of a family, probes per second
  /// (0 = unlimited), and the burst allowed.
  double max_rate = 0.0;
  std::uint32_t burst = 1;
  /// Ask the kernel for receive timestamps (RTT from kernel time when given).
  bool kernel_timestamps = true;
  /// Ask the kernel for transmit timestamps (SO_TIMESTAMPING, software,
  /// taken as the packet enters the device's queueing discipline, so a wait
  /// in a local qdisc counts as it does for ping(8)), so RTTs run from the
  /// kernel's send time rather than from the time read around the send call,
  /// which on loopback (replies made inside the call) or in a batch of sends
  /// is only an estimate. Each probe then costs one error-queue record and
  /// one more system call to read it, so it is off unless asked for; a
  /// kernel that refuses the option leaves the estimate in place.
  bool transmit_timestamps = false;
  /// Ask the kernel for each reply's TTL / hop limit (engine::Reply::ttl).
  /// A caller that never shows it (a sweep) saves the kernel a control
  /// message on every reply; Reply::ttl is then empty (except on a raw IPv4
  /// socket, which reads it from the IP header the kernel delivers anyway).
  bool reply_ttl = true;
  /// Passed to the engines (how long answered/timed-out probes are remembered).
  std::chrono::nanoseconds linger = std::chrono::seconds(10);
  /// Source addresses to bind to (optional).
  std::optional<wire::IpAddress> source_v4;
  std::optional<wire::IpAddress> source_v6;
  /// Receive buffer asked for each socket (sys::set_receive_buffer:
  /// SO_RCVBUFFORCE, else SO_RCVBUF, which the kernel clamps to
  /// net.core.rmem_max). Replies beyond it are dropped by the kernel, so a
  /// fast sweep needs room; 0 keeps the kernel's default.
  std::size_t receive_buffer = std::size_t{32} << 20;
  /// Probes in flight per socket at most. 0 (automatic): as many replies as
  /// the receive buffer obtained holds, so the send side never overruns it
  /// into loss. no_in_flight_cap: no cap (the caller paces with max_rate).
  std::size_t max_in_flight = 0;
  static constexpr std::size_t no_in_flight_cap = static_cast<std::size_t>(-1);
};

/// What a Pinger's socket of one family got and saw (zeroes before it opens).
struct SocketStats {
  /// Receive buffer the kernel granted (what it reports: twice the request).
  std::size_t receive_buffer = 0;
  /// The probes-in-flight cap in force (0: none).
  std::size_t in_flight_cap = 0;
  /// Datagrams the kernel dropped because the receive buffer was full
  /// (SO_MEMINFO, read when asked): replies lost without any probe's fault.
  std::uint64_t kernel_drops = 0;
};

/// Called for each probe event of a request while it runs (outcomes,
/// late replies, duplicates), on the Pinger's executor.
using ProbeCallback = std::function<void(const engine::ProbeEvent&)>;
/// Called once per target of a sweep as soon as that target completes.
using SweepCallback = std::function<void(const PingResult&)>;

/// Pings many targets over one socket per family. See the file comment.
class Pinger {
 public:
  using executor_type = asio::any_io_executor;

  explicit Pinger(const executor_type& executor, const PingerOptions& options = {});
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit Pinger(ExecutionContext& context, const PingerOptions& options = {})
      : Pinger(executor_type(context.get_executor()), options) {}
  /// Cancels every request (they complete with operation_aborted) and closes the sockets.
  ~Pinger();
  Pinger(Pinger&&) noexcept;
  Pinger& operator=(Pinger&&) noexcept;
  Pinger(const Pinger&) = delete;
  Pinger& operator=(const Pinger&) = delete;

  executor_type get_executor() const noexcept;

  /// Pings `address` per `options` (count probes every interval, each waiting
  /// up to timeout). Completion: void(std::error_code, PingResult). The
  /// error_code is set only when the request could not run: the socket could
  /// not be opened (errc::permission_denied, OS errors), invalid options
  /// (errc::invalid_argument), asio::error::operation_aborted when the Pinger
  /// was destroyed or cancel_all() called. Per-probe failures are outcomes.
  template <class CompletionToken>
  auto async_ping(const wire::IpAddress& address, const PingOptions& options, CompletionToken&& token) {
    return async_ping(address, options, ProbeCallback{}, std::forward<CompletionToken>(token));
  }
  /// Same, calling `on_probe` for each probe event as it happens.
  template <class CompletionToken>
  auto async_ping(const wire::IpAddress& address, const PingOptions& options, ProbeCallback on_probe,
                  CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, PingResult)>(
        [this](auto handler, const wire::IpAddress& target, const PingOptions& opts, ProbeCallback callback) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto completion = detail::make_completion<PingResult>(std::move(handler), get_executor());
          auto id = start_ping(target, opts, std::move(callback), std::move(completion));
          if (slot.is_connected() && id != 0) {
            slot.assign([impl = std::weak_ptr<Impl>(impl_), id](asio::cancellation_type) {
              cancel_request(impl, id);
            });
          }
        },
        token, address, options, std::move(on_probe));
  }
  template <class CompletionToken>
  auto async_ping(const asio::ip::address& address, const PingOptions& options, CompletionToken&& token) {
    return async_ping(from_asio(address), options, std::forward<CompletionToken>(token));
  }

  /// Pings every address (both families may be mixed), streaming each
  /// target's PingResult through `on_result` as it completes. Pacing comes
  /// from options.interval per target and PingerOptions::max_rate overall.
  /// Completion: void(std::error_code, SweepSummary) once every target is done.
  /// Errors: as async_ping (a socket that cannot be opened fails the sweep).
  template <class CompletionToken>
  auto async_sweep(std::vector<wire::IpAddress> addresses, const PingOptions& options, SweepCallback on_result,
                   CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, SweepSummary)>(
        [this](auto handler, std::vector<wire::IpAddress> targets, const PingOptions& opts,
               SweepCallback callback) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto completion = detail::make_completion<SweepSummary>(std::move(handler), get_executor());
          auto id = start_sweep(std::move(targets), opts, std::move(callback), std::move(completion));
          if (slot.is_connected() && id != 0) {
            slot.assign([impl = std::weak_ptr<Impl>(impl_), id](asio::cancellation_type) {
              cancel_request(impl, id);
            });
          }
        },
        token, std::move(addresses), options, std::move(on_result));
  }

  /// Pings `address` per `options` as async_ping does, but every event of
  /// it, the end included, goes to `stream` (with `tag`) directly from the
  /// Pinger's handlers: nothing is posted or allocated per target. `stream`
  /// must outlive the target. cancel_all() ends it as cancelled. Errors
  /// (returned; `stream` is then never called for it): as async_ping's.
  Result<void> stream_ping(const wire::IpAddress& address, const PingOptions& options, PingStream& stream,
                           std::uint64_t tag);

  /// The DHCP server's check (RFC 2131 §4.4.1 "SHOULD probe ... with an ICMP
  /// Echo Request"): sends up to two echo requests within `timeout` and
  /// completes with true at the first echo reply, false otherwise (an ICMP
  /// error or silence). Completion: void(std::error_code, bool).
  template <class CompletionToken>
  auto async_is_address_in_use(const wire::IpAddress& address, std::chrono::nanoseconds timeout,
                               CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, bool)>(
        [this](auto handler, const wire::IpAddress& target, std::chrono::nanoseconds wait) {
          auto completion = detail::make_completion<bool>(std::move(handler), get_executor());
          start_in_use_check(target, wait, std::move(completion));
        },
        token, address, timeout);
  }

  /// Cancels every running request and sweep (they complete with their
  /// outcomes so far and `cancelled` set).
  void cancel_all();

  /// The socket kind in use for `family`, once it has been opened.
  std::optional<sys::SocketKind> socket_kind(wire::Family family) const noexcept;
  /// Opens the socket of `family` now instead of at the first request.
  /// Errors: those of sys::IcmpSocket::open.
  std::error_code open(wire::Family family);
  /// Statistics over everything this Pinger sent in `family`.
  engine::PingStatistics total_stats(wire::Family family) const;
  /// Counters of the family's engine (foreign replies, stale replies ...).
  engine::EngineCounters engine_counters(wire::Family family) const;
  /// The family's socket: buffer obtained, in-flight cap, kernel drops.
  SocketStats socket_stats(wire::Family family) const;
  /// Requests of `family` with no probe in flight right now: started and not
  /// sent yet, or waiting between probes. A caller that feeds in targets as
  /// they are sent (PingStream::on_probes_sent) keeps this, not the number
  /// running, under its window, so that targets waiting for a reply or a
  /// timeout (silent hosts) do not hold the next ones back.
  std::size_t unsent_requests(wire::Family family) const;

 private:
  struct Impl;
  std::uint64_t start_ping(const wire::IpAddress& address, const PingOptions& options, ProbeCallback on_probe,
                           std::unique_ptr<detail::Completion<PingResult>> completion);
  std::uint64_t start_sweep(std::vector<wire::IpAddress> addresses, const PingOptions& options,
                            SweepCallback on_result, std::unique_ptr<detail::Completion<SweepSummary>> completion);
  void start_in_use_check(const wire::IpAddress& address, std::chrono::nanoseconds timeout,
                          std::unique_ptr<detail::Completion<bool>> completion);
  static void cancel_request(const std::weak_ptr<Impl>& impl, std::uint64_t id);

  std::shared_ptr<Impl> impl_;
};

}  // namespace icmpkit::net
