// sendto() on Linux, and the one-shot failure after a queued ICMP error.
//
// What the kernel does (measured on Linux 6.18 in a two-namespace lab,
// tests/unit/sys/send_lab_test.cpp repeats it): when an ICMP error for one of
// our probes arrives on a socket with IP_RECVERR/IPV6_RECVERR, the error is
// queued on the error queue AND stored as the socket's pending error
// (sk_err). On a ping socket the next sendto() allocates its buffer with
// sock_alloc_send_skb(), which returns that pending error once and clears
// it: the call fails (EHOSTUNREACH for a v4 host unreachable, EACCES for a v6
// administratively prohibited, ECONNREFUSED for port unreachable, EMSGSIZE
// for frag needed ...) and NOTHING is sent; an immediate retry succeeds.
// Raw sockets append with sock_wmalloc(), which does not look at sk_err, so
// their sends do not fail this way (measured: four sends in a row after
// errors all succeeded). Reading the error queue empty also clears sk_err
// (sock_dequeue_err_skb), and so does getsockopt(SO_ERROR).
//
// So send_to() retries once on those errnos; when the retry succeeds the
// probe went out and pending_error_reported tells the caller to drain the
// error queue. A genuine local failure (no route, EMSGSIZE against the
// cached path MTU) fails the retry too and is returned.
#include "icmpkit/sys/send.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

std::ptrdiff_t send_once(SocketRef socket, ConstBytes icmp, const linux_detail::SocketAddress& address) noexcept {
  const std::ptrdiff_t n = linux_detail::retry_on_eintr([&] {
    return detail::system_calls().sendto(socket.fd, icmp.data(), icmp.size(), MSG_DONTWAIT, &address.storage, address.length);
  });
  return n;
}

}  // namespace

bool is_reported_icmp_error(int error_number) noexcept {
  // icmp_err_convert[] and icmpv6_err_convert(): the errnos ICMP errors map to.
  switch (error_number) {
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENOPROTOOPT:
    case ECONNREFUSED:
    case EMSGSIZE:
    case EOPNOTSUPP:
    case EHOSTDOWN:
    case ENONET:
    case EACCES:
    case EPROTO:
      return true;
    default:
      return false;
  }
}

Result<SendOutcome> send_to(SocketRef socket, ConstBytes icmp, const wire::IpAddress& destination) noexcept {
  if (destination.family() != socket.family) return errc::address_family_not_supported;
  const auto address = linux_detail::to_sockaddr(destination);
  std::ptrdiff_t n = send_once(socket, icmp, address);
  if (n >= 0) return SendOutcome{static_cast<std::size_t>(n), false, {}};
  const int first_error = errno;
  if (linux_detail::is_would_block(first_error)) {
    return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
  }
  if (!is_reported_icmp_error(first_error)) return unexpected(linux_detail::errno_code(first_error));
  n = send_once(socket, icmp, address);
  if (n < 0) {
    if (linux_detail::is_would_block(errno)) {
      return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    return linux_detail::last_error();
  }
  return SendOutcome{static_cast<std::size_t>(n), true, linux_detail::errno_code(first_error)};
}

}  // namespace icmpkit::sys
