// From `icmpkit send` flags to the bytes of one ICMP/ICMPv6 message: the
// type given by name or number, and the flags that fill the 4 "rest of
// header" bytes (--id/--seq, --mtu, --pointer, --gateway, --rest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::tools {

/// A type number, or why the text names none.
struct TypeChoice {
  std::uint8_t type = 0;
  std::string error;  ///< Lists the valid names when the name is unknown.
  bool ok() const noexcept { return error.empty(); }
};

/// "echo-request", "8", "0x08" -> 8. Unknown names give an error listing
/// every valid name of the family.
TypeChoice parse_icmp_type(wire::Family family, std::string_view text);

/// Every type name of the family, comma separated.
std::string valid_type_names(wire::Family family);

/// The largest payload one ICMP datagram can carry without IPv6 jumbograms:
/// 65535 - 20 (IPv4 header) - 8 = 65507; 65535 - 8 = 65527 for ICMPv6
/// (the IPv6 payload length excludes its own header).
std::size_t max_payload(wire::Family family) noexcept;

/// The message fields as given on the command line.
struct MessageFlags {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  std::optional<std::vector<std::byte>> rest;  ///< --rest: all 4 bytes, wins over the fields.
  std::optional<std::uint32_t> mtu;
  std::optional<std::uint32_t> pointer;
  std::optional<wire::IpAddress> gateway;
  std::vector<std::byte> payload;
};

/// True for the types whose rest of header is identifier + sequence.
bool has_id_and_seq(wire::Family family, std::uint8_t type) noexcept;

/// The reply type a request type is answered with, if any (echo, timestamp,
/// information, address mask, extended echo, node information).
std::optional<std::uint8_t> reply_type_for(wire::Family family, std::uint8_t type) noexcept;

/// The encoded message, or the flag that does not fit the type.
struct BuiltMessage {
  std::vector<std::byte> bytes;
  std::string error;
  bool ok() const noexcept { return error.empty(); }
};

/// Builds the message (ICMPv4 checksum filled in; the kernel fills ICMPv6's).
/// Errors: --mtu/--pointer/--gateway on a type without that field, a --rest
/// that is not 4 bytes, a gateway of the wrong family, a payload too large.
BuiltMessage build_message(wire::Family family, const MessageFlags& flags);

}  // namespace icmpkit::tools
