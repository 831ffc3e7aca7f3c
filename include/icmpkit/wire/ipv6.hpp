// File: icmpkit/wire/ipv6.hpp
//
// The IPv6 fixed header (RFC 8200 §3): a checked view and a builder, and a
// walk of the extension-header chain (RFC 8200 §4, RFC 7045 for the generic
// format, RFC 4302 AH) that finds the upper-layer protocol. ICMPv6 errors
// quote this header; AF_PACKET captures carry it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

inline constexpr std::size_t ipv6_header_size = 40;

/// A checked view of an IPv6 fixed header inside the caller's buffer.
struct Ipv6HeaderView {
  std::uint8_t version = 6;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;     ///< 20 bits.
  std::uint16_t payload_length = 0; ///< As claimed by the header.
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 0;
  Ipv6Address source{};
  Ipv6Address destination{};
  ConstBytes header;   ///< The 40 fixed-header bytes.
  ConstBytes payload;  ///< After the fixed header, up to payload_length (less if quoted and cut).

  /// True when the payload holds all payload_length bytes.
  bool complete() const noexcept { return payload.size() == payload_length; }
};

/// Checks and views an IPv6 fixed header. Bytes past payload_length are left
/// out of `payload`. A zero payload length (jumbogram, RFC 2675) is taken literally.
/// Errors: errc::truncated (fewer than 40 bytes), errc::bad_version,
/// errc::bad_length (with LengthCheck::strict, payload length > buffer).
Result<Ipv6HeaderView> parse_ipv6(ConstBytes bytes, LengthCheck check = LengthCheck::strict) noexcept;

/// Fields of an IPv6 fixed header to build.
struct Ipv6HeaderFields {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;  ///< At most 0xfffff.
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 64;
  Ipv6Address source{};
  Ipv6Address destination{};
};

/// Writes a 40-byte IPv6 header for a payload of `payload_length` bytes.
/// Errors: errc::invalid_argument (flow label > 20 bits),
/// errc::payload_too_large (> 65535), errc::buffer_too_small.
Result<std::size_t> encode_ipv6_header(const Ipv6HeaderFields& fields, std::size_t payload_length,
                                       MutableBytes out) noexcept;

/// The most extension headers the walk follows before giving up (RFC 8504 §5.3
/// lets receivers limit the chain; real traffic has at most a handful).
inline constexpr std::size_t ipv6_max_extension_headers = 16;

/// Where the upper layer starts, found by walking the extension headers.
struct Ipv6UpperLayer {
  std::uint8_t protocol = 0;  ///< Upper-layer next header (58, 17, 6…), or 50 / 59 where the walk stopped.
  std::size_t offset = 0;     ///< Offset of the upper layer from the start of the IPv6 header.
  ConstBytes data;            ///< The upper layer bytes present (may be cut short in a quote).
  std::size_t extension_headers = 0;  ///< How many extension headers were skipped.
  bool fragment = false;              ///< A fragment header was seen.
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  ///< In 8-byte units; non-zero means `data` is not the upper header.
  std::uint32_t fragment_id = 0;

  /// True when `data` starts with the upper-layer header (not a later fragment,
  /// not ESP-encrypted, not "no next header").
  bool has_upper_header() const noexcept {
    return fragment_offset == 0 && protocol != ip_protocol::esp && protocol != ip_protocol::ipv6_no_next;
  }
};

/// Walks hop-by-hop, routing, fragment, destination options, AH, mobility,
/// HIP and shim6 headers. Stops at ESP, no-next-header, any other protocol
/// number, and after a non-first fragment's fragment header.
/// Errors: errc::truncated (a header runs past data that was cut short of
/// payload_length, as in a quote), errc::bad_length (a header runs past the
/// claimed payload length, or more than ipv6_max_extension_headers).
Result<Ipv6UpperLayer> find_upper_layer(const Ipv6HeaderView& header) noexcept;

}  // namespace icmpkit::wire
