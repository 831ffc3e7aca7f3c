#include "icmpkit/wire/ethernet.hpp"

#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

Result<EthernetView> parse_ethernet(ConstBytes bytes) noexcept {
  if (bytes.size() < ethernet_header_size) return errc::truncated;
  EthernetView v;
  v.destination = detail::load_array<6>(bytes, 0);
  v.source = detail::load_array<6>(bytes, 6);
  v.ethertype = detail::load_be16(bytes, 12);
  std::size_t header_length = ethernet_header_size;
  if (v.ethertype == ethertype::vlan || v.ethertype == ethertype::qinq) {
    if (bytes.size() < ethernet_header_size + vlan_tag_size) return errc::truncated;
    v.tagged = true;
    v.tag_protocol = v.ethertype;
    const std::uint16_t tci = detail::load_be16(bytes, 14);
    v.priority = static_cast<std::uint8_t>(tci >> 13);
    v.drop_eligible = (tci & 0x1000) != 0;
    v.vlan_id = static_cast<std::uint16_t>(tci & 0x0fff);
    v.ethertype = detail::load_be16(bytes, 16);
    header_length += vlan_tag_size;
  }
  v.header = bytes.first(header_length);
  v.payload = bytes.subspan(header_length);
  return v;
}

Result<std::size_t> encode_ethernet_header(const EthernetFields& fields, MutableBytes out) noexcept {
  if (fields.tagged && (fields.priority > 7 || fields.vlan_id > 0x0fff)) return errc::invalid_argument;
  const std::size_t length = ethernet_header_size + (fields.tagged ? vlan_tag_size : 0);
  if (out.size() < length) return errc::buffer_too_small;
  std::copy(fields.destination.begin(), fields.destination.end(), out.begin());
  std::copy(fields.source.begin(), fields.source.end(), out.begin() + 6);
  if (fields.tagged) {
    detail::store_be16(out, 12, fields.tag_protocol);
    detail::store_be16(out, 14,
                       static_cast<std::uint16_t>((fields.priority << 13) | (fields.drop_eligible ? 0x1000 : 0) |
                                                  fields.vlan_id));
    detail::store_be16(out, 16, fields.ethertype);
  } else {
    detail::store_be16(out, 12, fields.ethertype);
  }
  return length;
}

}  // namespace icmpkit::wire
