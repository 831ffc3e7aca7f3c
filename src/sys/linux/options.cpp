// Socket options on Linux. Levels and names from <netinet/in.h>,
// <linux/in6.h>, <asm-generic/socket.h>; ICMPV6_FILTER from <linux/icmpv6.h>.
#include "icmpkit/sys/options.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "icmpkit/sys/bpf.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/icmpv6_filter.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::get_int_option;
using linux_detail::last_error;
using linux_detail::set_int_option;

// <linux/icmpv6.h> conflicts with <netinet/icmp6.h>; the two numbers suffice.
constexpr int sol_icmpv6 = wire::icmpv6_filter_option::linux_level;
constexpr int icmpv6_filter_option = wire::icmpv6_filter_option::linux_name;
// ICMP_FILTER at level SOL_RAW, from <linux/icmp.h>, which cannot be
// included next to <net/if.h> (both define the IFF_* flags).
constexpr int icmpv4_type_filter_option = 1;

bool is_v4(SocketRef socket) noexcept { return socket.family == wire::Family::v4; }

Result<void> set_flag(SocketRef socket, int v4_level, int v4_name, int v6_level, int v6_name, bool on) noexcept {
  return is_v4(socket) ? set_int_option(socket.fd, v4_level, v4_name, on ? 1 : 0)
                       : set_int_option(socket.fd, v6_level, v6_name, on ? 1 : 0);
}

Result<std::size_t> set_buffer(SocketRef socket, int force_name, int name, std::size_t bytes) noexcept {
  const int value = static_cast<int>(std::min<std::size_t>(bytes, INT_MAX / 2));
  // SO_*BUFFORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN; a
  // refusal (EPERM) is expected for unprivileged callers and not an error.
  if (!set_int_option(socket.fd, SOL_SOCKET, force_name, value)) {
    if (auto plain = set_int_option(socket.fd, SOL_SOCKET, name, value); !plain) return unexpected(plain.error());
  }
  auto obtained = get_int_option(socket.fd, SOL_SOCKET, name);
  if (!obtained) return unexpected(obtained.error());
  return static_cast<std::size_t>(*obtained);
}

}  // namespace

Result<void> set_ttl(SocketRef socket, wire::Ttl ttl) noexcept {
  return is_v4(socket) ? set_int_option(socket.fd, IPPROTO_IP, IP_TTL, ttl.value())
                       : set_int_option(socket.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl.value());
}

Result<void> set_multicast_ttl(SocketRef socket, wire::Ttl ttl) noexcept {
  return is_v4(socket) ? set_int_option(socket.fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl.value())
                       : set_int_option(socket.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl.value());
}

Result<void> set_tos(SocketRef socket, std::uint8_t tos) noexcept {
  return is_v4(socket) ? set_int_option(socket.fd, IPPROTO_IP, IP_TOS, tos)
                       : set_int_option(socket.fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
}

Result<void> set_pmtu_mode(SocketRef socket, PmtuMode mode) noexcept {
  int v4 = IP_PMTUDISC_WANT;
  int v6 = IPV6_PMTUDISC_WANT;
  switch (mode) {
    case PmtuMode::dont: v4 = IP_PMTUDISC_DONT; v6 = IPV6_PMTUDISC_DONT; break;
    case PmtuMode::want: v4 = IP_PMTUDISC_WANT; v6 = IPV6_PMTUDISC_WANT; break;
    case PmtuMode::do_: v4 = IP_PMTUDISC_DO; v6 = IPV6_PMTUDISC_DO; break;
    case PmtuMode::probe: v4 = IP_PMTUDISC_PROBE; v6 = IPV6_PMTUDISC_PROBE; break;
  }
  return is_v4(socket) ? set_int_option(socket.fd, IPPROTO_IP, IP_MTU_DISCOVER, v4)
                       : set_int_option(socket.fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, v6);
}

Result<void> bind_source(SocketRef socket, const wire::IpAddress& source, wire::EchoId echo_id) noexcept {
  if (source.family() != socket.family) return errc::address_family_not_supported;
  // On a ping socket the "port" is the echo identifier (0: kernel picks).
  const std::uint16_t port = socket.kind == SocketKind::dgram ? echo_id.value() : 0;
  const auto address = linux_detail::to_sockaddr(source, port);
  if (detail::system_calls().bind(socket.fd, &address.storage, address.length) != 0) return last_error();
  return {};
}

Result<void> bind_device(SocketRef socket, std::string_view interface_name) noexcept {
  if (interface_name.size() >= IFNAMSIZ) return errc::invalid_argument;
  char name[IFNAMSIZ] = {};
  std::memcpy(name, interface_name.data(), interface_name.size());
  if (detail::system_calls().setsockopt(socket.fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                                        static_cast<std::uint32_t>(interface_name.size() + 1)) != 0) {
    return last_error();
  }
  return {};
}

Result<void> set_mark(SocketRef socket, std::uint32_t mark) noexcept {
  if (detail::system_calls().setsockopt(socket.fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) return last_error();
  return {};
}

Result<std::size_t> set_receive_buffer(SocketRef socket, std::size_t bytes) noexcept {
  return set_buffer(socket, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
}

Result<std::size_t> set_send_buffer(SocketRef socket, std::size_t bytes) noexcept {
  return set_buffer(socket, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
}

Result<void> set_nonblocking(SocketRef socket, bool nonblocking) noexcept {
  const auto& calls = detail::system_calls();
  const int flags = calls.fcntl(socket.fd, F_GETFL, 0);
  if (flags < 0) return last_error();
  const int wanted = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && calls.fcntl(socket.fd, F_SETFL, wanted) != 0) return last_error();
  return {};
}

Result<void> set_icmpv6_filter(SocketRef socket, const Icmpv6FilterWords& linux_words) noexcept {
  if (socket.family != wire::Family::v6 || socket.kind != SocketKind::raw) return errc::operation_not_supported;
  if (detail::system_calls().setsockopt(socket.fd, sol_icmpv6, icmpv6_filter_option, linux_words.data(),
                                        static_cast<std::uint32_t>(sizeof linux_words)) != 0) {
    return last_error();
  }
  return {};
}

Result<void> apply_icmpv6_filter(SocketRef socket, const wire::Icmpv6Filter& filter) noexcept {
  return set_icmpv6_filter(socket, filter.linux_words());
}

Icmpv6FilterWords default_icmpv6_filter_words() noexcept {
  // Linux layout: a set bit blocks the type (ICMPV6_FILTER_WILLBLOCK).
  Icmpv6FilterWords words;
  words.fill(0xFFFFFFFFu);
  namespace t = wire::icmpv6_type;
  for (const std::uint8_t type : {t::destination_unreachable, t::packet_too_big, t::time_exceeded,
                                  t::parameter_problem, t::echo_reply, t::extended_echo_reply}) {
    words[type >> 5] &= ~(1u << (type & 31));
  }
  return words;
}

Result<void> attach_icmpv4_filter(SocketRef socket, std::optional<wire::EchoId> only_id) noexcept {
  if (socket.family != wire::Family::v4 || socket.kind != SocketKind::raw) return errc::operation_not_supported;
  const BpfProgram program = icmpv4_reply_filter(only_id);
  sock_filter code[bpf_max_instructions];
  for (std::size_t i = 0; i < program.size; ++i) {
    const auto& insn = program.instructions[i];
    code[i] = sock_filter{insn.code, insn.jt, insn.jf, insn.k};
  }
  sock_fprog fprog{static_cast<unsigned short>(program.size), code};
  if (detail::system_calls().setsockopt(socket.fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    return last_error();
  }
  return {};
}

Result<void> set_icmpv4_type_filter(SocketRef socket) noexcept {
  if (socket.family != wire::Family::v4 || socket.kind != SocketKind::raw) return errc::operation_not_supported;
  const std::uint32_t blocked = icmpv4_blocked_types_mask();
  if (detail::system_calls().setsockopt(socket.fd, SOL_RAW, icmpv4_type_filter_option, &blocked, sizeof blocked) != 0) {
    return last_error();
  }
  return {};
}

Result<void> detach_filter(SocketRef socket) noexcept {
  int unused = 0;
  if (detail::system_calls().setsockopt(socket.fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) != 0) {
    return last_error();
  }
  return {};
}

Result<void> set_transmit_timestamps(SocketRef socket, bool on) noexcept {
  // TX_SCHED, not TX_SOFTWARE: the stamp is taken as the packet enters the
  // device's queueing discipline, not when the driver takes it, so time spent
  // in a local qdisc (a shaper, netem, a saturated uplink's fq_codel) counts
  // in the RTT as it does for ping(8), which reads the clock before sendmsg.
  // OPT_TSONLY: the record carries no copy of the packet (which would start
  // at the link-layer header, whose shape depends on the device).
  const int flags = on ? (SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                          SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY)
                       : 0;
  return set_int_option(socket.fd, SOL_SOCKET, SO_TIMESTAMPING, flags);
}

Result<void> set_receive_ttl(SocketRef socket, bool on) noexcept {
  return set_flag(socket, IPPROTO_IP, IP_RECVTTL, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on);
}
Result<void> set_receive_tos(SocketRef socket, bool on) noexcept {
  return set_flag(socket, IPPROTO_IP, IP_RECVTOS, IPPROTO_IPV6, IPV6_RECVTCLASS, on);
}
Result<void> set_receive_timestamps(SocketRef socket, bool on) noexcept {
  return set_int_option(socket.fd, SOL_SOCKET, SO_TIMESTAMPNS, on ? 1 : 0);
}
Result<void> set_receive_errors(SocketRef socket, bool on) noexcept {
  return set_flag(socket, IPPROTO_IP, IP_RECVERR, IPPROTO_IPV6, IPV6_RECVERR, on);
}
Result<void> set_receive_pktinfo(SocketRef socket, bool on) noexcept {
  return set_flag(socket, IPPROTO_IP, IP_PKTINFO, IPPROTO_IPV6, IPV6_RECVPKTINFO, on);
}

}  // namespace icmpkit::sys
