// File: icmpkit/sys/receive.hpp
//
// Receiving one ICMP/ICMPv6 datagram with its control messages (recvmsg):
// reply TTL / hop limit, TOS / traffic class, kernel receive timestamp,
// destination address and interface (RFC 3542 pktinfo); and reading the
// IP_RECVERR / IPV6_RECVERR error queue (MSG_ERRQUEUE), which is how a ping
// socket learns of Destination Unreachable, Time Exceeded and Packet Too Big
// caused by its probes (RFC 792, RFC 4443, RFC 1191, RFC 8201).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// A control buffer of this size holds every control message sys/ enables
/// (TTL, TOS, timestamp, pktinfo, extended error + offender) with room to spare.
inline constexpr std::size_t recommended_control_size = 512;

/// Largest ICMP datagram worth a receive buffer (IPv4 header included).
inline constexpr std::size_t max_datagram_size = 65536;

/// One datagram as received. Views point into the caller's buffer.
struct ReceivedDatagram {
  ConstBytes icmp;       ///< The ICMP message (IPv4 header stripped on raw v4).
  ConstBytes ip_header;  ///< The IPv4 header a raw v4 socket delivers; empty otherwise.
  wire::IpAddress source;
  std::optional<wire::IpAddress> destination;  ///< From pktinfo (IP_PKTINFO ipi_addr / ipi6_addr).
  std::optional<wire::Ttl> ttl;                ///< IP_TTL / IPV6_HOPLIMIT, or from the raw IPv4 header.
  std::optional<std::uint8_t> tos;             ///< IP_TOS / IPV6_TCLASS, or from the raw IPv4 header.
  /// Software receive time (SO_TIMESTAMPNS or SO_TIMESTAMPING), CLOCK_REALTIME
  /// since the Unix epoch.
  std::optional<std::chrono::nanoseconds> kernel_timestamp;
  std::uint32_t interface_index = 0;  ///< From pktinfo; 0 when unknown.
  /// SO_RXQ_OVFL (OpenOptions::receive_drop_count): the socket's running count
  /// of datagrams dropped for lack of receive buffer space, as of when this one
  /// was queued. The kernel attaches it only once it is non-zero, so nullopt
  /// means "no drop so far" (or the option is off).
  std::optional<std::uint32_t> dropped;
  bool truncated = false;             ///< MSG_TRUNC: the buffer was too small.
  bool control_truncated = false;     ///< MSG_CTRUNC: the control buffer was too small.
  /// The first recvmsg() failed with the socket's pending error (the errno an
  /// ICMP error queued under IP_RECVERR leaves behind, reported once) and was
  /// retried: an error-queue record is waiting for receive_error().
  bool pending_error_reported = false;
};

/// Receives one datagram. Never blocks, whatever the socket's O_NONBLOCK
/// (MSG_DONTWAIT): wait for readability first (poll, Asio). EINTR is retried.
///
/// Linux reports a socket's pending error (set when an ICMP error is queued
/// under IP_RECVERR) from the next recvmsg() once, even with datagrams
/// waiting (skb_recv_datagram checks sk_err first; measured on raw sockets,
/// see src/sys/linux/receive.cpp). receive() retries once and sets
/// pending_error_reported; draining the error queue first avoids it.
///
/// Errors: std::errc::resource_unavailable_try_again (== operation_would_block
/// on Linux) when nothing is queued, so async callers wait for readability;
/// errc::truncated / errc::bad_version / errc::bad_length when a raw IPv4
/// datagram's header is malformed (the datagram is consumed); OS errors.
Result<ReceivedDatagram> receive(SocketRef socket, MutableBytes buffer, MutableBytes control) noexcept;

/// Who generated a queued error (struct sock_extended_err ee_origin).
enum class ErrorOrigin : std::uint8_t {
  none = 0,
  local = 1,  ///< The local stack (e.g. EMSGSIZE against the cached path MTU).
  icmp = 2,   ///< An ICMPv4 message from `offender`.
  icmp6 = 3,  ///< An ICMPv6 message from `offender`.
  txstatus = 4,
  zerocopy = 5,
  txtime = 6,
};

/// One record from the error queue.
struct ErrorQueueRecord {
  /// The node that sent the ICMP error (SO_EE_OFFENDER); unspecified when the
  /// kernel gave none (local errors).
  wire::IpAddress offender;
  /// Where the probe was going (msg_name of the MSG_ERRQUEUE read).
  wire::IpAddress original_destination;
  ErrorOrigin origin = ErrorOrigin::none;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  /// ee_info: the next-hop MTU for Frag Needed / Packet Too Big (and for
  /// local EMSGSIZE); else 0.
  std::uint32_t info = 0;
  /// ee_errno: the errno the kernel maps the error to (EHOSTUNREACH, ...;
  /// ENOMSG for a transmit timestamp).
  int error_number = 0;
  /// ee_data: for ErrorOrigin::txstatus the SO_TIMESTAMPING OPT_ID key (the
  /// index of the send this timestamp belongs to); else 0.
  std::uint32_t data = 0;
  /// The probe the kernel hands back: on Linux the ICMP message we sent (with
  /// the identifier the kernel wrote on a ping socket), no IP header; may be
  /// shortened to what the ICMP error quoted.
  ConstBytes probe;
  /// TTL / hop limit of the ICMP error packet when the kernel attached it.
  std::optional<wire::Ttl> ttl;
  std::optional<std::chrono::nanoseconds> kernel_timestamp;
  bool truncated = false;  ///< MSG_TRUNC on the probe bytes.
};

/// Reads one record from the error queue (MSG_ERRQUEUE; never blocks).
///
/// Errors: errc::no_message when the queue is empty; errc::bad_length when
/// the kernel gave no IP_RECVERR/IPV6_RECVERR control message (control buffer
/// too small: MSG_CTRUNC); OS errors.
Result<ErrorQueueRecord> receive_error(SocketRef socket, MutableBytes buffer, MutableBytes control) noexcept;

/// Reads and discards any pending socket error (SO_ERROR), as a send that
/// failed "once" leaves it. Returns the error that was pending (0 = none).
int take_pending_error(SocketRef socket) noexcept;

}  // namespace icmpkit::sys
