// A TCP connect() as an unprivileged traceroute probe on Linux.
//
// tcp_v4_err / tcp_v6_err handle an ICMP error about a socket in SYN_SENT as
// a hard error: with IP_RECVERR / IPV6_RECVERR they queue it (ip_icmp_error,
// offender included), set sk_err (EHOSTUNREACH for Time Exceeded) and close
// the connection, so the socket becomes ready (EPOLLERR) with the record
// waiting on MSG_ERRQUEUE. A RST sets ECONNREFUSED without a record; a
// SYN-ACK completes the connect (writable, SO_ERROR 0).
#include "icmpkit/sys/tcp_connect_probe.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "icmpkit/error.hpp"
#include "icmpkit/sys/options.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {

using linux_detail::errno_code;

TcpConnectProbe::~TcpConnectProbe() { close(); }

TcpConnectProbe::TcpConnectProbe(TcpConnectProbe&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), family_(other.family_), immediate_(other.immediate_) {}

TcpConnectProbe& TcpConnectProbe::operator=(TcpConnectProbe&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    immediate_ = other.immediate_;
  }
  return *this;
}

void TcpConnectProbe::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<TcpConnectProbe> TcpConnectProbe::start(const wire::IpAddress& destination, std::uint16_t port,
                                               wire::Ttl ttl, const std::optional<wire::IpAddress>& source,
                                               std::string_view interface_name) noexcept {
  TcpConnectProbe probe;
  probe.family_ = destination.family();
  probe.fd_ = ::socket(destination.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       IPPROTO_TCP);
  if (probe.fd_ < 0) return linux_detail::last_error();
  const SocketRef ref = probe.ref();
  if (auto r = set_ttl(ref, ttl); !r) return unexpected(r.error());
  if (auto r = set_receive_errors(ref, true); !r) return unexpected(r.error());
  if (source) {
    const auto address = linux_detail::to_sockaddr(*source, 0);
    if (::bind(probe.fd_, address.get(), address.length) != 0) return linux_detail::last_error();
  }
  if (!interface_name.empty()) {
    if (auto r = bind_device(ref, interface_name); !r) return unexpected(r.error());
  }
  const auto address = linux_detail::to_sockaddr(destination, port);
  const int rc = linux_detail::retry_on_eintr([&] { return ::connect(probe.fd_, address.get(), address.length); });
  if (rc == 0) {
    probe.immediate_ = 0;
  } else if (errno == ECONNREFUSED) {
    probe.immediate_ = ECONNREFUSED;
  } else if (errno != EINPROGRESS && errno != EALREADY) {
    return linux_detail::last_error();
  }
  return probe;
}

Result<TcpConnectResult> TcpConnectProbe::check(MutableBytes buffer) noexcept {
  TcpConnectResult out;
  if (fd_ < 0) return unexpected(make_error_code(errc::invalid_argument));
  std::array<std::byte, recommended_control_size> control{};
  auto record = receive_error(ref(), buffer, control);
  if (record && (record->origin == ErrorOrigin::icmp || record->origin == ErrorOrigin::icmp6 ||
                 record->origin == ErrorOrigin::local)) {
    out.kind = TcpConnectResult::Kind::icmp_error;
    out.record = *record;
    return out;
  }
  int error = 0;
  if (immediate_ >= 0) {
    error = immediate_;
  } else {
    socklen_t length = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return linux_detail::last_error();
    if (error == 0) {
      // Writable with no error means connected; an early wake-up is told
      // apart by asking for the peer.
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
        if (errno == ENOTCONN) return out;  // pending
        return linux_detail::last_error();
      }
    }
  }
  if (error == 0) {
    out.kind = TcpConnectResult::Kind::connected;
  } else if (error == ECONNREFUSED) {
    out.kind = TcpConnectResult::Kind::refused;
  } else {
    out.kind = TcpConnectResult::Kind::failed;
    out.error = errno_code(error);
  }
  return out;
}

}  // namespace icmpkit::sys
