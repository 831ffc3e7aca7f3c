// File: icmpkit/wire/node_info.hpp
//
// ICMPv6 Node Information query (type 139) and reply (type 140), RFC 4620.
// The view exposes qtype, flags, nonce and the data (subject of a query,
// answer of a reply) as bytes; interpreting names (DNS wire format) and
// addresses is left to the caller.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// Qtypes, RFC 4620 §4.
namespace node_info_qtype {
inline constexpr std::uint16_t noop = 0;
inline constexpr std::uint16_t node_name = 2;
inline constexpr std::uint16_t node_addresses = 3;
inline constexpr std::uint16_t ipv4_addresses = 4;
}  // namespace node_info_qtype

/// Flags of Node Addresses / IPv4 Addresses queries, RFC 4620 §4.
namespace node_info_flag {
inline constexpr std::uint16_t truncated = 0x0001;   ///< T
inline constexpr std::uint16_t all = 0x0002;         ///< A
inline constexpr std::uint16_t compatible = 0x0004;  ///< C
inline constexpr std::uint16_t link_local = 0x0008;  ///< L
inline constexpr std::uint16_t site_local = 0x0010;  ///< S
inline constexpr std::uint16_t global = 0x0020;      ///< G
}  // namespace node_info_flag

/// Query codes (what the subject is) and reply codes, RFC 4620 §4.
namespace node_info_code {
inline constexpr std::uint8_t subject_ipv6 = 0;
inline constexpr std::uint8_t subject_name = 1;
inline constexpr std::uint8_t subject_ipv4 = 2;
inline constexpr std::uint8_t success = 0;
inline constexpr std::uint8_t refused = 1;
inline constexpr std::uint8_t unknown_qtype = 2;
}  // namespace node_info_code

/// Fixed part of a node information message: 8-byte ICMP header + 8-byte nonce.
inline constexpr std::size_t node_info_header_size = 16;

/// A Node Information query or reply.
struct NodeInfoMessage {
  bool is_reply = false;
  std::uint8_t code = 0;
  std::uint16_t qtype = 0;
  std::uint16_t flags = 0;
  std::array<std::byte, 8> nonce{};
  ConstBytes data;  ///< Query subject or reply data.
};

/// Errors: errc::wrong_type (not 139/140), errc::truncated (under 16 bytes).
Result<NodeInfoMessage> decode_node_info(const IcmpView& view) noexcept;

/// Encodes a query or reply (checksum left zero).
/// Errors: errc::buffer_too_small, errc::payload_too_large.
Result<std::size_t> encode_node_info(const NodeInfoMessage& message, MutableBytes out) noexcept;

/// "noop", "node-name", "node-addresses", "ipv4-addresses", or "" if unassigned.
std::string_view node_info_qtype_name(std::uint16_t qtype) noexcept;

}  // namespace icmpkit::wire
