// File: icmpkit/wire/ipv4.hpp
//
// The IPv4 header (RFC 791, RFC 2474/3168 for the TOS byte): a checked view
// and a builder with the header checksum (RFC 1071). Raw IPv4 sockets and
// AF_PACKET hand us this header; ICMP errors quote it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

inline constexpr std::size_t ipv4_min_header_size = 20;
inline constexpr std::size_t ipv4_max_header_size = 60;

/// A checked view of an IPv4 header inside the caller's buffer.
struct Ipv4HeaderView {
  std::uint8_t version = 4;
  std::uint8_t ihl = 5;  ///< Header length in 32-bit words (5..15).
  std::uint8_t tos = 0;  ///< DSCP (upper 6 bits) and ECN (lower 2).
  std::uint16_t total_length = 0;  ///< As claimed by the header.
  std::uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  bool reserved_flag = false;          ///< The "evil bit" (RFC 3514): must be zero, exposed as seen.
  std::uint16_t fragment_offset = 0;   ///< In 8-byte units.
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  std::uint16_t checksum = 0;
  Ipv4Address source{};
  Ipv4Address destination{};
  ConstBytes options;  ///< Bytes 20..IHL*4 (empty without options).
  ConstBytes header;   ///< The whole header, IHL*4 bytes.
  ConstBytes payload;  ///< After the header, up to total_length (less if quoted and cut).

  std::size_t header_length() const noexcept { return std::size_t{ihl} * 4; }
  std::uint8_t dscp() const noexcept { return static_cast<std::uint8_t>(tos >> 2); }
  std::uint8_t ecn() const noexcept { return static_cast<std::uint8_t>(tos & 3); }
  /// True when this is a fragment (MF set or a non-zero offset).
  bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
  /// True when the header checksum verifies.
  bool checksum_valid() const noexcept;
  /// True when the payload holds all total_length - header bytes (always so when strict).
  bool complete() const noexcept { return payload.size() + header_length() == total_length; }
};

/// Checks and views an IPv4 header. Trailing bytes past total_length (link
/// padding) are left out of `payload`. The checksum is not verified (see
/// checksum_valid()), because quoted headers are often rewritten by NAT.
/// Errors: errc::truncated (fewer than 20 bytes, or fewer than IHL*4),
/// errc::bad_version (version nibble not 4), errc::bad_length (IHL < 5,
/// total length < IHL*4, or with LengthCheck::strict total length > buffer).
Result<Ipv4HeaderView> parse_ipv4(ConstBytes bytes, LengthCheck check = LengthCheck::strict) noexcept;

/// Fields of an IPv4 header to build.
struct Ipv4HeaderFields {
  std::uint8_t tos = 0;
  std::uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  ///< In 8-byte units, at most 8191.
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  Ipv4Address source{};
  Ipv4Address destination{};
  ConstBytes options;  ///< Already encoded, a multiple of 4 bytes, at most 40.
};

/// Writes an IPv4 header for a payload of `payload_length` bytes into `out`,
/// with its checksum, and returns the header length.
/// Errors: errc::invalid_argument (options not a multiple of 4 or longer than
/// 40, fragment offset > 8191), errc::payload_too_large (total > 65535),
/// errc::buffer_too_small.
Result<std::size_t> encode_ipv4_header(const Ipv4HeaderFields& fields, std::size_t payload_length,
                                       MutableBytes out) noexcept;

}  // namespace icmpkit::wire
