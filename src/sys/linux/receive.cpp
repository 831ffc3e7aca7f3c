// recvmsg with control messages, and the IP_RECVERR error queue, on Linux.
//
// Control messages we understand (all others are ignored):
//   IPPROTO_IP   IP_TTL (int), IP_TOS (u8), IP_PKTINFO (in_pktinfo),
//                IP_RECVERR (sock_extended_err + offender sockaddr_in)
//   IPPROTO_IPV6 IPV6_HOPLIMIT (int), IPV6_TCLASS (int), IPV6_PKTINFO,
//                IPV6_RECVERR (sock_extended_err + offender sockaddr_in6)
//   SOL_SOCKET   SO_RXQ_OVFL (u32 drop count),
//                SCM_TIMESTAMPNS (timespec; the _NEW variant as two int64),
//                SCM_TIMESTAMPING (three timespecs: software time first),
//                SCM_TIMESTAMP (timeval)
#include "icmpkit/sys/receive.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "datagram.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::from_sockaddr;
using linux_detail::last_error;

// Values from <asm-generic/socket.h>, spelled out because glibc maps the
// plain names to one variant depending on the time_t ABI and a kernel may
// answer with either.
constexpr int so_timestamp_old = 29;
constexpr int so_timestampns_old = 35;
constexpr int so_timestamping_old = 37;
constexpr int so_timestamp_new = 63;
constexpr int so_timestampns_new = 64;
constexpr int so_timestamping_new = 65;
constexpr int so_rxq_ovfl = 40;  // SO_RXQ_OVFL: a u32 drop count

/// Fields both kinds of record take from control messages.
struct Ancillary {
  std::optional<wire::Ttl> ttl;
  std::optional<std::uint8_t> tos;
  std::optional<std::chrono::nanoseconds> timestamp;
  std::optional<wire::IpAddress> destination;
  std::uint32_t interface_index = 0;
  std::optional<std::uint32_t> dropped;
  const sock_extended_err* extended_error = nullptr;
  std::size_t extended_error_length = 0;
};

template <class T>
T read_as(const cmsghdr* cmsg) noexcept {
  T value{};
  const std::size_t available = cmsg->cmsg_len - CMSG_LEN(0);
  std::memcpy(&value, CMSG_DATA(cmsg), std::min(sizeof value, available));
  return value;
}

std::chrono::nanoseconds from_seconds_nanoseconds(std::int64_t seconds, std::int64_t nanoseconds) noexcept {
  return std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanoseconds);
}

Ancillary parse_ancillary(const msghdr& message) noexcept {
  Ancillary out;
  if (message.msg_control == nullptr) return out;
  for (const cmsghdr* cmsg = CMSG_FIRSTHDR(const_cast<msghdr*>(&message)); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(cmsg))) {
    if (cmsg->cmsg_len < CMSG_LEN(0)) break;
    const std::size_t data_length = cmsg->cmsg_len - CMSG_LEN(0);
    if (cmsg->cmsg_level == IPPROTO_IP) {
      switch (cmsg->cmsg_type) {
        case IP_TTL: out.ttl = wire::Ttl(static_cast<std::uint8_t>(read_as<int>(cmsg))); break;
        case IP_TOS: out.tos = read_as<std::uint8_t>(cmsg); break;
        case IP_PKTINFO: {
          if (data_length < sizeof(in_pktinfo)) break;
          const auto info = read_as<in_pktinfo>(cmsg);
          wire::Ipv4Address bytes{};
          std::memcpy(bytes.data(), &info.ipi_addr, 4);
          out.destination = wire::IpAddress(bytes);
          out.interface_index = static_cast<std::uint32_t>(info.ipi_ifindex);
          break;
        }
        case IP_RECVERR:
          out.extended_error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(cmsg));
          out.extended_error_length = data_length;
          break;
        default: break;
      }
    } else if (cmsg->cmsg_level == IPPROTO_IPV6) {
      switch (cmsg->cmsg_type) {
        case IPV6_HOPLIMIT: out.ttl = wire::Ttl(static_cast<std::uint8_t>(read_as<int>(cmsg))); break;
        case IPV6_TCLASS: out.tos = static_cast<std::uint8_t>(read_as<int>(cmsg)); break;
        case IPV6_PKTINFO: {
          if (data_length < sizeof(in6_pktinfo)) break;
          const auto info = read_as<in6_pktinfo>(cmsg);
          wire::Ipv6Address bytes{};
          std::memcpy(bytes.data(), &info.ipi6_addr, 16);
          out.destination = wire::IpAddress(bytes);
          out.interface_index = info.ipi6_ifindex;
          break;
        }
        case IPV6_RECVERR:
          out.extended_error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(cmsg));
          out.extended_error_length = data_length;
          break;
        default: break;
      }
    } else if (cmsg->cmsg_level == SOL_SOCKET) {
      switch (cmsg->cmsg_type) {
        case so_timestampns_old:
        case so_timestamping_old: {
          // For SO_TIMESTAMPING the software time is the first of three.
          if (data_length < sizeof(timespec)) break;
          const auto ts = read_as<timespec>(cmsg);
          if (ts.tv_sec != 0 || ts.tv_nsec != 0) out.timestamp = from_seconds_nanoseconds(ts.tv_sec, ts.tv_nsec);
          break;
        }
        case so_timestampns_new:
        case so_timestamping_new: {
          if (data_length < 2 * sizeof(std::int64_t)) break;
          std::int64_t ts[2] = {};
          std::memcpy(ts, CMSG_DATA(cmsg), sizeof ts);
          if (ts[0] != 0 || ts[1] != 0) out.timestamp = from_seconds_nanoseconds(ts[0], ts[1]);
          break;
        }
        case so_rxq_ovfl:
          if (data_length < sizeof(std::uint32_t)) break;
          out.dropped = read_as<std::uint32_t>(cmsg);
          break;
        case so_timestamp_old: {
          if (data_length < sizeof(timeval)) break;
          const auto tv = read_as<timeval>(cmsg);
          out.timestamp = from_seconds_nanoseconds(tv.tv_sec, std::int64_t{tv.tv_usec} * 1000);
          break;
        }
        case so_timestamp_new: {
          if (data_length < 2 * sizeof(std::int64_t)) break;
          std::int64_t tv[2] = {};
          std::memcpy(tv, CMSG_DATA(cmsg), sizeof tv);
          out.timestamp = from_seconds_nanoseconds(tv[0], tv[1] * 1000);
          break;
        }
        default: break;
      }
    }
  }
  return out;
}

/// recvmsg through the seam, EINTR retried a bounded number of times.
std::ptrdiff_t receive_message(int fd, msghdr& message, int flags) noexcept {
  const std::ptrdiff_t n = linux_detail::retry_on_eintr([&] { return detail::system_calls().recvmsg(fd, &message, flags); });
  return n;
}

}  // namespace

namespace linux_detail {

Result<ReceivedDatagram> make_datagram(SocketRef socket, const msghdr& message, std::size_t length,
                                       MutableBytes buffer) noexcept {
  ReceivedDatagram out;
  out.truncated = (message.msg_flags & MSG_TRUNC) != 0;
  out.control_truncated = (message.msg_flags & MSG_CTRUNC) != 0;
  if (auto source = from_sockaddr(message.msg_name, message.msg_namelen)) out.source = *source;
  const Ancillary ancillary = parse_ancillary(message);
  out.ttl = ancillary.ttl;
  out.tos = ancillary.tos;
  out.kernel_timestamp = ancillary.timestamp;
  out.destination = ancillary.destination;
  out.interface_index = ancillary.interface_index;
  out.dropped = ancillary.dropped;

  ConstBytes bytes = ConstBytes(buffer).first(std::min(length, buffer.size()));
  if (socket.family == wire::Family::v4 && socket.kind == SocketKind::raw) {
    // A raw IPv4 socket hands over the IP datagram; never trust IHL beyond
    // what was received.
    if (bytes.size() < 20) return errc::truncated;
    const auto first = std::to_integer<std::uint8_t>(bytes[0]);
    if ((first >> 4) != 4) return errc::bad_version;
    const std::size_t header_length = std::size_t{first & 0x0fu} * 4;
    if (header_length < 20) return errc::bad_length;
    if (bytes.size() < header_length) return errc::truncated;
    out.ip_header = bytes.first(header_length);
    bytes = bytes.subspan(header_length);
    if (!out.ttl) out.ttl = wire::Ttl(std::to_integer<std::uint8_t>(out.ip_header[8]));
    if (!out.tos) out.tos = std::to_integer<std::uint8_t>(out.ip_header[1]);
  }
  out.icmp = bytes;
  return out;
}

}  // namespace linux_detail

// The pending-error retry: skb_recv_datagram() returns sock_error(sk) before
// looking at the queue, so after an ICMP error was queued under IP_RECVERR
// the next recvmsg() fails once with its errno (measured on Linux 6.18: raw
// v4 socket, host unreachable queued, then recvmsg -> EHOSTUNREACH, then the
// queued datagrams). The error itself stays in the error queue.
Result<ReceivedDatagram> receive(SocketRef socket, MutableBytes buffer, MutableBytes control) noexcept {
  bool pending_error_reported = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    sockaddr_storage name{};
    iovec vector{};
    msghdr message = linux_detail::make_message(name, vector, buffer, control);
    const std::ptrdiff_t n = receive_message(socket.fd, message, MSG_DONTWAIT);
    if (n >= 0) {
      auto datagram = linux_detail::make_datagram(socket, message, static_cast<std::size_t>(n), buffer);
      if (datagram) datagram->pending_error_reported = pending_error_reported;
      return datagram;
    }
    const int error_number = errno;
    if (linux_detail::is_would_block(error_number)) {
      return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    if (attempt > 0 || !is_reported_icmp_error(error_number)) return unexpected(linux_detail::errno_code(error_number));
    pending_error_reported = true;
  }
  return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
}

Result<ErrorQueueRecord> receive_error(SocketRef socket, MutableBytes buffer, MutableBytes control) noexcept {
  sockaddr_storage name{};
  iovec vector{};
  msghdr message = linux_detail::make_message(name, vector, buffer, control);
  const std::ptrdiff_t n = receive_message(socket.fd, message, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (n < 0) {
    if (linux_detail::is_would_block(errno)) return errc::no_message;
    return last_error();
  }
  const Ancillary ancillary = parse_ancillary(message);
  if (ancillary.extended_error == nullptr || ancillary.extended_error_length < sizeof(sock_extended_err)) {
    return errc::bad_length;
  }
  sock_extended_err ee{};
  std::memcpy(&ee, ancillary.extended_error, sizeof ee);

  ErrorQueueRecord out;
  out.origin = static_cast<ErrorOrigin>(ee.ee_origin);
  out.icmp_type = ee.ee_type;
  out.icmp_code = ee.ee_code;
  out.info = ee.ee_info;
  out.data = ee.ee_data;
  out.error_number = static_cast<int>(ee.ee_errno);
  out.truncated = (message.msg_flags & MSG_TRUNC) != 0;
  out.ttl = ancillary.ttl;
  out.kernel_timestamp = ancillary.timestamp;
  // SO_EE_OFFENDER: the sockaddr right after the extended error, its family
  // AF_UNSPEC when the kernel knows none.
  const auto* offender = reinterpret_cast<const std::byte*>(ancillary.extended_error) + sizeof(sock_extended_err);
  if (auto address = from_sockaddr(offender, ancillary.extended_error_length - sizeof(sock_extended_err))) {
    out.offender = *address;
  } else {
    out.offender = socket.family == wire::Family::v4 ? wire::IpAddress() : wire::IpAddress(wire::Ipv6Address{});
  }
  if (auto destination = from_sockaddr(message.msg_name, message.msg_namelen)) out.original_destination = *destination;
  out.probe = ConstBytes(buffer).first(std::min(static_cast<std::size_t>(n), buffer.size()));
  return out;
}

int take_pending_error(SocketRef socket) noexcept {
  auto value = linux_detail::get_int_option(socket.fd, SOL_SOCKET, SO_ERROR);
  return value ? *value : 0;
}

}  // namespace icmpkit::sys
