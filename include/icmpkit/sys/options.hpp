// File: icmpkit/sys/options.hpp
//
// Socket options an ICMP prober needs (TTL / hop limit, TOS / traffic class,
// path MTU discovery, source address and device, mark, buffer sizes, the
// ICMPv6 type filter of RFC 3542 section 3.2 and a classic BPF filter for raw
// IPv4), as free functions on a SocketRef. Each returns the OS error when the
// kernel refuses (std::system_category) so the caller sees the real cause.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/icmpv6_filter.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// Unicast IPv4 TTL (IP_TTL) or IPv6 hop limit (IPV6_UNICAST_HOPS).
/// Errors: OS error (EBADF, ...).
Result<void> set_ttl(SocketRef socket, wire::Ttl ttl) noexcept;

/// Multicast TTL (IP_MULTICAST_TTL) or hop limit (IPV6_MULTICAST_HOPS).
Result<void> set_multicast_ttl(SocketRef socket, wire::Ttl ttl) noexcept;

/// IPv4 TOS byte (IP_TOS) or IPv6 traffic class (IPV6_TCLASS).
Result<void> set_tos(SocketRef socket, std::uint8_t tos) noexcept;

/// Path MTU discovery (IP_MTU_DISCOVER / IPV6_MTU_DISCOVER).
enum class PmtuMode : std::uint8_t {
  dont,   ///< Never set DF; fragment locally.
  want,   ///< Use PMTU discovery, fragment when needed (Linux default).
  do_,    ///< Always set DF; sends larger than the path MTU fail with EMSGSIZE.
  probe,  ///< Set DF and ignore the cached path MTU (send what we ask).
};
/// Errors: OS error.
Result<void> set_pmtu_mode(SocketRef socket, PmtuMode mode) noexcept;

/// Binds to a source address. On a ping socket `echo_id` is the requested
/// identifier (0: let the kernel pick one; read it with local_echo_id()).
/// Errors: errc::address_family_not_supported if `source` is of the other
/// family; OS error (EADDRNOTAVAIL, EADDRINUSE, EINVAL if already bound).
Result<void> bind_source(SocketRef socket, const wire::IpAddress& source,
                         wire::EchoId echo_id = wire::EchoId{0}) noexcept;

/// SO_BINDTODEVICE: send and receive through one interface only.
/// Errors: errc::invalid_argument for a name longer than IFNAMSIZ-1; OS error
/// (ENODEV, EPERM without CAP_NET_RAW on older kernels).
Result<void> bind_device(SocketRef socket, std::string_view interface_name) noexcept;

/// SO_MARK (policy routing, nftables). Errors: OS error (EPERM without CAP_NET_ADMIN).
Result<void> set_mark(SocketRef socket, std::uint32_t mark) noexcept;

/// Receive buffer: tries SO_RCVBUFFORCE (exceeds net.core.rmem_max; needs
/// CAP_NET_ADMIN) then SO_RCVBUF. Returns the size the kernel reports
/// afterwards (Linux doubles the request for its bookkeeping).
Result<std::size_t> set_receive_buffer(SocketRef socket, std::size_t bytes) noexcept;

/// Send buffer: SO_SNDBUFFORCE then SO_SNDBUF; returns the size obtained.
Result<std::size_t> set_send_buffer(SocketRef socket, std::size_t bytes) noexcept;

/// O_NONBLOCK on or off.
Result<void> set_nonblocking(SocketRef socket, bool nonblocking) noexcept;

/// The eight 32-bit words of an ICMPv6 type filter in Linux layout (a set bit
/// BLOCKS the type; struct icmp6_filter of <netinet/icmp6.h>).
using Icmpv6FilterWords = std::array<std::uint32_t, 8>;

/// Installs an ICMPv6 type filter given as Linux words (ICMPV6_FILTER, level
/// IPPROTO_ICMPV6). Raw v6 sockets only.
/// Errors: errc::operation_not_supported on a v4 or dgram socket; OS error.
Result<void> set_icmpv6_filter(SocketRef socket, const Icmpv6FilterWords& linux_words) noexcept;

/// Installs a wire::Icmpv6Filter (uses its linux_words()). Same errors.
Result<void> apply_icmpv6_filter(SocketRef socket, const wire::Icmpv6Filter& filter) noexcept;

/// The filter open() installs on raw v6: passes echo reply, destination
/// unreachable, packet too big, time exceeded, parameter problem (and
/// extended echo reply, RFC 8335); blocks everything else.
Icmpv6FilterWords default_icmpv6_filter_words() noexcept;

/// Attaches the classic BPF program of sys/bpf.hpp to a raw IPv4 socket
/// (SO_ATTACH_FILTER): echo replies (only with `only_id` if given) and ICMP
/// error messages pass, everything else is dropped in the kernel.
/// Errors: errc::operation_not_supported on v6 or dgram; OS error.
Result<void> attach_icmpv4_filter(SocketRef socket,
                                  std::optional<wire::EchoId> only_id = std::nullopt) noexcept;

/// Sets the raw IPv4 socket's ICMP_FILTER type mask (Linux): the types the
/// BPF program above passes (sys/bpf.hpp, icmpv4_blocked_types_mask), tested
/// by the kernel before it even clones a packet for the socket, so our own
/// echo requests looping back on lo and other programs' ICMP cost nothing.
/// This is what open() installs; the BPF program is for identifier filtering.
/// Errors: errc::operation_not_supported on v6 or dgram; OS error.
Result<void> set_icmpv4_type_filter(SocketRef socket) noexcept;

/// Removes any classic BPF filter (SO_DETACH_FILTER).
Result<void> detach_filter(SocketRef socket) noexcept;

/// Software transmit timestamps: SO_TIMESTAMPING with TX_SCHED,
/// RX_SOFTWARE, SOFTWARE, OPT_ID and OPT_TSONLY. Each successful send then
/// queues an error-queue record (receive_error) with origin
/// ErrorOrigin::txstatus, no probe bytes, `data` = the index of that send on
/// this socket (0, 1, 2 ... counting successful sends only; a send that failed
/// with the one-shot pending error takes no index, measured on Linux 6.18)
/// and `kernel_timestamp` = when the packet entered the device's queueing
/// discipline (CLOCK_REALTIME), so a wait in a local qdisc counts in an RTT
/// as it does for ping(8). Received datagrams carry the software receive time as
/// with SO_TIMESTAMPNS. Off turns SO_TIMESTAMPING off entirely.
/// Errors: OS error.
Result<void> set_transmit_timestamps(SocketRef socket, bool on) noexcept;

/// Turns a receive-side ancillary option on or off after open().
Result<void> set_receive_ttl(SocketRef socket, bool on) noexcept;
Result<void> set_receive_tos(SocketRef socket, bool on) noexcept;
Result<void> set_receive_timestamps(SocketRef socket, bool on) noexcept;
Result<void> set_receive_errors(SocketRef socket, bool on) noexcept;
Result<void> set_receive_pktinfo(SocketRef socket, bool on) noexcept;

}  // namespace icmpkit::sys
