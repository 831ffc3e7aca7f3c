// File: icmpkit/wire/quoted.hpp
//
// The datagram quoted inside an ICMP error (RFC 792 "Internet Header + 64 bits
// of Original Data Datagram", RFC 1812 §4.3.2.3 "as much as possible",
// RFC 4443 §2.4(c)): its IP header and the first bytes of its upper layer,
// decoded into the probe it came from (ICMP echo, UDP, TCP). This is how a
// pinger or tracer matches an error to the probe that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// A quoted ICMP echo request or reply (same family as the quote).
struct QuotedEcho {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  EchoId id;
  EchoSeq seq;
};

/// A quoted UDP header.
struct QuotedUdp {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint16_t length = 0;
  std::uint16_t checksum = 0;
};

/// The first 8 bytes of a quoted TCP header (all RFC 792 guarantees).
struct QuotedTcp {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
};

/// Any other upper layer, fewer than the 8 bytes a typed probe needs, a
/// non-first fragment, or an encrypted (ESP) payload: the bytes are in
/// QuotedDatagram::upper_layer.
struct QuotedOther {};

using QuotedProbe = std::variant<QuotedOther, QuotedEcho, QuotedUdp, QuotedTcp>;

/// The quoted datagram, decoded.
struct QuotedDatagram {
  Family family = Family::v4;
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;      ///< IPv4 protocol, or the IPv6 upper-layer next header.
  Ttl ttl;                        ///< TTL / hop limit as it was when the error was made.
  std::uint32_t total_length = 0; ///< Claimed datagram length (IPv6: 40 + payload length).
  std::uint16_t ipv4_id = 0;      ///< IPv4 identification (0 for IPv6).
  std::uint8_t tos = 0;           ///< IPv4 TOS / IPv6 traffic class.
  std::uint32_t flow_label = 0;   ///< IPv6 only.
  bool fragment = false;          ///< The quoted datagram was a fragment.
  std::uint16_t fragment_offset = 0;  ///< In 8-byte units.
  ConstBytes ip_header;           ///< The quoted IP header (IPv6: fixed header plus extension headers).
  ConstBytes upper_layer;         ///< Quoted upper-layer bytes, however many there are.
  QuotedProbe probe;              ///< The upper layer as a typed probe.

  /// True when the whole original datagram was quoted.
  bool complete() const noexcept { return ip_header.size() + upper_layer.size() >= total_length; }
};

/// Decodes the quoted datagram of an ICMP error of `family` (IPv4 for ICMP,
/// IPv6 for ICMPv6). The claimed length may exceed the quote.
/// Errors: errc::truncated (no whole IP header), errc::bad_version (IP version
/// does not match the family), errc::bad_length (IHL or an IPv6 extension
/// header is inconsistent), errc::truncated also when IPv6 extension headers
/// are cut off before the upper layer.
Result<QuotedDatagram> decode_quoted(Family family, ConstBytes original_datagram) noexcept;

/// Same, from the body split by split_error_body.
inline Result<QuotedDatagram> decode_quoted(Family family, const ErrorBody& body) noexcept {
  return decode_quoted(family, body.original_datagram);
}

}  // namespace icmpkit::wire
