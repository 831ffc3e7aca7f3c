// An ordinary UDP socket as an unprivileged traceroute prober on Linux.
//
// With IP_RECVERR / IPV6_RECVERR set, __udp4_lib_err / __udp6_lib_err queue
// every ICMP error quoting one of our datagrams (ip_icmp_error), so Time
// Exceeded from routers reaches an unprivileged process; the record's data is
// the UDP payload as sent (the kernel pulls the header off) and msg_name is
// the probe's destination with its port. The same handler also sets sk_err,
// so the next sendto() fails once exactly as on a ping socket (see send.cpp):
// send_datagram() retries that once.
#include "icmpkit/sys/udp_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::errno_code;
using linux_detail::last_error;

std::ptrdiff_t send_once(int fd, ConstBytes data, const linux_detail::SocketAddress& address) noexcept {
  const std::ptrdiff_t n = linux_detail::retry_on_eintr([&] {
    return detail::system_calls().sendto(fd, data.data(), data.size(), MSG_DONTWAIT, &address.storage, address.length);
  });
  return n;
}

}  // namespace

UdpSocket::~UdpSocket() { close(); }

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), family_(other.family_), port_(other.port_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    port_ = other.port_;
  }
  return *this;
}

void UdpSocket::close() noexcept {
  if (fd_ >= 0) detail::system_calls().close(fd_);
  fd_ = -1;
}

Result<UdpSocket> UdpSocket::open(wire::Family family, const std::optional<wire::IpAddress>& source,
                                  std::uint16_t port) noexcept {
  if (source && source->family() != family) return errc::address_family_not_supported;
  const bool v4 = family == wire::Family::v4;
  const int fd = detail::system_calls().socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                               IPPROTO_UDP);
  if (fd < 0) return last_error();
  UdpSocket out;
  out.fd_ = fd;
  out.family_ = family;
  const int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
  if (auto r = linux_detail::set_int_option(fd, level, v4 ? IP_RECVERR : IPV6_RECVERR, 1); !r) return unexpected(r.error());
  if (auto r = linux_detail::set_int_option(fd, level, v4 ? IP_RECVTTL : IPV6_RECVHOPLIMIT, 1); !r) {
    return unexpected(r.error());
  }
  if (!v4) {
    // A v6 socket must not take v4-mapped traffic: its errors would arrive as
    // SO_EE_ORIGIN_ICMP records the caller does not expect.
    (void)linux_detail::set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  }
  const wire::IpAddress local = source ? *source : (v4 ? wire::IpAddress() : wire::IpAddress(wire::Ipv6Address{}));
  const auto address = linux_detail::to_sockaddr(local, port);
  if (detail::system_calls().bind(fd, &address.storage, address.length) != 0) return last_error();
  linux_detail::SocketAddress bound;
  std::uint32_t length = sizeof bound.storage;
  if (detail::system_calls().getsockname(fd, &bound.storage, &length) != 0) return last_error();
  std::uint16_t bound_port = 0;
  (void)linux_detail::from_sockaddr(&bound.storage, length, &bound_port);
  out.port_ = bound_port;
  return out;
}

Result<SendOutcome> send_datagram(const UdpSocket& socket, ConstBytes payload, const wire::IpAddress& destination,
                                  std::uint16_t port) noexcept {
  if (destination.family() != socket.family()) return errc::address_family_not_supported;
  const auto address = linux_detail::to_sockaddr(destination, port);
  std::ptrdiff_t n = send_once(socket.native_handle(), payload, address);
  if (n >= 0) return SendOutcome{static_cast<std::size_t>(n), false, {}};
  const int first_error = errno;
  if (linux_detail::is_would_block(first_error)) {
    return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
  }
  if (!is_reported_icmp_error(first_error)) return unexpected(errno_code(first_error));
  n = send_once(socket.native_handle(), payload, address);
  if (n < 0) {
    if (linux_detail::is_would_block(errno)) {
      return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    return last_error();
  }
  return SendOutcome{static_cast<std::size_t>(n), true, errno_code(first_error)};
}

Result<UdpErrorRecord> receive_udp_error(const UdpSocket& socket, MutableBytes buffer) noexcept {
  sockaddr_storage name{};
  alignas(cmsghdr) std::array<std::byte, recommended_control_size> control{};
  iovec vector{};
  msghdr message = linux_detail::make_message(name, vector, buffer, control);
  const std::ptrdiff_t n = linux_detail::retry_on_eintr([&] {
    return detail::system_calls().recvmsg(socket.native_handle(), &message, MSG_ERRQUEUE | MSG_DONTWAIT);
  });
  if (n < 0) {
    if (linux_detail::is_would_block(errno)) return errc::no_message;
    return last_error();
  }
  UdpErrorRecord out;
  bool have_error = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    const auto* data = CMSG_DATA(c);
    const std::size_t length = c->cmsg_len - CMSG_LEN(0);
    const bool is_error = (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR);
    if (is_error && length >= sizeof(sock_extended_err)) {
      sock_extended_err ee{};
      std::memcpy(&ee, data, sizeof ee);
      out.record.origin = static_cast<ErrorOrigin>(ee.ee_origin);
      out.record.icmp_type = ee.ee_type;
      out.record.icmp_code = ee.ee_code;
      out.record.info = ee.ee_info;
      out.record.data = ee.ee_data;
      out.record.error_number = static_cast<int>(ee.ee_errno);
      if (auto offender = linux_detail::from_sockaddr(data + sizeof ee, length - sizeof ee)) {
        out.record.offender = *offender;
        out.has_offender = true;
      }
      have_error = true;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      int ttl = 0;
      if (length >= sizeof ttl) {
        std::memcpy(&ttl, data, sizeof ttl);
        if (ttl >= 0 && ttl <= 255) out.record.ttl = wire::Ttl(static_cast<std::uint8_t>(ttl));
      }
    }
  }
  if (!have_error) return errc::bad_length;
  if (auto destination = linux_detail::from_sockaddr(&name, message.msg_namelen, &out.destination_port)) {
    out.record.original_destination = *destination;
  }
  out.record.truncated = (message.msg_flags & MSG_TRUNC) != 0;
  out.record.probe = ConstBytes(buffer).first(std::min(static_cast<std::size_t>(n), buffer.size()));
  return out;
}

Result<void> discard_datagram(const UdpSocket& socket) noexcept {
  std::array<std::byte, 2048> scratch{};
  iovec vector{scratch.data(), scratch.size()};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  const std::ptrdiff_t n = detail::system_calls().recvmsg(socket.native_handle(), &message, MSG_DONTWAIT);
  if (n >= 0) return {};
  if (linux_detail::is_would_block(errno)) {
    return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
  }
  return last_error();
}

Result<std::uint32_t> route_mtu(const wire::IpAddress& destination) noexcept {
  const bool v4 = destination.is_v4();
  const int fd = detail::system_calls().socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return last_error();
  const auto address = linux_detail::to_sockaddr(destination, 9);  // any port: nothing is sent
  Result<std::uint32_t> out = errc::invalid_argument;
  if (::connect(fd, address.get(), address.length) != 0) {
    out = last_error();
  } else if (auto mtu = linux_detail::get_int_option(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU)) {
    out = static_cast<std::uint32_t>(*mtu);
  } else {
    out = unexpected(mtu.error());
  }
  detail::system_calls().close(fd);
  return out;
}

}  // namespace icmpkit::sys
