// Raw IP sockets for TCP SYN probes on Linux. A SOCK_RAW socket of
// IPPROTO_TCP sends what we give it behind a kernel-built IP header (no
// IP_HDRINCL) and receives a copy of every TCP segment the host receives:
// on IPv4 with the IP header in front, on IPv6 without (RFC 3542 §3).
// The kernel computes no TCP checksum on either: the caller's segment
// carries it.
#include "icmpkit/sys/raw_ip_socket.hpp"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "icmpkit/error.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::last_error;

}  // namespace

RawIpSocket::~RawIpSocket() { close(); }
RawIpSocket::RawIpSocket(RawIpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), family_(other.family_) {}
RawIpSocket& RawIpSocket::operator=(RawIpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
  }
  return *this;
}
void RawIpSocket::close() noexcept {
  if (fd_ >= 0) detail::system_calls().close(fd_);
  fd_ = -1;
}

Result<RawIpSocket> RawIpSocket::open(wire::Family family, int protocol) noexcept {
  const bool v4 = family == wire::Family::v4;
  const int fd =
      detail::system_calls().socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    if (errno == EPERM || errno == EACCES) return errc::permission_denied;
    return last_error();
  }
  RawIpSocket out;
  out.fd_ = fd;
  out.family_ = family;
  if (!v4) {
    if (auto r = linux_detail::set_int_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1); !r) return unexpected(r.error());
  }
  return out;
}

BpfProgram tcp_port_filter(wire::Family family, std::uint16_t port) noexcept {
  BpfProgram program;
  auto add = [&](std::uint16_t code, std::uint8_t jt, std::uint8_t jf, std::uint32_t k) {
    program.instructions[program.size++] = BpfInstruction{code, jt, jf, k};
  };
  if (family == wire::Family::v4) {
    add(BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);  // x = IPv4 header length
    add(BPF_LD | BPF_H | BPF_IND, 0, 0, 2);   // TCP destination port
  } else {
    add(BPF_LD | BPF_H | BPF_ABS, 0, 0, 2);   // TCP destination port (no IP header)
  }
  add(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, port);
  add(BPF_RET | BPF_K, 0, 0, 0xffffffffu);
  add(BPF_RET | BPF_K, 0, 0, 0);
  return program;
}

Result<void> attach_tcp_port_filter(const RawIpSocket& socket, std::uint16_t port) noexcept {
  const BpfProgram program = tcp_port_filter(socket.family(), port);
  std::array<sock_filter, bpf_max_instructions> code{};
  for (std::size_t i = 0; i < program.size; ++i) {
    const auto& in = program.instructions[i];
    code[i] = sock_filter{in.code, in.jt, in.jf, in.k};
  }
  sock_fprog fprog{static_cast<unsigned short>(program.size), code.data()};
  if (detail::system_calls().setsockopt(socket.native_handle(), SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) !=
      0) {
    return last_error();
  }
  return {};
}

Result<RawSegment> receive_segment(const RawIpSocket& socket, MutableBytes buffer) noexcept {
  sockaddr_storage name{};
  alignas(cmsghdr) std::array<std::byte, 128> control{};
  iovec vector{};
  msghdr message = linux_detail::make_message(name, vector, buffer, control);
  const std::ptrdiff_t n = linux_detail::retry_on_eintr([&] {
    return detail::system_calls().recvmsg(socket.native_handle(), &message, MSG_DONTWAIT);
  });
  if (n < 0) {
    if (linux_detail::is_would_block(errno)) {
      return unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    return last_error();
  }
  RawSegment out;
  auto bytes = ConstBytes(buffer).first(std::min(static_cast<std::size_t>(n), buffer.size()));
  auto source = linux_detail::from_sockaddr(&name, message.msg_namelen);
  if (!source) return errc::bad_length;
  out.source = *source;
  if (socket.family() == wire::Family::v4) {
    if (bytes.size() < 20) return errc::truncated;
    const auto first = std::to_integer<unsigned>(bytes[0]);
    if ((first >> 4) != 4) return errc::bad_version;
    const std::size_t header = (first & 0x0fu) * 4u;
    if (header < 20 || header > bytes.size()) return errc::bad_length;
    out.ttl = wire::Ttl(std::to_integer<std::uint8_t>(bytes[8]));
    out.segment = bytes.subspan(header);
  } else {
    out.segment = bytes;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int hops = 0;
        std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
        if (hops >= 0 && hops <= 255) out.ttl = wire::Ttl(static_cast<std::uint8_t>(hops));
      }
    }
  }
  return out;
}

TcpPortReservation::~TcpPortReservation() {
  if (fd_ >= 0) detail::system_calls().close(fd_);
}
TcpPortReservation::TcpPortReservation(TcpPortReservation&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}
TcpPortReservation& TcpPortReservation::operator=(TcpPortReservation&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) detail::system_calls().close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

Result<TcpPortReservation> TcpPortReservation::reserve(const wire::IpAddress& source) noexcept {
  const int fd = detail::system_calls().socket(source.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  TcpPortReservation out;
  out.fd_ = fd;
  const auto address = linux_detail::to_sockaddr(source, 0);
  if (detail::system_calls().bind(fd, &address.storage, address.length) != 0) return last_error();
  linux_detail::SocketAddress bound;
  std::uint32_t length = sizeof bound.storage;
  if (detail::system_calls().getsockname(fd, &bound.storage, &length) != 0) return last_error();
  (void)linux_detail::from_sockaddr(&bound.storage, length, &out.port_);
  return out;
}

Result<wire::IpAddress> route_source(const wire::IpAddress& destination) noexcept {
  const int fd =
      detail::system_calls().socket(destination.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return last_error();
  const auto address = linux_detail::to_sockaddr(destination, 9);  // any port: nothing is sent
  Result<wire::IpAddress> out = errc::invalid_argument;
  linux_detail::SocketAddress local;
  std::uint32_t length = sizeof local.storage;
  if (::connect(fd, address.get(), address.length) != 0) {
    out = last_error();
  } else if (detail::system_calls().getsockname(fd, &local.storage, &length) != 0) {
    out = last_error();
  } else if (auto source = linux_detail::from_sockaddr(&local.storage, length)) {
    out = *source;
  }
  detail::system_calls().close(fd);
  return out;
}

}  // namespace icmpkit::sys
