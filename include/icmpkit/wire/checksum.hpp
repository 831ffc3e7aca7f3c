// File: icmpkit/wire/checksum.hpp
//
// The Internet checksum (RFC 1071, with the incremental form of RFC 1624 left
// to callers) and the ICMPv6 / UDP / TCP pseudo-header sums (RFC 8200 §8.1,
// RFC 768, RFC 793).
#pragma once

#include <array>
#include <cstdint>

#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// One's-complement sum of `data` (big-endian 16-bit words, odd byte padded
/// with zero) added to `initial`, folded to 16 bits but not complemented.
/// Chain calls to sum discontiguous pieces; only the last piece may be odd.
std::uint16_t ones_complement_sum(ConstBytes data, std::uint32_t initial = 0) noexcept;

/// The Internet checksum of `data`: the complement of its one's-complement sum.
/// A buffer that carries a correct checksum field checksums to 0.
std::uint16_t internet_checksum(ConstBytes data, std::uint32_t initial = 0) noexcept;

/// Folded (uncomplemented) sum of the IPv6 pseudo-header for an upper-layer
/// packet of `upper_length` bytes and next header `next_header`
/// (58 for ICMPv6): pass as `initial` to internet_checksum.
std::uint32_t ipv6_pseudo_header_sum(const Ipv6Address& source, const Ipv6Address& destination,
                                     std::uint32_t upper_length, std::uint8_t next_header) noexcept;

/// Folded (uncomplemented) sum of the IPv4 pseudo-header (UDP, TCP).
std::uint32_t ipv4_pseudo_header_sum(const Ipv4Address& source, const Ipv4Address& destination,
                                     std::uint16_t upper_length, std::uint8_t protocol) noexcept;

}  // namespace icmpkit::wire
