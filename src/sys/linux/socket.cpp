// Opening ICMP sockets on Linux: ping socket first, raw fallback.
//
// Why these errnos mean "try raw": socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)
// fails with EACCES when no group of the caller is inside
// net.ipv4.ping_group_range (ping_init_sock; root is not exempt), with
// EPROTONOSUPPORT/ESOCKTNOSUPPORT on kernels without ping sockets, and EPERM
// under some LSMs/seccomp profiles. A raw socket then needs CAP_NET_RAW
// (EPERM without it).
#include "icmpkit/sys/socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::errno_code;

bool dgram_refusal_allows_fallback(int error_number) noexcept {
  switch (error_number) {
    case EACCES:
    case EPERM:
    case EPROTONOSUPPORT:
    case ESOCKTNOSUPPORT:
    case EAFNOSUPPORT:
      return true;
    default:
      return false;
  }
}

bool is_permission_error(int error_number) noexcept { return error_number == EACCES || error_number == EPERM; }

std::string_view explain_open_failure(SocketKind kind, int error_number) noexcept {
  switch (error_number) {
    case EACCES:
      return kind == SocketKind::dgram
                 ? "ping socket refused: no group of this process is inside net.ipv4.ping_group_range"
                 : "raw socket refused (EACCES): a security module denies it";
    case EPERM:
      return kind == SocketKind::dgram ? "ping socket refused (EPERM): a security module or seccomp denies it"
                                       : "raw socket refused: the process lacks CAP_NET_RAW (run as root or setcap)";
    case EPROTONOSUPPORT:
    case ESOCKTNOSUPPORT:
      return kind == SocketKind::dgram ? "this kernel has no ping sockets" : "this kernel refuses raw ICMP sockets";
    case EAFNOSUPPORT:
      return "address family not supported (IPv6 disabled?)";
    case EMFILE:
    case ENFILE:
      return "too many open files";
    case ENOBUFS:
    case ENOMEM:
      return "out of kernel memory";
    default:
      return "socket() failed";
  }
}

/// socket() through the seam; EINTR retried (a bounded number of times).
int open_descriptor(wire::Family family, SocketKind kind, bool nonblocking) noexcept {
  const int domain = family == wire::Family::v4 ? AF_INET : AF_INET6;
  const int protocol = family == wire::Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  int type = (kind == SocketKind::dgram ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC;
  if (nonblocking) type |= SOCK_NONBLOCK;
  const int fd = linux_detail::retry_on_eintr([&] { return detail::system_calls().socket(domain, type, protocol); });
  return fd;
}

Result<void> apply_options(SocketRef socket, const OpenOptions& options) noexcept {
  if (options.receive_ttl) {
    if (auto r = set_receive_ttl(socket, true); !r) return r;
  }
  if (options.receive_tos) {
    if (auto r = set_receive_tos(socket, true); !r) return r;
  }
  if (options.receive_timestamps) {
    if (auto r = set_receive_timestamps(socket, true); !r) return r;
  }
  if (options.receive_errors) {
    if (auto r = set_receive_errors(socket, true); !r) return r;
  }
  if (options.receive_pktinfo) {
    if (auto r = set_receive_pktinfo(socket, true); !r) return r;
  }
  if (options.transmit_timestamps) {
    if (auto r = set_transmit_timestamps(socket, true); !r) return r;
  }
  if (options.receive_drop_count) {
    const int on = 1;
    if (detail::system_calls().setsockopt(socket.fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) != 0) {
      return linux_detail::last_error();
    }
  }
  if (options.install_kernel_filter && socket.kind == SocketKind::raw) {
    if (socket.family == wire::Family::v4) {
      if (auto r = set_icmpv4_type_filter(socket); !r) return r;
    } else {
      if (auto r = set_icmpv6_filter(socket, default_icmpv6_filter_words()); !r) return r;
    }
  }
  return {};
}

}  // namespace

KernelDuties kernel_duties(wire::Family family, SocketKind kind) noexcept {
  if (kind == SocketKind::dgram) {
    // ping_v4/v6_sendmsg write the socket's identifier and the checksum;
    // ping_rcv delivers only replies whose identifier is the socket's port;
    // the IPv4 header is pulled before queueing.
    return {.rewrites_echo_id = true,
            .delivers_ip_header = false,
            .computes_checksum = true,
            .filters_to_own_replies = true};
  }
  // Raw v4 delivers the whole IP datagram and sends the ICMP message as
  // given; raw ICMPv6 sockets always get their checksum computed
  // (RFC 3542 section 3.1) and never see the IPv6 header.
  return {.rewrites_echo_id = false,
          .delivers_ip_header = family == wire::Family::v4,
          .computes_checksum = family == wire::Family::v6,
          .filters_to_own_replies = false};
}

IcmpSocket::~IcmpSocket() { close(); }

IcmpSocket::IcmpSocket(IcmpSocket&& other) noexcept
    : fd_(other.fd_), family_(other.family_), kind_(other.kind_), fallback_reason_(other.fallback_reason_) {
  other.fd_ = -1;
}

IcmpSocket& IcmpSocket::operator=(IcmpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    family_ = other.family_;
    kind_ = other.kind_;
    fallback_reason_ = other.fallback_reason_;
    other.fd_ = -1;
  }
  return *this;
}

int IcmpSocket::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void IcmpSocket::close() noexcept {
  if (fd_ >= 0) {
    // close() is not retried on EINTR: on Linux the descriptor is gone anyway.
    detail::system_calls().close(fd_);
    fd_ = -1;
  }
}

IcmpSocket IcmpSocket::adopt(int fd, wire::Family family, SocketKind kind) noexcept {
  return IcmpSocket(fd, family, kind);
}

Result<IcmpSocket> IcmpSocket::open(wire::Family family, const OpenOptions& options, OpenReport* report) noexcept {
  OpenReport local_report;
  OpenReport& attempts = report ? *report : local_report;
  attempts = {};

  auto finish = [&](int fd, SocketKind kind) -> Result<IcmpSocket> {
    IcmpSocket socket(fd, family, kind);
    if (attempts.dgram && kind == SocketKind::raw) socket.fallback_reason_ = attempts.dgram;
    if (auto applied = apply_options(socket.ref(), options); !applied) return unexpected(applied.error());
    return socket;
  };

  if (options.mode != SocketMode::raw) {
    const int fd = open_descriptor(family, SocketKind::dgram, options.nonblocking);
    if (fd >= 0) return finish(fd, SocketKind::dgram);
    const int dgram_errno = errno;
    attempts.dgram = OpenAttempt{SocketKind::dgram, errno_code(dgram_errno),
                                 explain_open_failure(SocketKind::dgram, dgram_errno)};
    if (options.mode == SocketMode::dgram || !dgram_refusal_allows_fallback(dgram_errno)) {
      if (is_permission_error(dgram_errno)) return errc::permission_denied;
      return unexpected(errno_code(dgram_errno));
    }
  }

  const int fd = open_descriptor(family, SocketKind::raw, options.nonblocking);
  if (fd >= 0) return finish(fd, SocketKind::raw);
  const int raw_errno = errno;
  attempts.raw =
      OpenAttempt{SocketKind::raw, errno_code(raw_errno), explain_open_failure(SocketKind::raw, raw_errno)};
  if (is_permission_error(raw_errno)) {
    // Both refused for lack of privilege (or raw alone was asked for).
    return errc::permission_denied;
  }
  if (raw_errno == EAFNOSUPPORT) return errc::address_family_not_supported;
  return unexpected(errno_code(raw_errno));
}

std::optional<wire::EchoId> local_echo_id(SocketRef socket) noexcept {
  if (socket.kind != SocketKind::dgram || socket.fd < 0) return std::nullopt;
  linux_detail::SocketAddress address;
  std::uint32_t length = sizeof address.storage;
  if (detail::system_calls().getsockname(socket.fd, &address.storage, &length) != 0) return std::nullopt;
  std::uint16_t port = 0;
  if (!linux_detail::from_sockaddr(&address.storage, length, &port) || port == 0) return std::nullopt;
  return wire::EchoId(port);
}

std::optional<wire::EchoId> IcmpSocket::local_echo_id() const noexcept { return sys::local_echo_id(ref()); }

Result<wire::EchoId> IcmpSocket::ensure_echo_id() noexcept {
  if (kind_ != SocketKind::dgram) return errc::operation_not_supported;
  if (auto id = local_echo_id()) return *id;
  const wire::IpAddress any = family_ == wire::Family::v4 ? wire::IpAddress() : wire::IpAddress(wire::Ipv6Address{});
  if (auto bound = bind_source(ref(), any); !bound) return unexpected(bound.error());
  if (auto id = local_echo_id()) return *id;
  return errc::operation_not_supported;
}

Result<std::uint32_t> receive_drops(SocketRef socket) noexcept {
  // SO_MEMINFO fills an array indexed by SK_MEMINFO_*; DROPS is index 8
  // (<linux/sock_diag.h>), spelled out to keep that header out.
  constexpr int so_meminfo = 55;
  constexpr std::size_t sk_meminfo_drops = 8;
  std::uint32_t info[16] = {};
  std::uint32_t length = sizeof info;
  if (detail::system_calls().getsockopt(socket.fd, SOL_SOCKET, so_meminfo, info, &length) != 0) {
    return linux_detail::last_error();
  }
  if (length < (sk_meminfo_drops + 1) * sizeof(std::uint32_t)) return errc::operation_not_supported;
  return info[sk_meminfo_drops];
}

}  // namespace icmpkit::sys
