// File: icmpkit/sys/tcp_connect_probe.hpp
//
// One unprivileged TCP traceroute probe: a non-blocking connect() whose SYN
// leaves with a chosen TTL / hop limit (IP_TTL / IPV6_UNICAST_HOPS), with
// IP_RECVERR / IPV6_RECVERR on so the ICMP error a router sends about the SYN
// (RFC 792 Time Exceeded / Destination Unreachable, RFC 4443) is queued on
// the socket's error queue with its offender (SO_EE_OFFENDER). It is the
// fallback for TCP SYN probes without CAP_NET_RAW (traceroute -M tcpconn):
// the kernel picks the source port (so a trace's flow is not kept) and
// retransmits the SYN with the same TTL until the socket is closed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// What became of a connect() probe.
struct TcpConnectResult {
  enum class Kind : std::uint8_t {
    pending,     ///< Nothing yet (spurious wake-up): wait again.
    connected,   ///< The handshake completed (the destination's port is open).
    refused,     ///< ECONNREFUSED and no queued ICMP error: the destination sent RST.
    icmp_error,  ///< `record` holds the queued ICMP error (its `probe` points into the caller's buffer).
    failed,      ///< Another socket error (`error`) and no queued ICMP error.
  };
  Kind kind = Kind::pending;
  ErrorQueueRecord record;
  std::error_code error;
};

/// A TCP socket carrying one connect() probe. Move-only; closing it (or
/// destroying it) ends the probe, and the kernel stops retransmitting.
class TcpConnectProbe {
 public:
  TcpConnectProbe() = default;
  ~TcpConnectProbe();
  TcpConnectProbe(TcpConnectProbe&& other) noexcept;
  TcpConnectProbe& operator=(TcpConnectProbe&& other) noexcept;
  TcpConnectProbe(const TcpConnectProbe&) = delete;
  TcpConnectProbe& operator=(const TcpConnectProbe&) = delete;

  /// Opens a non-blocking TCP socket of `destination`'s family, sets the TTL
  /// and IP_RECVERR, optionally binds it to `source` (port chosen by the
  /// kernel) and `interface_name`, and starts connect(destination, port).
  /// Errors: OS errors of socket(), setsockopt(), bind() or connect() other
  /// than EINPROGRESS / ECONNREFUSED (e.g. ENETUNREACH with no route).
  static Result<TcpConnectProbe> start(const wire::IpAddress& destination, std::uint16_t port, wire::Ttl ttl,
                                       const std::optional<wire::IpAddress>& source = std::nullopt,
                                       std::string_view interface_name = {}) noexcept;

  /// Reads the outcome once the socket is writable or in error: a queued ICMP
  /// error first (it names the router), then SO_ERROR. Never blocks.
  /// `buffer` receives the quoted probe bytes of an ICMP error.
  /// Errors: OS errors of getsockopt().
  Result<TcpConnectResult> check(MutableBytes buffer) noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  wire::Family family() const noexcept { return family_; }
  SocketRef ref() const noexcept { return {fd_, family_, SocketKind::dgram}; }
  void close() noexcept;

 private:
  int fd_ = -1;
  wire::Family family_ = wire::Family::v4;
  int immediate_ = -1;  ///< connect()'s own answer when it did not say EINPROGRESS (0 or an errno).
};

}  // namespace icmpkit::sys
