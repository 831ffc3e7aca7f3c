// File: icmpkit/net/socket_ops.hpp
//
// The non-blocking steps every icmp socket operation is built from, free of
// Asio so they live in a compiled source file (Asio templates stay small) and
// so a program with its own event loop (libuv, Qt, io_uring) can drive a
// sys::IcmpSocket the same way net::basic_icmp_socket does: wait until the
// descriptor is readable (POLLIN) or has an error (POLLERR: the error queue),
// then call receive_now() until it says "would block". RFC 792, RFC 4443.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "icmpkit/net/received.hpp"
#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::net {

/// Datagrams receive_now() consumed without returning them.
struct ReceiveStats {
  /// Datagrams too short for an ICMP header, raw IPv4 datagrams with a
  /// malformed IP header, error-queue records without their extended error.
  std::uint64_t malformed = 0;
  /// Times a normal read reported the socket's pending error (sk_err, set by
  /// an ICMP error whose record is read from the error queue instead).
  std::uint64_t pending_errors = 0;
};

/// True for the error a non-blocking call returns when it must wait.
inline bool is_would_block(const std::error_code& ec) noexcept {
  return ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again;
}

/// One non-blocking receive. Reads the error queue first (so an ICMP error is
/// never starved by a stream of replies, and reading it clears the pending
/// socket error that would otherwise fail the normal read), then the normal
/// queue. Malformed datagrams are consumed, counted in `stats` and skipped:
/// one bad packet from the network must not end a receive loop.
///
/// Errors: std::errc::operation_would_block when both queues are empty;
/// OS errors (system_category) from recvmsg.
Result<Received> receive_now(sys::SocketRef socket, MutableBytes buffer,
                             ReceiveStats* stats = nullptr) noexcept;

/// One non-blocking send of a complete ICMP message (sys::send_to, which
/// retries once a send that failed with an earlier probe's queued error; that
/// error's record stays in the error queue for receive_now()).
///
/// Errors: std::errc::operation_would_block when the send buffer is full;
/// errc::address_family_not_supported for a destination of the other family;
/// OS errors (EHOSTUNREACH with no route, EMSGSIZE over the path MTU ...).
Result<std::size_t> send_now(sys::SocketRef socket, ConstBytes icmp,
                             const wire::IpAddress& destination) noexcept;

/// sys::IcmpSocket::open with O_NONBLOCK forced on (the async layer needs it;
/// synchronous calls wait with poll instead of blocking in the kernel).
/// Errors: those of sys::IcmpSocket::open.
Result<sys::IcmpSocket> open_nonblocking(wire::Family family, sys::OpenOptions options) noexcept;

}  // namespace icmpkit::net
