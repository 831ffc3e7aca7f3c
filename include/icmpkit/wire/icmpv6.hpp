// File: icmpkit/wire/icmpv6.hpp
//
// Typed decoding and building of every ICMPv6 message (RFC 4443 and
// successors): destination unreachable (codes 0-8, RFC 4443, RFC 6550,
// RFC 8883), packet too big, time exceeded, parameter problem (codes 0-10,
// IANA), echo, MLD (RFC 2710, RFC 3810, see mld.hpp), Neighbor Discovery
// (RFC 4861, see ndp.hpp), Node Information (RFC 4620, see node_info.hpp) and
// extended echo (RFC 8335). Error bodies are split per RFC 4884. Unassigned
// types decode to their raw IcmpView: that is data, not an error.
//
// The ICMPv6 checksum covers an IPv6 pseudo-header, so decode_icmpv6(message)
// does not verify it; the overload taking the addresses does. Builders leave
// the checksum zero because the kernel fills it on every ICMPv6 socket; call
// set_icmpv6_checksum (icmp.hpp) for raw frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/mld.hpp"
#include "icmpkit/wire/ndp.hpp"
#include "icmpkit/wire/node_info.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// Destination unreachable codes (type 1), IANA.
namespace icmpv6_unreachable_code {
inline constexpr std::uint8_t no_route = 0;
inline constexpr std::uint8_t administratively_prohibited = 1;
inline constexpr std::uint8_t beyond_scope = 2;
inline constexpr std::uint8_t address_unreachable = 3;
inline constexpr std::uint8_t port_unreachable = 4;
inline constexpr std::uint8_t source_policy_failed = 5;  ///< Failed ingress/egress policy.
inline constexpr std::uint8_t reject_route = 6;
inline constexpr std::uint8_t source_routing_header_error = 7;  ///< RFC 6550.
inline constexpr std::uint8_t headers_too_long = 8;             ///< RFC 8883.
}  // namespace icmpv6_unreachable_code

/// Time exceeded codes (type 3).
namespace icmpv6_time_exceeded_code {
inline constexpr std::uint8_t hop_limit = 0;
inline constexpr std::uint8_t fragment_reassembly = 1;
}  // namespace icmpv6_time_exceeded_code

/// Parameter problem codes (type 4), IANA.
namespace icmpv6_parameter_problem_code {
inline constexpr std::uint8_t erroneous_header_field = 0;
inline constexpr std::uint8_t unrecognized_next_header = 1;
inline constexpr std::uint8_t unrecognized_option = 2;
inline constexpr std::uint8_t incomplete_header_chain = 3;        ///< RFC 7112.
inline constexpr std::uint8_t sr_upper_layer_header_error = 4;    ///< RFC 8754.
inline constexpr std::uint8_t unrecognized_next_header_intermediate = 5;  ///< RFC 8883.
inline constexpr std::uint8_t extension_header_too_big = 6;       ///< RFC 8883.
inline constexpr std::uint8_t extension_header_chain_too_long = 7;  ///< RFC 8883.
inline constexpr std::uint8_t too_many_extension_headers = 8;     ///< RFC 8883.
inline constexpr std::uint8_t too_many_options = 9;               ///< RFC 8883.
inline constexpr std::uint8_t option_too_big = 10;                ///< RFC 8883.
}  // namespace icmpv6_parameter_problem_code

/// Extended echo reply codes and interface states, RFC 8335 §3.
namespace extended_echo_code {
inline constexpr std::uint8_t no_error = 0;
inline constexpr std::uint8_t malformed_query = 1;
inline constexpr std::uint8_t no_such_interface = 2;
inline constexpr std::uint8_t no_such_table_entry = 3;
inline constexpr std::uint8_t multiple_interfaces = 4;
}  // namespace extended_echo_code
namespace extended_echo_state {
inline constexpr std::uint8_t reserved = 0;
inline constexpr std::uint8_t incomplete = 1;
inline constexpr std::uint8_t reachable = 2;
inline constexpr std::uint8_t stale = 3;
inline constexpr std::uint8_t delay = 4;
inline constexpr std::uint8_t probe = 5;
inline constexpr std::uint8_t failed = 6;
}  // namespace extended_echo_state

/// Destination Unreachable (type 1, RFC 4443 §3.1).
struct Icmpv6DestinationUnreachable {
  std::uint8_t code = 0;
  ErrorBody body;
};

/// Packet Too Big (type 2, RFC 4443 §3.2).
struct Icmpv6PacketTooBig {
  std::uint32_t mtu = 0;
  ErrorBody body;
};

/// Time Exceeded (type 3, RFC 4443 §3.3).
struct Icmpv6TimeExceeded {
  std::uint8_t code = 0;
  ErrorBody body;
};

/// Parameter Problem (type 4, RFC 4443 §3.4).
struct Icmpv6ParameterProblem {
  std::uint8_t code = 0;
  std::uint32_t pointer = 0;  ///< Offset into the original datagram of the problem.
  ErrorBody body;
};

/// Extended Echo Request (type 160, RFC 8335 §2).
struct Icmpv6ExtendedEchoRequest {
  EchoId id;
  std::uint8_t seq = 0;
  bool local = false;     ///< L bit: the probed interface is on the probed node.
  ConstBytes extensions;  ///< RFC 4884 extension structure (parse with extensions.hpp).
};

/// Extended Echo Reply (type 161, RFC 8335 §3).
struct Icmpv6ExtendedEchoReply {
  std::uint8_t code = 0;  ///< extended_echo_code::
  EchoId id;
  std::uint8_t seq = 0;
  std::uint8_t state = 0;  ///< extended_echo_state:: (meaningful for remote probes).
  bool active = false;     ///< A bit.
  bool ipv4 = false;       ///< 4 bit: interface runs IPv4.
  bool ipv6 = false;       ///< 6 bit: interface runs IPv6.
  ConstBytes data;         ///< Bytes after the header (Linux echoes the request's extensions).
};

/// Every ICMPv6 message, typed. An IcmpView is an unassigned (or not
/// specially handled) type: data, not an error. A type-130 message is an
/// MldMessage when it is 24 bytes long, an Mldv2Query when 28 or more.
using Icmpv6Message =
    std::variant<IcmpView, Icmpv6DestinationUnreachable, Icmpv6PacketTooBig, Icmpv6TimeExceeded,
                 Icmpv6ParameterProblem, EchoView, MldMessage, Mldv2Query, Mldv2Report,
                 NdpRouterSolicitation, NdpRouterAdvertisement, NdpNeighborSolicitation,
                 NdpNeighborAdvertisement, NdpRedirect, NodeInfoMessage, Icmpv6ExtendedEchoRequest,
                 Icmpv6ExtendedEchoReply>;

/// Decodes an ICMPv6 message (no checksum check, see the overload).
/// Errors: errc::truncated (shorter than the type's fixed part),
/// errc::bad_length (a count, option or RFC 4884 length overruns the message).
Result<Icmpv6Message> decode_icmpv6(ConstBytes message) noexcept;

/// As decode_icmpv6(message), after verifying the checksum with the
/// pseudo-header of `source` and `destination`.
/// Errors: errc::bad_checksum, and those of decode_icmpv6.
Result<Icmpv6Message> decode_icmpv6(ConstBytes message, const Ipv6Address& source,
                                    const Ipv6Address& destination) noexcept;

/// Typed decoders from a view, for callers that already switched on the type.
/// Errors: errc::wrong_type, errc::truncated, errc::bad_length.
Result<Icmpv6DestinationUnreachable> decode_icmpv6_destination_unreachable(const IcmpView& view) noexcept;
Result<Icmpv6PacketTooBig> decode_icmpv6_packet_too_big(const IcmpView& view) noexcept;
Result<Icmpv6TimeExceeded> decode_icmpv6_time_exceeded(const IcmpView& view) noexcept;
Result<Icmpv6ParameterProblem> decode_icmpv6_parameter_problem(const IcmpView& view) noexcept;
Result<Icmpv6ExtendedEchoRequest> decode_icmpv6_extended_echo_request(const IcmpView& view) noexcept;
Result<Icmpv6ExtendedEchoReply> decode_icmpv6_extended_echo_reply(const IcmpView& view) noexcept;

/// Code names ("no-route", "hop-limit", "unrecognized-next-header"…), or an
/// empty view for an unassigned code.
std::string_view icmpv6_unreachable_code_name(std::uint8_t code) noexcept;
std::string_view icmpv6_time_exceeded_code_name(std::uint8_t code) noexcept;
std::string_view icmpv6_parameter_problem_code_name(std::uint8_t code) noexcept;
std::string_view extended_echo_code_name(std::uint8_t code) noexcept;
std::string_view extended_echo_state_name(std::uint8_t state) noexcept;
/// The code name for any ICMPv6 type that names its codes; empty otherwise.
std::string_view icmpv6_code_name(std::uint8_t type, std::uint8_t code) noexcept;

// ---- builders: each returns the number of bytes written to `out` ----------
// The checksum is left zero (see the banner).

/// Destination unreachable quoting `original_datagram`. With `extensions`
/// non-empty the quote is zero-padded to a multiple of 8 and at least 128
/// bytes and the RFC 4884 length is set (RFC 4884 §4.1).
/// Errors: errc::buffer_too_small, errc::payload_too_large,
/// errc::invalid_argument (quote too long for the 8-bit length field).
Result<std::size_t> encode_icmpv6_destination_unreachable(std::uint8_t code, ConstBytes original_datagram,
                                                          MutableBytes out, ConstBytes extensions = {}) noexcept;
/// Errors: errc::buffer_too_small, errc::payload_too_large.
Result<std::size_t> encode_icmpv6_packet_too_big(std::uint32_t mtu, ConstBytes original_datagram,
                                                 MutableBytes out) noexcept;
/// As encode_icmpv6_destination_unreachable.
Result<std::size_t> encode_icmpv6_time_exceeded(std::uint8_t code, ConstBytes original_datagram,
                                                MutableBytes out, ConstBytes extensions = {}) noexcept;
/// Errors: errc::buffer_too_small, errc::payload_too_large.
Result<std::size_t> encode_icmpv6_parameter_problem(std::uint8_t code, std::uint32_t pointer,
                                                    ConstBytes original_datagram, MutableBytes out) noexcept;
/// Extended echo request; `extensions` is an encoded RFC 4884 structure
/// (extensions.hpp). Errors: errc::buffer_too_small, errc::payload_too_large.
Result<std::size_t> encode_icmpv6_extended_echo_request(EchoId id, std::uint8_t seq, bool local,
                                                        ConstBytes extensions, MutableBytes out) noexcept;
/// Extended echo reply from the fields of `reply` (its `data` is appended).
/// Errors: errc::buffer_too_small, errc::invalid_argument (state > 7).
Result<std::size_t> encode_icmpv6_extended_echo_reply(const Icmpv6ExtendedEchoReply& reply,
                                                      MutableBytes out) noexcept;

}  // namespace icmpkit::wire
