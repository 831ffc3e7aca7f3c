// File: icmpkit/sys/udp_socket.hpp
//
// An ordinary UDP socket used as an unprivileged traceroute prober: datagrams
// are sent with a per-probe TTL, and the ICMP errors they cause (Time
// Exceeded, Port Unreachable, Fragmentation Needed / Packet Too Big, RFC 792,
// RFC 4443, RFC 1191) come back through the IP_RECVERR / IPV6_RECVERR error
// queue with the offender and the destination port the probe went to. No
// privilege is needed (unlike a raw socket).
#pragma once

#include <cstdint>
#include <optional>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// An open UDP socket with IP_RECVERR and IP_RECVTTL (or the IPv6
/// equivalents), non-blocking. Owns its descriptor (RAII), movable.
class UdpSocket {
 public:
  UdpSocket() noexcept = default;
  ~UdpSocket();
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  /// Opens a non-blocking UDP socket of `family` with the error queue and the
  /// reply TTL enabled, bound to `source` (or the wildcard) port `port`
  /// (0: the kernel picks one; read it with local_port()).
  /// Errors: errc::address_family_not_supported when `source` is of the other
  /// family; OS errors (EAFNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE, EMFILE ...).
  static Result<UdpSocket> open(wire::Family family, const std::optional<wire::IpAddress>& source = std::nullopt,
                                std::uint16_t port = 0) noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  wire::Family family() const noexcept { return family_; }
  /// A view usable with the option setters of sys/options.hpp (set_ttl,
  /// set_tos, set_pmtu_mode, bind_device); `kind` is meaningless for UDP.
  SocketRef ref() const noexcept { return {fd_, family_, SocketKind::dgram}; }
  /// The bound local port.
  std::uint16_t local_port() const noexcept { return port_; }
  void close() noexcept;

 private:
  int fd_ = -1;
  wire::Family family_ = wire::Family::v4;
  std::uint16_t port_ = 0;
};

/// Sends `payload` to (destination, port) without blocking. A send failing
/// with an earlier probe's queued ICMP error (the one-shot sk_err, see
/// sys/send.hpp) is retried once and reported in SendOutcome.
/// Errors: errc::address_family_not_supported; std::errc::resource_unavailable_try_again
/// when the send buffer is full; the OS error when the retry fails too.
Result<SendOutcome> send_datagram(const UdpSocket& socket, ConstBytes payload, const wire::IpAddress& destination,
                                  std::uint16_t port) noexcept;

/// An error-queue record of a UDP socket, with the destination port of the
/// probe it is about (msg_name), which sys::ErrorQueueRecord leaves out.
struct UdpErrorRecord {
  ErrorQueueRecord record;  ///< `probe` holds the UDP payload as sent (no UDP header).
  std::uint16_t destination_port = 0;
  bool has_offender = false;  ///< SO_EE_OFFENDER carried an address.
};

/// Reads one error-queue record (never blocks).
/// Errors: errc::no_message when the queue is empty; errc::bad_length when no
/// extended error came with it; OS errors.
Result<UdpErrorRecord> receive_udp_error(const UdpSocket& socket, MutableBytes buffer) noexcept;

/// Reads and discards one ordinary datagram (a UDP service answering a probe).
/// Errors: std::errc::resource_unavailable_try_again when none is queued; OS errors.
Result<void> discard_datagram(const UdpSocket& socket) noexcept;

/// The MTU of the route to `destination` as the kernel knows it (cached path
/// MTU, else the outgoing interface's): connect() of a throw-away UDP socket
/// (which sends nothing) and IP_MTU / IPV6_MTU.
/// Errors: OS errors (ENETUNREACH without a route ...).
Result<std::uint32_t> route_mtu(const wire::IpAddress& destination) noexcept;

}  // namespace icmpkit::sys
