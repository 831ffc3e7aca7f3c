// File: icmpkit/wire/builder.hpp
//
// Family-agnostic ICMP builders: any message from (type, code, rest of
// header, payload) for ICMP (RFC 792) and ICMPv6 (RFC 4443), and error
// messages that quote a datagram with optional RFC 4884 extensions.
//
// Checksums: ICMPv4 checksums are computed here. ICMPv6 checksums are left
// zero, because they cover an IPv6 pseudo-header (source and destination
// address) that only the sender knows, and every Linux ICMPv6 socket (raw or
// ping) computes them in the kernel; for raw frames (AF_PACKET) or tests call
// set_icmpv6_checksum from icmp.hpp afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// RFC 4884 §4.1: with extensions, the quoted datagram is zero-padded to at
/// least this many bytes so that old parsers still find all of it.
inline constexpr std::size_t rfc4884_min_original_datagram = 128;

/// Writes type, code, checksum, `rest` (bytes 4..7) and `payload` into `out`
/// and returns the message length.
/// ICMPv4: checksum computed. ICMPv6: checksum left zero (see file comment).
/// Errors: errc::payload_too_large (message > 65535 bytes),
/// errc::buffer_too_small.
Result<std::size_t> encode_icmp(Family family, std::uint8_t type, std::uint8_t code, std::array<std::byte, 4> rest,
                                ConstBytes payload, MutableBytes out) noexcept;

/// True when `type` carries an RFC 4884 length field: ICMPv4 3, 11, 12
/// (byte 5, 32-bit words); ICMPv6 1, 3 (byte 4, 64-bit words).
bool has_rfc4884_length(Family family, std::uint8_t type) noexcept;

/// Builds an error message quoting `original_datagram`, optionally followed
/// by an RFC 4884 extension structure `extensions` (already encoded,
/// including its header and checksum; see extensions.hpp).
///
/// Without extensions: the datagram is copied as given and, for types with
/// an RFC 4884 length field, that field is set to 0 ("no extensions").
/// With extensions: the datagram is zero-padded to at least 128 bytes and to
/// a whole number of 32-bit (v4) or 64-bit (v6) words, the length field is
/// set to that number of words, and the extensions follow. The other bytes
/// of `rest` (pointer, MTU, gateway…) are written as given.
///
/// ICMPv4: checksum computed. ICMPv6: checksum left zero (see file comment).
/// Size limits (576 bytes for v4 per RFC 1812, the minimum MTU for v6 per
/// RFC 4443) are the caller's policy: quote less to stay under them.
/// Errors: errc::invalid_argument (extensions for a type without a length
/// field, or a padded datagram longer than 255 words),
/// errc::payload_too_large, errc::buffer_too_small.
Result<std::size_t> encode_icmp_error(Family family, std::uint8_t type, std::uint8_t code,
                                      std::array<std::byte, 4> rest, ConstBytes original_datagram,
                                      ConstBytes extensions, MutableBytes out) noexcept;

}  // namespace icmpkit::wire
