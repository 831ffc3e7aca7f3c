// File: icmpkit/sys/raw_ip_socket.hpp
//
// What TCP SYN traceroute needs from the OS: a raw socket of one IP protocol
// (here IPPROTO_TCP, CAP_NET_RAW) that sends a transport segment built by the
// caller (the kernel adds the IP header, RFC 791 / RFC 8200) and receives
// every segment of that protocol addressed to the host (the IPv4 header
// stripped here); a local TCP port held so SYN-ACKs come back to a port no
// one else uses; and the source address the kernel would choose (the
// segment's checksum covers it, RFC 9293 §3.1).
#pragma once

#include <cstdint>
#include <optional>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/bpf.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// A raw IP socket of one protocol, non-blocking. Owns its descriptor.
class RawIpSocket {
 public:
  RawIpSocket() noexcept = default;
  ~RawIpSocket();
  RawIpSocket(RawIpSocket&& other) noexcept;
  RawIpSocket& operator=(RawIpSocket&& other) noexcept;
  RawIpSocket(const RawIpSocket&) = delete;
  RawIpSocket& operator=(const RawIpSocket&) = delete;

  /// Opens SOCK_RAW for `protocol` (e.g. 6 = TCP) with the reply TTL enabled.
  /// Errors: errc::permission_denied without CAP_NET_RAW; OS errors.
  static Result<RawIpSocket> open(wire::Family family, int protocol) noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  wire::Family family() const noexcept { return family_; }
  /// A view for sys/options.hpp setters and sys::send_to (sends `bytes` as the payload of the IP header).
  SocketRef ref() const noexcept { return {fd_, family_, SocketKind::raw}; }
  void close() noexcept;

 private:
  int fd_ = -1;
  wire::Family family_ = wire::Family::v4;
};

/// A classic BPF program for a raw TCP socket of `family` that passes only
/// segments to local port `port` (the kernel runs it on IPv4 from the IP
/// header on, on IPv6 from the TCP header on), so a host busy with other TCP
/// traffic does not wake the prober for each segment.
BpfProgram tcp_port_filter(wire::Family family, std::uint16_t port) noexcept;

/// Attaches tcp_port_filter(socket.family(), port) (SO_ATTACH_FILTER).
/// Errors: OS errors.
Result<void> attach_tcp_port_filter(const RawIpSocket& socket, std::uint16_t port) noexcept;

/// One received transport segment; `segment` points into the caller's buffer.
struct RawSegment {
  wire::IpAddress source;
  ConstBytes segment;  ///< The transport header and data (IPv4 header removed).
  std::optional<wire::Ttl> ttl;
};

/// Receives one segment without blocking.
/// Errors: std::errc::resource_unavailable_try_again when none is queued;
/// errc::truncated / errc::bad_length for a malformed IPv4 header (consumed); OS errors.
Result<RawSegment> receive_segment(const RawIpSocket& socket, MutableBytes buffer) noexcept;

/// A local TCP port held open (bound, never listening) so the kernel gives it
/// to no one else; SYN-ACKs to it are answered by the kernel with a RST.
class TcpPortReservation {
 public:
  TcpPortReservation() noexcept = default;
  ~TcpPortReservation();
  TcpPortReservation(TcpPortReservation&& other) noexcept;
  TcpPortReservation& operator=(TcpPortReservation&& other) noexcept;
  TcpPortReservation(const TcpPortReservation&) = delete;
  TcpPortReservation& operator=(const TcpPortReservation&) = delete;

  /// Binds a TCP socket to (`source`, an ephemeral port).
  /// Errors: OS errors (EADDRNOTAVAIL ...).
  static Result<TcpPortReservation> reserve(const wire::IpAddress& source) noexcept;
  std::uint16_t port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// The source address the kernel would use towards `destination` (connect()
/// of a throw-away UDP socket, which sends nothing, then getsockname()).
/// Errors: OS errors (ENETUNREACH without a route ...).
Result<wire::IpAddress> route_source(const wire::IpAddress& destination) noexcept;

}  // namespace icmpkit::sys
