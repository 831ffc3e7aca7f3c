// File: icmpkit/wire/icmp.hpp
//
// The family-independent core of the codec: the ICMP type numbers of both
// families, a checked view of any ICMP message's fixed header (RFC 792,
// RFC 4443 §2.1), echo request/reply (RFC 792, RFC 4443 §4) and the split of
// an error message's body into the original datagram and RFC 4884 extensions.
// Typed decoders for every message live in icmpv4.hpp and icmpv6.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// ICMP (IPv4) message types, IANA "ICMP Type Numbers".
namespace icmpv4_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t destination_unreachable = 3;
inline constexpr std::uint8_t source_quench = 4;
inline constexpr std::uint8_t redirect = 5;
inline constexpr std::uint8_t router_advertisement = 9;
inline constexpr std::uint8_t router_solicitation = 10;
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
inline constexpr std::uint8_t parameter_problem = 12;
inline constexpr std::uint8_t timestamp_request = 13;
inline constexpr std::uint8_t timestamp_reply = 14;
inline constexpr std::uint8_t information_request = 15;
inline constexpr std::uint8_t information_reply = 16;
inline constexpr std::uint8_t address_mask_request = 17;
inline constexpr std::uint8_t address_mask_reply = 18;
inline constexpr std::uint8_t extended_echo_request = 42;
inline constexpr std::uint8_t extended_echo_reply = 43;
}  // namespace icmpv4_type

/// ICMPv6 message types, IANA "ICMPv6 Type Numbers".
namespace icmpv6_type {
inline constexpr std::uint8_t destination_unreachable = 1;
inline constexpr std::uint8_t packet_too_big = 2;
inline constexpr std::uint8_t time_exceeded = 3;
inline constexpr std::uint8_t parameter_problem = 4;
inline constexpr std::uint8_t echo_request = 128;
inline constexpr std::uint8_t echo_reply = 129;
inline constexpr std::uint8_t mld_query = 130;
inline constexpr std::uint8_t mld_report = 131;
inline constexpr std::uint8_t mld_done = 132;
inline constexpr std::uint8_t router_solicitation = 133;
inline constexpr std::uint8_t router_advertisement = 134;
inline constexpr std::uint8_t neighbor_solicitation = 135;
inline constexpr std::uint8_t neighbor_advertisement = 136;
inline constexpr std::uint8_t redirect = 137;
inline constexpr std::uint8_t node_information_query = 139;
inline constexpr std::uint8_t node_information_reply = 140;
inline constexpr std::uint8_t mldv2_report = 143;
inline constexpr std::uint8_t extended_echo_request = 160;
inline constexpr std::uint8_t extended_echo_reply = 161;
}  // namespace icmpv6_type

/// Every ICMP message starts with type, code, checksum and a 4-byte
/// "rest of header" whose meaning depends on the type.
inline constexpr std::size_t icmp_header_size = 8;

/// A checked view of one ICMP message inside the caller's buffer.
struct IcmpView {
  Family family = Family::v4;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  std::array<std::byte, 4> rest{};  ///< Bytes 4..7: identifier/sequence, MTU, pointer, gateway…
  ConstBytes body;                  ///< Bytes after the 8-byte header.
  ConstBytes bytes;                 ///< The whole message.

  /// The rest-of-header word as a big-endian 32-bit number.
  std::uint32_t rest_u32() const noexcept;
};

/// Checks that `bytes` holds at least an 8-byte ICMP header and returns a view.
/// Errors: errc::truncated. Never verifies the checksum (see verify_icmpv4_checksum).
Result<IcmpView> parse_icmp(Family family, ConstBytes bytes) noexcept;

/// True when the ICMPv4 checksum over the whole message verifies.
bool verify_icmpv4_checksum(ConstBytes message) noexcept;

/// True when the ICMPv6 checksum verifies against the pseudo-header.
bool verify_icmpv6_checksum(ConstBytes message, const Ipv6Address& source,
                            const Ipv6Address& destination) noexcept;

/// Writes the ICMPv4 checksum into bytes 2..3 of `message` (field zeroed first).
void set_icmpv4_checksum(MutableBytes message) noexcept;

/// Writes the ICMPv6 checksum (with pseudo-header) into bytes 2..3 of `message`.
/// Sockets compute it themselves; this is for raw frames (AF_PACKET) and tests.
void set_icmpv6_checksum(MutableBytes message, const Ipv6Address& source,
                         const Ipv6Address& destination) noexcept;

/// Coarse classes of message, the same for both families, for engines that
/// match probes without caring which family they speak.
enum class MessageKind : std::uint8_t {
  echo_request,
  echo_reply,
  destination_unreachable,
  packet_too_big,  ///< ICMPv6 type 2; ICMPv4 reports it as unreachable code 4.
  time_exceeded,
  parameter_problem,
  redirect,
  source_quench,
  other_error,          ///< Any other error type (ICMPv6 types 0..127).
  other_informational,  ///< Every other message.
};

MessageKind kind_of(Family family, std::uint8_t type) noexcept;

/// True for the types that quote the datagram that caused them.
bool is_error_type(Family family, std::uint8_t type) noexcept;

/// Human name of a type ("echo-request", "destination-unreachable"…), or
/// an empty view when the type is unassigned.
std::string_view type_name(Family family, std::uint8_t type) noexcept;

/// Type number for a name as printed by type_name (also accepts the number).
std::optional<std::uint8_t> type_from_name(Family family, std::string_view name) noexcept;

/// Echo request or reply (RFC 792, RFC 4443 §4.1/4.2).
struct EchoView {
  bool is_reply = false;
  EchoId id;
  EchoSeq seq;
  ConstBytes data;
};

/// Errors: errc::wrong_type when the view is not an echo request or reply.
Result<EchoView> decode_echo(const IcmpView& view) noexcept;

/// Encodes an echo request (or reply) into `out` and returns its length.
/// ICMPv4: checksum computed. ICMPv6: checksum left zero, because the kernel
/// computes it on every ICMPv6 socket (use set_icmpv6_checksum for raw frames).
/// Errors: errc::buffer_too_small.
Result<std::size_t> encode_echo(Family family, bool reply, EchoId id, EchoSeq seq, ConstBytes data,
                                MutableBytes out) noexcept;

/// An error message's body split per RFC 4884.
struct ErrorBody {
  ConstBytes original_datagram;  ///< As much of the offending datagram as was quoted.
  ConstBytes extensions;         ///< The extension structure (empty when absent).
  bool rfc4884_length = false;   ///< True when the sender set the RFC 4884 length field.
};

/// Splits an error message's body. The RFC 4884 length lives in byte 5
/// (32-bit words) for ICMPv4 types 3, 11, 12 and in byte 4 (64-bit words) for
/// ICMPv6 types 1 and 3. A length that overruns the body is errc::bad_length.
/// A zero length means no extensions (the "non-compliant" 128-byte form is
/// left to parse_extensions_compat in extensions.hpp).
/// Errors: errc::not_an_error_message, errc::bad_length.
Result<ErrorBody> split_error_body(const IcmpView& view) noexcept;

}  // namespace icmpkit::wire
