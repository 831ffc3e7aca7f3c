// Internal helpers of the Linux socket layer: errno to error_code, sockaddr
// conversion, setsockopt through the seam.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::sys::linux_detail {

/// A one-buffer msghdr for recvmsg: `name` receives the sender's address,
/// `vector` describes `buffer`; both must outlive the message.
inline msghdr make_message(sockaddr_storage& name, iovec& vector, MutableBytes buffer, MutableBytes control) noexcept {
  vector.iov_base = buffer.data();
  vector.iov_len = buffer.size();
  msghdr message{};
  message.msg_name = &name;
  message.msg_namelen = sizeof name;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.empty() ? nullptr : control.data();
  message.msg_controllen = control.size();
  return message;
}

inline std::error_code errno_code(int error_number) noexcept {
  return {error_number, std::system_category()};
}
inline Unexpected last_error() noexcept { return unexpected(errno_code(errno)); }

/// A sockaddr big enough for either family.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
};

/// One IPv4 or IPv6 socket address in 28 bytes (a sockaddr_storage is 128,
/// and a send batch fills one per datagram).
union IpSocketAddress {
  sockaddr any;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

/// Writes `address` (and `port`) into `out`; returns its length.
inline socklen_t fill_sockaddr(const wire::IpAddress& address, IpSocketAddress& out,
                               std::uint16_t port = 0) noexcept {
  if (address.is_v4()) {
    out.v4 = sockaddr_in{};
    out.v4.sin_family = AF_INET;
    out.v4.sin_port = htons(port);
    const auto bytes = address.v4();
    std::memcpy(&out.v4.sin_addr, bytes.data(), 4);
    return sizeof out.v4;
  }
  out.v6 = sockaddr_in6{};
  out.v6.sin6_family = AF_INET6;
  out.v6.sin6_port = htons(port);
  const auto bytes = address.v6();
  std::memcpy(&out.v6.sin6_addr, bytes.data(), 16);
  out.v6.sin6_scope_id = address.scope_id();
  return sizeof out.v6;
}

inline SocketAddress to_sockaddr(const wire::IpAddress& address, std::uint16_t port = 0) noexcept {
  SocketAddress out;
  IpSocketAddress filled;
  out.length = fill_sockaddr(address, filled, port);
  std::memcpy(&out.storage, &filled, out.length);
  return out;
}

/// Address (and port) from a sockaddr; nullopt for another family or short length.
inline std::optional<wire::IpAddress> from_sockaddr(const void* address, std::size_t length,
                                                   std::uint16_t* port = nullptr) noexcept {
  if (length < sizeof(sa_family_t)) return std::nullopt;
  sa_family_t family{};
  std::memcpy(&family, address, sizeof family);
  if (family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in sin{};
    std::memcpy(&sin, address, sizeof sin);
    wire::Ipv4Address bytes{};
    std::memcpy(bytes.data(), &sin.sin_addr, 4);
    if (port) *port = ntohs(sin.sin_port);
    return wire::IpAddress(bytes);
  }
  if (family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, address, sizeof sin6);
    wire::Ipv6Address bytes{};
    std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
    if (port) *port = ntohs(sin6.sin6_port);
    return wire::IpAddress(bytes, sin6.sin6_scope_id);
  }
  return std::nullopt;
}

inline Result<void> set_int_option(int fd, int level, int name, int value) noexcept {
  if (detail::system_calls().setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
  return {};
}

inline Result<int> get_int_option(int fd, int level, int name) noexcept {
  int value = 0;
  std::uint32_t length = sizeof value;
  if (detail::system_calls().getsockopt(fd, level, name, &value, &length) != 0) return last_error();
  return value;
}

inline bool is_would_block(int error_number) noexcept {
  return error_number == EAGAIN || error_number == EWOULDBLOCK;
}

/// Calls `call` (a system call returning a negative value on failure) again
/// while it fails with EINTR, at most 100 times so a signal storm cannot spin
/// forever; returns the last result with errno as that call left it.
template <class Call>
auto retry_on_eintr(Call&& call) noexcept(noexcept(call())) {
  auto result = call();
  for (int attempt = 1; attempt < 100 && result < 0 && errno == EINTR; ++attempt) result = call();
  return result;
}

}  // namespace icmpkit::sys::linux_detail
