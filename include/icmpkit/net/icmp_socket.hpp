// File: icmpkit/net/icmp_socket.hpp
//
// basic_icmp_socket: an ICMP (RFC 792) or ICMPv6 (RFC 4443) socket for Asio.
// It opens like sys::IcmpSocket (ping socket first, raw socket as fallback,
// or one kind on request), and offers Asio's shapes: synchronous calls in
// throwing / std::error_code& pairs, and async_send_to / async_receive taking
// any completion token (callbacks, asio::use_awaitable, asio::use_future,
// asio::deferred ...) with completion signature void(std::error_code, T) and
// per-operation cancellation (asio::bind_cancellation_slot).
//
// Why a posix::stream_descriptor and not basic_raw_socket<custom protocol>:
// every read goes through recvmsg with control messages and MSG_ERRQUEUE
// (sys/receive.hpp), which Asio's socket operations cannot express, so the
// only Asio service needed is "tell me when the descriptor is readable or
// has an error" - async_wait - which a descriptor provides without a fake
// protocol class (whose open()/close() would fight sys::IcmpSocket for
// ownership of the descriptor). The descriptor never owns the file
// descriptor: it is released, never closed, and sys::IcmpSocket closes it.
//
// Readiness: Asio's reactor reports EPOLLERR/POLLERR to a wait_read wait,
// and the kernel signals POLLERR while the error queue is non-empty, so one
// wait_read wakes a receive for replies and for queued ICMP errors alike.
#pragma once

#include <cstddef>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/execution_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/posix/basic_stream_descriptor.hpp>
#include <asio/post.hpp>

#include "icmpkit/net/address.hpp"
#include "icmpkit/net/received.hpp"
#include "icmpkit/net/socket_ops.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::net {

namespace detail {

// Heap-held so that pending operations, which point at it, survive a move of
// the socket object.
template <class Executor>
struct IcmpSocketState {
  explicit IcmpSocketState(const Executor& executor) : descriptor(executor) {}
  ~IcmpSocketState() { detach(); }
  IcmpSocketState(const IcmpSocketState&) = delete;
  IcmpSocketState& operator=(const IcmpSocketState&) = delete;

  // Deregisters from the reactor (pending waits complete with
  // operation_aborted) without closing: the descriptor belongs to `socket`.
  void detach() noexcept {
    if (descriptor.is_open()) {
      std::error_code ignored;
      descriptor.cancel(ignored);
      (void)descriptor.release();
    }
  }

  sys::IcmpSocket socket;
  asio::posix::basic_stream_descriptor<Executor> descriptor;
  ReceiveStats stats;
};

enum class OpStep : unsigned char { start, waiting, finishing };

// One composed operation for both directions: try the non-blocking step; if
// it would block, wait for readiness and try again. A result available at
// once is delivered through a post so no handler runs inside the initiating
// call (Asio's rule; Asio 1.22 has no immediate-completion executor).
template <class Executor, class Step, class Value>
class RetryOp {
 public:
  RetryOp(IcmpSocketState<Executor>& state, asio::posix::descriptor_base::wait_type wait, Step step)
      : state_(&state), wait_(wait), step_(std::move(step)) {}

  template <class Self>
  void operator()(Self& self, std::error_code ec = {}) {
    switch (step_state_) {
      case OpStep::finishing:
        self.complete(ec_, std::move(value_));
        return;
      case OpStep::start:
        // Nothing is consumed until the step succeeds, so any cancellation
        // type leaves the socket as if the operation never started.
        self.reset_cancellation_state(asio::enable_total_cancellation());
        break;
      case OpStep::waiting:
        if (ec) {  // operation_aborted (cancel, close, cancellation slot) or a reactor error
          self.complete(ec, Value{});
          return;
        }
        // Through the state: Asio 1.22 makes Self::cancelled() protected
        // when the handler has no cancellation slot.
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
          self.complete(asio::error::operation_aborted, Value{});
          return;
        }
        break;
    }
    auto result = step_(*state_);
    if (!result && is_would_block(result.error())) {
      step_state_ = OpStep::waiting;
      state_->descriptor.async_wait(wait_, std::move(self));
      return;
    }
    if (result) {
      value_ = std::move(*result);
    } else {
      ec_ = result.error();
    }
    if (step_state_ == OpStep::start) {
      step_state_ = OpStep::finishing;
      auto executor = state_->descriptor.get_executor();
      asio::post(executor, std::move(self));
      return;
    }
    self.complete(ec_, std::move(value_));
  }

 private:
  IcmpSocketState<Executor>* state_;
  asio::posix::descriptor_base::wait_type wait_;
  Step step_;
  OpStep step_state_ = OpStep::start;
  std::error_code ec_;
  Value value_{};
};

}  // namespace detail

/// An ICMP or ICMPv6 socket driven by an Asio executor.
///
/// Thread safety: distinct objects are safe; a shared object is not (as with
/// Asio sockets, use a strand). At most one receive (sync or async) and one
/// send should be outstanding at a time. The buffer given to a receive must
/// stay valid until it completes; the views in the result point into it.
template <class Executor = asio::any_io_executor>
class basic_icmp_socket {
 public:
  using executor_type = Executor;
  using native_handle_type = int;

  /// Rebinds the socket type to another executor.
  template <class Executor1>
  struct rebind_executor {
    using other = basic_icmp_socket<Executor1>;
  };

  /// A closed socket using `executor` for its asynchronous operations.
  explicit basic_icmp_socket(const executor_type& executor)
      : state_(std::make_unique<State>(executor)) {}

  /// A closed socket using `context`'s executor.
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit basic_icmp_socket(ExecutionContext& context)
      : basic_icmp_socket(executor_type(context.get_executor())) {}

  /// Opens at once (see open()). Throws std::system_error.
  basic_icmp_socket(const executor_type& executor, wire::Family family,
                    const sys::OpenOptions& options = {})
      : basic_icmp_socket(executor) {
    open(family, options);
  }

  /// Opens at once (see open()). Throws std::system_error.
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  basic_icmp_socket(ExecutionContext& context, wire::Family family, const sys::OpenOptions& options = {})
      : basic_icmp_socket(executor_type(context.get_executor()), family, options) {}

  /// Moves the socket; pending operations stay attached to it. The
  /// moved-from object is closed, as if constructed from its executor.
  basic_icmp_socket(basic_icmp_socket&& other)
      : state_(std::make_unique<State>(other.state_->descriptor.get_executor())) {
    std::swap(state_, other.state_);
  }
  basic_icmp_socket& operator=(basic_icmp_socket&& other) {
    if (this != &other) {
      auto fresh = std::make_unique<State>(other.state_->descriptor.get_executor());
      state_ = std::exchange(other.state_, std::move(fresh));
    }
    return *this;
  }
  basic_icmp_socket(const basic_icmp_socket&) = delete;
  basic_icmp_socket& operator=(const basic_icmp_socket&) = delete;
  /// Closes; pending operations complete with asio::error::operation_aborted.
  ~basic_icmp_socket() = default;

  executor_type get_executor() const noexcept { return state_->descriptor.get_executor(); }

  /// Opens an ICMP (v4) or ICMPv6 (v6) socket of `options.mode` (automatic:
  /// ping socket, else raw; dgram; raw). O_NONBLOCK is always set.
  /// Errors: those of sys::IcmpSocket::open (errc::permission_denied when
  /// neither kind may be opened; OS errors); asio errors from registration.
  void open(wire::Family family, const sys::OpenOptions& options = {}) {
    std::error_code ec;
    open(family, options, ec);
    throw_if(ec, "icmp_socket::open");
  }
  void open(wire::Family family, const sys::OpenOptions& options, std::error_code& ec) {
    auto opened = open_nonblocking(family, options);
    if (!opened) {
      ec = opened.error();
      return;
    }
    assign(std::move(*opened), ec);
  }

  /// Takes over an already open sys socket (it must be non-blocking).
  /// Errors: asio::error::already_open; asio errors from registration.
  void assign(sys::IcmpSocket&& socket, std::error_code& ec) {
    if (is_open()) {
      ec = asio::error::already_open;
      return;
    }
    state_->descriptor.assign(socket.native_handle(), ec);
    if (!ec) state_->socket = std::move(socket);
  }
  void assign(sys::IcmpSocket&& socket) {
    std::error_code ec;
    assign(std::move(socket), ec);
    throw_if(ec, "icmp_socket::assign");
  }

  bool is_open() const noexcept { return state_->socket.is_open(); }

  /// Closes the socket; pending operations complete with operation_aborted.
  void close() noexcept {
    state_->detach();
    state_->socket.close();
  }
  void close(std::error_code& ec) noexcept {
    close();
    ec.clear();
  }

  /// Takes the open socket out of the reactor (pending operations complete
  /// with operation_aborted) for a stretch of non-blocking work: registered,
  /// the kernel wakes the reactor's epoll entry for every datagram queued
  /// and every send completed, which costs a sweep's burst a few percent.
  /// Asynchronous operations and the blocking send_to/receive need
  /// resume_readiness() first.
  void suspend_readiness() noexcept { state_->detach(); }
  /// Puts a suspended socket back into the reactor (nothing when it is not
  /// suspended). Errors: asio errors from registration.
  void resume_readiness(std::error_code& ec) {
    ec.clear();
    if (readiness_suspended()) state_->descriptor.assign(native_handle(), ec);
  }
  bool readiness_suspended() const noexcept { return is_open() && !state_->descriptor.is_open(); }

  /// Cancels pending asynchronous operations (operation_aborted).
  /// Errors: asio::error::bad_descriptor when not open.
  void cancel() {
    std::error_code ec;
    cancel(ec);
    throw_if(ec, "icmp_socket::cancel");
  }
  void cancel(std::error_code& ec) { state_->descriptor.cancel(ec); }

  /// The underlying sys socket: options (sys/options.hpp), echo identifier,
  /// kernel duties, why an automatic open fell back to raw.
  sys::IcmpSocket& sys_socket() noexcept { return state_->socket; }
  const sys::IcmpSocket& sys_socket() const noexcept { return state_->socket; }
  sys::SocketRef ref() const noexcept { return state_->socket.ref(); }
  wire::Family family() const noexcept { return state_->socket.family(); }
  /// The kind actually opened (dgram = ping socket, or raw).
  sys::SocketKind kind() const noexcept { return state_->socket.kind(); }
  native_handle_type native_handle() const noexcept { return state_->socket.native_handle(); }
  /// What receives consumed without returning (malformed datagrams ...).
  const ReceiveStats& receive_stats() const noexcept { return state_->stats; }

  /// Sends a complete ICMP message (see wire::encode_echo) to `destination`,
  /// waiting while the send buffer is full. Returns the bytes sent.
  /// Errors: those of send_now() (socket_ops.hpp); asio::error::bad_descriptor.
  std::size_t send_to(ConstBytes icmp, const wire::IpAddress& destination) {
    std::error_code ec;
    auto sent = send_to(icmp, destination, ec);
    throw_if(ec, "icmp_socket::send_to");
    return sent;
  }
  std::size_t send_to(ConstBytes icmp, const wire::IpAddress& destination, std::error_code& ec) {
    for (;;) {
      auto sent = send_now(ref(), icmp, destination);
      if (sent) {
        ec.clear();
        return *sent;
      }
      if (!is_would_block(sent.error())) {
        ec = sent.error();
        return 0;
      }
      state_->descriptor.wait(asio::posix::descriptor_base::wait_write, ec);
      if (ec) return 0;
    }
  }
  std::size_t send_to(ConstBytes icmp, const asio::ip::address& destination) {
    return send_to(icmp, from_asio(destination));
  }
  std::size_t send_to(ConstBytes icmp, const asio::ip::address& destination, std::error_code& ec) {
    return send_to(icmp, from_asio(destination), ec);
  }

  /// Waits for and returns one message or error-queue record (see
  /// receive_now() in socket_ops.hpp). Views in the result point into `buffer`,
  /// which should hold sys::max_datagram_size bytes (a raw IPv4 socket also
  /// receives the IP header).
  /// Errors: OS errors from recvmsg; asio::error::bad_descriptor.
  Received receive(MutableBytes buffer) {
    std::error_code ec;
    auto received = receive(buffer, ec);
    throw_if(ec, "icmp_socket::receive");
    return received;
  }
  Received receive(MutableBytes buffer, std::error_code& ec) {
    for (;;) {
      auto received = receive_now(ref(), buffer, &state_->stats);
      if (received) {
        ec.clear();
        return std::move(*received);
      }
      if (!is_would_block(received.error())) {
        ec = received.error();
        return {};
      }
      // wait_read also returns on POLLERR: a queued ICMP error.
      state_->descriptor.wait(asio::posix::descriptor_base::wait_read, ec);
      if (ec) return {};
    }
  }

  /// Asynchronously sends a complete ICMP message. `icmp` must stay valid
  /// until completion. Completion: void(std::error_code, std::size_t bytes).
  /// Errors: as send_to(); asio::error::operation_aborted when cancelled
  /// (cancel(), close(), or the handler's cancellation slot, any type).
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_send_to(ConstBytes icmp, const wire::IpAddress& destination,
                     CompletionToken&& token = asio::default_completion_token_t<executor_type>{}) {
    auto step = [icmp, destination](State& state) { return send_now(state.socket.ref(), icmp, destination); };
    using Op = detail::RetryOp<Executor, decltype(step), std::size_t>;
    return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(
        Op(*state_, asio::posix::descriptor_base::wait_write, std::move(step)), token, state_->descriptor);
  }
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_send_to(ConstBytes icmp, const asio::ip::address& destination,
                     CompletionToken&& token = asio::default_completion_token_t<executor_type>{}) {
    return async_send_to(icmp, from_asio(destination), std::forward<CompletionToken>(token));
  }

  /// Asynchronously receives one message or error-queue record. `buffer`
  /// must stay valid until completion; the result's views point into it.
  /// Completion: void(std::error_code, Received).
  /// Errors: OS errors from recvmsg; asio::error::operation_aborted when
  /// cancelled (cancel(), close(), or the handler's cancellation slot, any
  /// type; nothing is consumed from the socket then).
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_receive(MutableBytes buffer,
                     CompletionToken&& token = asio::default_completion_token_t<executor_type>{}) {
    auto step = [buffer](State& state) { return receive_now(state.socket.ref(), buffer, &state.stats); };
    using Op = detail::RetryOp<Executor, decltype(step), Received>;
    return asio::async_compose<CompletionToken, void(std::error_code, Received)>(
        Op(*state_, asio::posix::descriptor_base::wait_read, std::move(step)), token, state_->descriptor);
  }

  /// Readiness, for callers that read with sys/ themselves (e.g. batched
  /// sys::receive_batch into an engine): wait_read also completes when the
  /// error queue holds a record (POLLERR), so drain it with sys::receive_error
  /// or receive_now(). Completion: void(std::error_code).
  /// Errors: asio::error::operation_aborted when cancelled; bad_descriptor.
  using wait_type = asio::posix::descriptor_base::wait_type;
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_wait(wait_type what, CompletionToken&& token = asio::default_completion_token_t<executor_type>{}) {
    return state_->descriptor.async_wait(what, std::forward<CompletionToken>(token));
  }
  void wait(wait_type what, std::error_code& ec) { state_->descriptor.wait(what, ec); }
  void wait(wait_type what) {
    std::error_code ec;
    wait(what, ec);
    throw_if(ec, "icmp_socket::wait");
  }

 private:
  using State = detail::IcmpSocketState<Executor>;

  static void throw_if(const std::error_code& ec, const char* what) {
    if (ec) throw std::system_error(ec, what);
  }

  std::unique_ptr<State> state_;
};

/// The socket type most programs use.
using icmp_socket = basic_icmp_socket<>;

}  // namespace icmpkit::net
