// File: icmpkit/wire/ip_protocol.hpp
//
// IANA "Assigned Internet Protocol Numbers" used by the IPv4 protocol field and
// the IPv6 next-header chain (RFC 8200 §4), and the one switch every IP and
// transport decoder shares: whether a datagram may be shorter than its own
// length field says (true of datagrams quoted inside ICMP errors, RFC 792 /
// RFC 4443 §2.4, which carry only the first bytes of the original).
#pragma once

#include <cstdint>

namespace icmpkit::wire {

namespace ip_protocol {
inline constexpr std::uint8_t hop_by_hop = 0;   ///< IPv6 Hop-by-Hop Options (RFC 8200 §4.3)
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t ipv6_routing = 43;   ///< RFC 8200 §4.4
inline constexpr std::uint8_t ipv6_fragment = 44;  ///< RFC 8200 §4.5
inline constexpr std::uint8_t esp = 50;            ///< RFC 4303: encrypted, the walk stops
inline constexpr std::uint8_t ah = 51;             ///< RFC 4302: length in 4-octet units
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t ipv6_no_next = 59;
inline constexpr std::uint8_t ipv6_destination_options = 60;  ///< RFC 8200 §4.6
inline constexpr std::uint8_t mobility = 135;                 ///< RFC 6275
inline constexpr std::uint8_t hip = 139;                      ///< RFC 7401
inline constexpr std::uint8_t shim6 = 140;                    ///< RFC 5533
}  // namespace ip_protocol

/// How a decoder treats a length field that claims more bytes than the buffer holds.
enum class LengthCheck : std::uint8_t {
  strict,  ///< A whole datagram: a length past the buffer is errc::bad_length.
  quoted,  ///< The head of a datagram quoted in an ICMP error: expose what is there.
};

}  // namespace icmpkit::wire
