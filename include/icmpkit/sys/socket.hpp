// File: icmpkit/sys/socket.hpp
//
// Opening an ICMP or ICMPv6 socket the way the OS really allows it: a Linux
// "ping socket" (SOCK_DGRAM + IPPROTO_ICMP[V6], no privilege but the caller's
// group inside net.ipv4.ping_group_range) first, a raw socket (CAP_NET_RAW)
// as the fallback. What the kernel then does for us (echo identifier,
// checksum, IPv4 header, filtering) differs per kind and per OS and is
// reported as KernelDuties so callers never guess.
//
// RFC 792 (ICMP), RFC 4443 (ICMPv6), RFC 3542 (advanced IPv6 socket API).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// The socket kind a caller asks for.
enum class SocketMode : std::uint8_t {
  automatic,  ///< Ping socket first; raw socket if the ping socket is refused.
  dgram,      ///< Ping socket (SOCK_DGRAM) only.
  raw,        ///< Raw socket (SOCK_RAW) only.
};

/// The socket kind actually obtained.
enum class SocketKind : std::uint8_t { dgram, raw };

/// What the kernel does on its own for a socket of a given kind on this OS.
struct KernelDuties {
  /// The kernel replaces the echo identifier with the socket's own (Linux ping
  /// sockets); match replies by (address, sequence, payload), not id alone.
  bool rewrites_echo_id = false;
  /// Received datagrams carry the IPv4 header in front (raw v4 on Linux; any
  /// v4 ICMP socket on BSD/macOS). receive() strips it for you.
  bool delivers_ip_header = false;
  /// The kernel fills in the ICMP checksum of what we send (Linux ping
  /// sockets, every ICMPv6 socket). When false the sender must.
  bool computes_checksum = false;
  /// Only replies to our own echo requests are delivered (Linux ping sockets).
  /// When false every ICMP message on the host reaches the socket.
  bool filters_to_own_replies = false;

  friend bool operator==(const KernelDuties&, const KernelDuties&) noexcept = default;
};

/// The duties of a socket of `kind` for `family` on the OS this library was
/// built for (Linux facts; see sys/bsd.hpp for BSD/macOS).
KernelDuties kernel_duties(wire::Family family, SocketKind kind) noexcept;

/// How to open.
struct OpenOptions {
  SocketMode mode = SocketMode::automatic;
  bool nonblocking = true;         ///< O_NONBLOCK (required by net/ and batch receives).
  bool receive_ttl = true;         ///< IP_RECVTTL / IPV6_RECVHOPLIMIT.
  bool receive_tos = true;         ///< IP_RECVTOS / IPV6_RECVTCLASS.
  bool receive_timestamps = true;  ///< SO_TIMESTAMPNS (software receive time, CLOCK_REALTIME).
  bool receive_errors = true;      ///< IP_RECVERR / IPV6_RECVERR: ICMP errors via the error queue.
  bool receive_pktinfo = true;     ///< IP_PKTINFO / IPV6_RECVPKTINFO: destination and interface.
  /// Raw sockets only: the ICMP_FILTER type mask on v4 and ICMPV6_FILTER on
  /// v6, which let through echo replies and ICMP error messages only (and on
  /// v4 ICMP types 32 and up, which the mask cannot name).
  bool install_kernel_filter = true;
  /// Software transmit timestamps (SO_TIMESTAMPING, see set_transmit_timestamps
  /// in sys/options.hpp): each sent probe then also yields an error-queue
  /// record with origin txstatus. Off by default.
  bool transmit_timestamps = false;
  /// SO_RXQ_OVFL: every received datagram then carries the socket's count of
  /// datagrams the kernel dropped so far because the receive buffer was full
  /// (ReceivedDatagram::dropped), so an overrun is never silent. On by default.
  bool receive_drop_count = true;
};

/// One attempt at opening a socket of a given kind and why it failed.
struct OpenAttempt {
  SocketKind kind = SocketKind::dgram;
  std::error_code error;  ///< The OS error (system_category) or an icmpkit::errc.
  /// A static, human explanation of the likely cause ("group not in
  /// net.ipv4.ping_group_range", "CAP_NET_RAW missing"); sys/privileges.hpp
  /// diagnose() gives the full story with the command that fixes it.
  std::string_view reason;
};

/// Both attempts of an automatic open, for callers that want to explain a failure.
struct OpenReport {
  std::optional<OpenAttempt> dgram;  ///< Set when a ping socket was tried and failed.
  std::optional<OpenAttempt> raw;    ///< Set when a raw socket was tried and failed.
};

/// A non-owning view of an ICMP socket: what every sys/ function operates on,
/// so code that handed the descriptor to someone else (Asio) can still use them.
struct SocketRef {
  int fd = -1;
  wire::Family family = wire::Family::v4;
  SocketKind kind = SocketKind::dgram;
};

/// An open ICMP/ICMPv6 socket: owns its descriptor (RAII), movable, not copyable.
///
/// Thread safety: distinct objects are independent; one object must not be
/// moved/closed while another thread uses its descriptor.
class IcmpSocket {
 public:
  IcmpSocket() noexcept = default;
  ~IcmpSocket();
  IcmpSocket(IcmpSocket&& other) noexcept;
  IcmpSocket& operator=(IcmpSocket&& other) noexcept;
  IcmpSocket(const IcmpSocket&) = delete;
  IcmpSocket& operator=(const IcmpSocket&) = delete;

  /// Opens an ICMP (v4) or ICMPv6 (v6) socket and applies `options`.
  ///
  /// Automatic mode tries a ping socket and falls back to a raw socket when
  /// the ping socket is refused (EACCES: group outside ping_group_range;
  /// EPERM; EPROTONOSUPPORT/ESOCKTNOSUPPORT/EAFNOSUPPORT: kernel without ping
  /// sockets). The dgram failure is then kept in fallback_reason().
  /// EINTR is retried. When a requested option cannot be set the socket is
  /// closed and the option's error returned (a caller asking for timestamps
  /// must not silently get none).
  ///
  /// Errors: errc::permission_denied when neither kind may be opened
  /// (`report`, if given, holds both OS errors); the OS error otherwise
  /// (EMFILE, ENOBUFS, EAFNOSUPPORT ...). `report` is filled on success too.
  static Result<IcmpSocket> open(wire::Family family, const OpenOptions& options = {},
                                 OpenReport* report = nullptr) noexcept;

  /// Takes ownership of an already open descriptor of the given kind.
  static IcmpSocket adopt(int fd, wire::Family family, SocketKind kind) noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  /// Gives up ownership: returns the descriptor and leaves this socket closed.
  int release() noexcept;
  /// Closes the descriptor (if open). Idempotent.
  void close() noexcept;

  wire::Family family() const noexcept { return family_; }
  SocketKind kind() const noexcept { return kind_; }
  KernelDuties duties() const noexcept { return kernel_duties(family_, kind_); }
  SocketRef ref() const noexcept { return {fd_, family_, kind_}; }
  operator SocketRef() const noexcept { return ref(); }  // NOLINT: a socket is usable where a view is

  /// The echo identifier the kernel uses for this socket: on a Linux ping
  /// socket, its local "port" from getsockname(), known after bind_source()
  /// or ensure_echo_id() or the first send (implicit bind). std::nullopt on a
  /// raw socket (the sender chooses) or on a ping socket not yet bound.
  std::optional<wire::EchoId> local_echo_id() const noexcept;

  /// Binds a ping socket to the wildcard address so the kernel assigns its
  /// echo identifier now, and returns it; on a raw socket returns
  /// errc::operation_not_supported. Call bind_source() instead beforehand if a
  /// source address is wanted (a socket binds once).
  Result<wire::EchoId> ensure_echo_id() noexcept;

  /// When an automatic open fell back to raw: why the ping socket failed.
  const std::optional<OpenAttempt>& fallback_reason() const noexcept { return fallback_reason_; }

 private:
  IcmpSocket(int fd, wire::Family family, SocketKind kind) noexcept
      : fd_(fd), family_(family), kind_(kind) {}

  int fd_ = -1;
  wire::Family family_ = wire::Family::v4;
  SocketKind kind_ = SocketKind::dgram;
  std::optional<OpenAttempt> fallback_reason_;
};

/// The kernel's count of datagrams this socket dropped because its receive
/// buffer was full (SO_MEMINFO, SK_MEMINFO_DROPS; Linux >= 4.6): exact at the
/// time of the call, unlike ReceivedDatagram::dropped which only arrives with
/// the next datagram. Errors: errc::operation_not_supported where the OS has
/// no such counter; OS errors.
Result<std::uint32_t> receive_drops(SocketRef socket) noexcept;

/// Echo identifier of a ping socket via getsockname(); nullopt if raw or unbound.
std::optional<wire::EchoId> local_echo_id(SocketRef socket) noexcept;

}  // namespace icmpkit::sys
