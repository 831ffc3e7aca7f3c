// File: icmpkit/net/tracer.hpp
//
// net::Tracer: traceroute for Asio. One Tracer drives one
// engine::TraceEngine (probe building, matching, waits, MDA) over sockets it
// opens lazily per family and method, so any number of traces to different
// destinations run concurrently over the same few sockets:
// - ICMP echo probes: a ping socket (unprivileged; ICMP errors come from the
//   IP_RECVERR error queue) or a raw ICMP socket (CAP_NET_RAW; errors are
//   read as ICMP messages quoting the probe). RFC 792, RFC 4443.
// - UDP probes: an ordinary UDP socket (unprivileged) with the TTL set before
//   each send and the ICMP errors read from its error queue.
// - TCP SYN probes: a raw TCP socket (CAP_NET_RAW) sends the SYNs from a
//   local port the Tracer holds and reads the SYN-ACK / RST answers; a raw
//   ICMP socket reads the errors. Without CAP_NET_RAW each probe is instead
//   a non-blocking TCP connect() with the probe's TTL (sys::TcpConnectProbe,
//   traceroute -M tcpconn): routers' errors come from that socket's error
//   queue, a completed connect or a RST is the destination. The kernel picks
//   each probe's source port (the Paris flow is not kept) and may retransmit
//   the SYN before the probe's wait runs out; uses_connect_fallback() says so.
//   Multipath and MTU mode need the raw socket (errc::permission_denied).
// A send that fails once because of an earlier probe's queued ICMP error is
// retried (sys::SendOutcome) and the error queue drained, so no hop is lost;
// a send that really fails is handed back to the engine, which resends it or
// records the failure as the probe's outcome.
//
// Thread safety: a Tracer is not thread safe: use it from its executor's
// thread (or a strand). Callbacks run there.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/execution_context.hpp>

#include "icmpkit/engine/trace_types.hpp"
#include "icmpkit/net/pinger_completion.hpp"
#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::net {

/// How a Tracer opens its sockets.
struct TracerOptions {
  /// ICMP probes: automatic (ping socket, else raw), dgram or raw.
  /// UDP probes always use an ordinary UDP socket (no privilege needed).
  sys::SocketMode icmp_mode = sys::SocketMode::automatic;
  /// Source addresses to bind to (traceroute -s); optional.
  std::optional<wire::IpAddress> source_v4;
  std::optional<wire::IpAddress> source_v6;
  /// SO_BINDTODEVICE (traceroute -i); empty for none.
  std::string interface_name;
};

/// What one trace does: the engine's TraceConfig, whose `destination`,
/// `source`, `source_port` and `echo_id` the Tracer fills in from its sockets.
/// A `path_mtu` of 0 starts MTU discovery at the MTU of the route (sys::route_mtu).
using TraceOptions = engine::TraceConfig;

/// Called for each completed hop of a trace, in TTL order, on the Tracer's executor.
using HopCallback = std::function<void(const engine::HopEvent&)>;

/// Runs traceroutes. See the file comment.
class Tracer {
 public:
  using executor_type = asio::any_io_executor;

  explicit Tracer(const executor_type& executor, const TracerOptions& options = {});
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit Tracer(ExecutionContext& context, const TracerOptions& options = {})
      : Tracer(executor_type(context.get_executor()), options) {}
  /// Cancels every trace (they complete with operation_aborted) and closes the sockets.
  ~Tracer();
  Tracer(Tracer&&) noexcept;
  Tracer& operator=(Tracer&&) noexcept;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  executor_type get_executor() const noexcept;

  /// Traces the route to `destination`, calling `on_hop` for each hop as it
  /// completes. Completion: void(std::error_code, engine::TraceResult).
  /// The error_code is set only when the trace could not run:
  /// errc::permission_denied / OS errors when no socket could be opened,
  /// (tcp_syn in multipath or MTU mode without CAP_NET_RAW included),
  /// errc::invalid_argument for options the engine refuses, asio::error::operation_aborted
  /// when the Tracer is destroyed. Cancelling through the handler's
  /// cancellation slot ends the trace with StopReason::cancelled (no error).
  template <class CompletionToken>
  auto async_trace(const wire::IpAddress& destination, const TraceOptions& options, HopCallback on_hop,
                   CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, engine::TraceResult)>(
        [this](auto handler, const wire::IpAddress& target, const TraceOptions& opts, HopCallback callback) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          auto completion = detail::make_completion<engine::TraceResult>(std::move(handler), get_executor());
          const engine::TraceId id = start_trace(target, opts, std::move(callback), std::move(completion));
          if (slot.is_connected() && id != 0) {
            slot.assign([impl = std::weak_ptr<Impl>(impl_), id](asio::cancellation_type) { cancel_trace(impl, id); });
          }
        },
        token, destination, options, std::move(on_hop));
  }

  /// Cancels every running trace (each completes with StopReason::cancelled).
  void cancel_all();

  /// The ICMP socket kind in use for `family`, once opened.
  std::optional<sys::SocketKind> icmp_socket_kind(wire::Family family) const noexcept;

  /// Opens the socket `method` needs in `family` now instead of at the first trace.
  /// Errors: as async_trace.
  std::error_code open(wire::Family family, engine::ProbeMethod method);

  /// True once tcp_syn probes in `family` go out as TCP connect() probes
  /// because the raw TCP socket could not be opened (no CAP_NET_RAW): set by
  /// open() or the first tcp_syn trace of that family.
  bool uses_connect_fallback(wire::Family family) const noexcept;

 private:
  struct Impl;
  engine::TraceId start_trace(const wire::IpAddress& destination, const TraceOptions& options, HopCallback on_hop,
                              std::unique_ptr<detail::Completion<engine::TraceResult>> completion);
  static void cancel_trace(const std::weak_ptr<Impl>& impl, engine::TraceId id);

  std::shared_ptr<Impl> impl_;
};

/// Synchronous convenience: runs one trace on a private io_context and returns
/// its result. Errors: as Tracer::async_trace.
Result<engine::TraceResult> trace(const wire::IpAddress& destination, const TraceOptions& options,
                                  const HopCallback& on_hop = {}, const TracerOptions& tracer_options = {});

}  // namespace icmpkit::net
