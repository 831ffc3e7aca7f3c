// File: icmpkit/wire/ethernet.hpp
//
// Ethernet II frames (IEEE 802.3 with EtherType) with an optional IEEE 802.1Q
// / 802.1ad tag: what AF_PACKET sockets and pcap captures carry in front of
// the IP header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

using MacAddress = std::array<std::byte, 6>;

inline constexpr std::size_t ethernet_header_size = 14;
inline constexpr std::size_t vlan_tag_size = 4;

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;  ///< IEEE 802.1Q customer tag
inline constexpr std::uint16_t qinq = 0x88a8;  ///< IEEE 802.1ad service tag
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

/// A checked view of an Ethernet II header (and its one VLAN tag, if any).
struct EthernetView {
  MacAddress destination{};
  MacAddress source{};
  std::uint16_t ethertype = 0;  ///< Of the payload, i.e. after the tag when tagged.
  bool tagged = false;
  std::uint16_t tag_protocol = 0;  ///< 0x8100 or 0x88a8 when tagged.
  std::uint8_t priority = 0;       ///< PCP, 3 bits.
  bool drop_eligible = false;      ///< DEI.
  std::uint16_t vlan_id = 0;       ///< 12 bits.
  ConstBytes header;               ///< 14 or 18 bytes.
  ConstBytes payload;              ///< Everything after the header (may include link padding).
};

/// Checks and views an Ethernet II header. Values below 0x0600 in the type
/// field are IEEE 802.3 lengths, not EtherTypes; they are exposed as they are.
/// Only the outermost tag is decoded: the ethertype after it is returned
/// even when it is itself a tag (Q-in-Q), so a caller can loop.
/// Errors: errc::truncated.
Result<EthernetView> parse_ethernet(ConstBytes bytes) noexcept;

/// Fields of an Ethernet II header to build.
struct EthernetFields {
  MacAddress destination{};
  MacAddress source{};
  std::uint16_t ethertype = ethertype::ipv4;
  bool tagged = false;
  std::uint16_t tag_protocol = ethertype::vlan;
  std::uint8_t priority = 0;  ///< At most 7.
  bool drop_eligible = false;
  std::uint16_t vlan_id = 0;  ///< At most 4095.
};

/// Writes the 14- (or 18-) byte header and returns its length.
/// Errors: errc::invalid_argument (priority > 7, vlan_id > 4095), errc::buffer_too_small.
Result<std::size_t> encode_ethernet_header(const EthernetFields& fields, MutableBytes out) noexcept;

}  // namespace icmpkit::wire
