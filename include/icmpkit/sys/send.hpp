// File: icmpkit/sys/send.hpp
//
// Sending one ICMP/ICMPv6 message (sendto) without losing probes to the
// Linux IP_RECVERR habit: once an ICMP error has been queued on a socket
// with IP_RECVERR/IPV6_RECVERR, the socket's pending error (sk_err) is set
// and the NEXT sendto() fails with it once (EHOSTUNREACH, ENETUNREACH,
// ECONNREFUSED, EMSGSIZE ...) without sending anything. send_to() retries
// that send once and tells the caller that an error was pending, so the
// caller drains the error queue (sys/receive.hpp receive_error()).
#pragma once

#include <cstddef>
#include <system_error>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// What happened to one send.
struct SendOutcome {
  std::size_t bytes = 0;  ///< Bytes the kernel accepted (the whole message).
  /// The first sendto() failed with an error that belonged to an earlier
  /// probe (reported via the error queue); the probe was then sent by a
  /// retry. The caller should drain the error queue.
  bool pending_error_reported = false;
  /// That earlier error (system_category), when pending_error_reported.
  std::error_code pending_error;
};

/// Sends `icmp` (a complete ICMP message; on a raw v4 socket the checksum is
/// the caller's, see KernelDuties) to `destination`. Never blocks
/// (MSG_DONTWAIT). EINTR is retried.
///
/// Errors: errc::address_family_not_supported when `destination` is of the
/// other family; std::errc::resource_unavailable_try_again when the send
/// buffer is full (non-blocking); the OS error when the retry fails too (the
/// probe was not sent: e.g. EMSGSIZE for a message over the path MTU with
/// PmtuMode::do_, EHOSTUNREACH with no route, EACCES for broadcast).
Result<SendOutcome> send_to(SocketRef socket, ConstBytes icmp, const wire::IpAddress& destination) noexcept;

/// True for errno values that a send can report for an earlier probe's queued
/// ICMP error (the sk_err set by IP_RECVERR handling), and which are therefore
/// worth one retry.
bool is_reported_icmp_error(int error_number) noexcept;

}  // namespace icmpkit::sys
