// Typed decoders for the extension objects of RFC 4950, RFC 5837 and RFC 8335.
#include <cstring>

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/extensions.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

namespace {

// Names are padded with NULs to a 32-bit boundary; the padding is not part of the name.
std::string_view trimmed_name(ConstBytes bytes) noexcept {
  std::size_t length = bytes.size();
  while (length > 0 && bytes[length - 1] == std::byte{0}) --length;
  return {reinterpret_cast<const char*>(bytes.data()), length};
}

std::optional<IpAddress> ip_from(std::uint16_t family, ConstBytes address) noexcept {
  if (family == afi::ipv4 && address.size() == 4) return IpAddress(detail::load_array<4>(address, 0));
  if (family == afi::ipv6 && address.size() == 16) return IpAddress(detail::load_array<16>(address, 0));
  return std::nullopt;
}

}  // namespace

MplsLabelEntry MplsLabelStack::operator[](std::size_t index) const noexcept {
  const std::uint32_t word = load_be32(entries_, index * 4);
  MplsLabelEntry e;
  e.label = word >> 12;
  e.traffic_class = static_cast<std::uint8_t>((word >> 9) & 7);
  e.bottom_of_stack = (word & 0x100) != 0;
  e.ttl = static_cast<std::uint8_t>(word & 0xff);
  return e;
}

Result<MplsLabelStack> decode_mpls_label_stack(const ExtensionObject& object) noexcept {
  if (object.class_num != extension_class::mpls_label_stack || object.c_type != 1) return errc::wrong_type;
  if (object.payload.empty() || object.payload.size() % 4 != 0) return errc::bad_extension;
  return MplsLabelStack(object.payload);
}

Result<InterfaceInformation> decode_interface_information(const ExtensionObject& object) noexcept {
  if (object.class_num != extension_class::interface_information) return errc::wrong_type;
  InterfaceInformation info;
  const std::uint8_t c_type = object.c_type;
  info.role = static_cast<InterfaceRole>(c_type >> 6);
  const ConstBytes p = object.payload;
  std::size_t at = 0;
  // RFC 5837 §4.1: the parts appear in c-type bit order: ifIndex, IP address,
  // name, MTU.
  if (c_type & 0x08) {
    if (p.size() - at < 4) return errc::bad_extension;
    info.if_index = load_be32(p, at);
    at += 4;
  }
  if (c_type & 0x04) {
    if (p.size() - at < 4) return errc::bad_extension;
    const std::uint16_t family = load_be16(p, at);
    const std::size_t length = family == afi::ipv4 ? 4 : family == afi::ipv6 ? 16 : 0;
    if (length == 0) return errc::bad_extension;
    if (p.size() - at - 4 < length) return errc::bad_extension;
    info.address = ip_from(family, p.subspan(at + 4, length));
    at += 4 + length;
  }
  if (c_type & 0x02) {
    if (p.size() - at < 1) return errc::bad_extension;
    const std::size_t length = load_u8(p, at);
    if (length == 0 || length % 4 != 0 || length > 64 || p.size() - at < length) return errc::bad_extension;
    info.name = trimmed_name(p.subspan(at + 1, length - 1));
    at += length;
  }
  if (c_type & 0x01) {
    if (p.size() - at < 4) return errc::bad_extension;
    info.mtu = load_be32(p, at);
    at += 4;
  }
  if (at != p.size()) return errc::bad_extension;
  return info;
}

Result<InterfaceIdentification> decode_interface_identification(const ExtensionObject& object) noexcept {
  if (object.class_num != extension_class::interface_identification) return errc::wrong_type;
  InterfaceIdentification id;
  const ConstBytes p = object.payload;
  switch (object.c_type) {
    case 1:
      id.kind = InterfaceIdentificationKind::by_name;
      id.name = trimmed_name(p);
      if (id.name.empty()) return errc::bad_extension;
      return id;
    case 2:
      id.kind = InterfaceIdentificationKind::by_index;
      if (p.size() != 4) return errc::bad_extension;
      id.if_index = load_be32(p, 0);
      return id;
    case 3: {
      id.kind = InterfaceIdentificationKind::by_address;
      if (p.size() < 4) return errc::bad_extension;
      id.afi = load_be16(p, 0);
      const std::size_t length = load_u8(p, 2);
      if (length == 0 || p.size() - 4 < length) return errc::bad_extension;
      id.address = p.subspan(4, length);
      id.ip = ip_from(id.afi, id.address);
      return id;
    }
    default:
      return errc::bad_extension;
  }
}

}  // namespace icmpkit::wire
