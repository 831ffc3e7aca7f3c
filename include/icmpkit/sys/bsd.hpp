// File: icmpkit/sys/bsd.hpp
//
// The BSD/macOS socket behaviour as pure functions, compiled and unit-tested
// on every OS (no BSD headers needed), so the BSD socket layer is a thin
// shell around tested code. Facts, with sources:
//
// - A macOS/BSD IPv4 ICMP SOCK_DGRAM socket delivers the IPv4 header in
//   front of each message (rip_input hands the whole datagram to every
//   matching socket; macOS ping.c and FreeBSD ping.c parse `struct ip` first
//   on receive, for SOCK_DGRAM and SOCK_RAW alike). The TTL is taken from
//   that header. macOS ip_input may have converted ip_len to host order and
//   removed the header length from it, so ip_len is not trusted here.
// - The echo identifier is not rewritten on those sockets and every ICMP
//   message is delivered unfiltered (macOS ping.c filters by `icmp_id` itself
//   and sets `ident = getpid() & 0xFFFF`): belongs_to_us() decides.
// - The sender computes the ICMPv4 checksum (ping.c calls in_cksum on the
//   outgoing packet for SOCK_DGRAM too); ICMPv6 checksums are the kernel's
//   (RFC 3542 section 3.1).
// - ICMP6_FILTER is option 18 at level IPPROTO_ICMPV6 (58) on FreeBSD,
//   NetBSD, OpenBSD and macOS (netinet6/in6.h / icmp6.h), and a SET bit means
//   the type PASSES (ICMP6_FILTER_WILLPASS tests the bit), the inverse of
//   Linux (option 1, set bit = block).
//
// Untested on real BSD or macOS hardware.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys::bsd {

/// Socket option level/number of ICMP6_FILTER on BSD and macOS.
inline constexpr int ipproto_icmpv6 = 58;
inline constexpr int icmp6_filter_option = 18;
/// Linux's, for comparison (ICMPV6_FILTER at SOL_ICMPV6 = 58).
inline constexpr int linux_icmpv6_filter_option = 1;

/// What the kernel does for a socket of `kind` on BSD/macOS (see KernelDuties).
KernelDuties kernel_duties(wire::Family family, SocketKind kind) noexcept;

/// A v4 datagram as a BSD kernel hands it over, taken apart.
struct NormalisedDatagram {
  ConstBytes icmp;       ///< The ICMP message after the IPv4 header.
  ConstBytes ip_header;  ///< The IPv4 header (IHL * 4 bytes, options included).
  wire::Ttl ttl;         ///< From the IPv4 header.
  std::uint8_t tos = 0;  ///< From the IPv4 header.
};

/// Strips the IPv4 header a BSD/macOS v4 ICMP socket (DGRAM or RAW) puts in
/// front of each message.
/// Errors: errc::truncated (shorter than 20 bytes, or than IHL*4, or no
/// ICMP header after it); errc::bad_version (not version 4);
/// errc::bad_length (IHL < 5).
Result<NormalisedDatagram> normalise_v4_datagram(ConstBytes delivered) noexcept;

/// What a BSD receive path hands to callers: the datagram a BSD/macOS ICMP
/// socket of `family` delivered (IPv4 header in front for v4), from
/// `source`, as the same ReceivedDatagram the Linux layer produces (icmp
/// stripped, ttl/tos from the IPv4 header; v6 datagrams pass unchanged, their
/// hop limit comes from IPV6_HOPLIMIT control messages, not parsed here).
/// Errors: those of normalise_v4_datagram().
Result<ReceivedDatagram> to_received(wire::Family family, ConstBytes delivered,
                                     const wire::IpAddress& source) noexcept;

/// Whether an ICMP message (no IP header) received on an unfiltered socket
/// is ours: an echo reply (v4 type 0 / v6 type 129) carrying `id`, or an
/// error message (unreachable, time exceeded, parameter problem, source
/// quench/redirect for v4, packet too big for v6) quoting an echo request
/// (8 / 128) carrying `id`. Everything else (other hosts' pings, our own
/// requests looped back, other types) is not.
bool belongs_to_us(ConstBytes icmp, wire::Family family, wire::EchoId id) noexcept;

/// Writes the ICMPv4 checksum into bytes 2..3 of `icmp` (zeroing them first),
/// as a BSD sender must. Errors: errc::truncated (< 4 bytes).
Result<void> fill_icmpv4_checksum(MutableBytes icmp) noexcept;

/// The eight words of a BSD struct icmp6_filter (set bit = PASS; type t is
/// bit (t & 31) of word (t >> 5), host order, as ICMP6_FILTER_SETPASS does).
using FilterWords = std::array<std::uint32_t, 8>;

/// Converts Linux words (set bit = block) to BSD words and back: the same
/// bit positions, inverted.
FilterWords bsd_filter_from_linux(const FilterWords& linux_words) noexcept;
FilterWords linux_filter_from_bsd(const FilterWords& bsd_words) noexcept;

/// BSD ICMP6_FILTER_WILLPASS / SETPASS / SETBLOCK.
bool filter_will_pass(const FilterWords& bsd_words, std::uint8_t type) noexcept;
void filter_set_pass(FilterWords& bsd_words, std::uint8_t type) noexcept;
void filter_set_block(FilterWords& bsd_words, std::uint8_t type) noexcept;

}  // namespace icmpkit::sys::bsd
