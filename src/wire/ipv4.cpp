#include "icmpkit/wire/ipv4.hpp"

#include <algorithm>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_array;
using detail::load_be16;
using detail::load_u8;

bool Ipv4HeaderView::checksum_valid() const noexcept { return internet_checksum(header) == 0; }

Result<Ipv4HeaderView> parse_ipv4(ConstBytes bytes, LengthCheck check) noexcept {
  if (bytes.size() < ipv4_min_header_size) return errc::truncated;
  Ipv4HeaderView v;
  const std::uint8_t first = load_u8(bytes, 0);
  v.version = static_cast<std::uint8_t>(first >> 4);
  if (v.version != 4) return errc::bad_version;
  v.ihl = static_cast<std::uint8_t>(first & 0x0f);
  if (v.ihl < 5) return errc::bad_length;
  const std::size_t header_length = v.header_length();
  if (header_length > bytes.size()) return errc::truncated;
  v.tos = load_u8(bytes, 1);
  v.total_length = load_be16(bytes, 2);
  if (v.total_length < header_length) return errc::bad_length;
  if (check == LengthCheck::strict && v.total_length > bytes.size()) return errc::bad_length;
  v.id = load_be16(bytes, 4);
  const std::uint16_t flags_offset = load_be16(bytes, 6);
  v.reserved_flag = (flags_offset & 0x8000) != 0;
  v.dont_fragment = (flags_offset & 0x4000) != 0;
  v.more_fragments = (flags_offset & 0x2000) != 0;
  v.fragment_offset = static_cast<std::uint16_t>(flags_offset & 0x1fff);
  v.ttl = load_u8(bytes, 8);
  v.protocol = load_u8(bytes, 9);
  v.checksum = load_be16(bytes, 10);
  v.source = load_array<4>(bytes, 12);
  v.destination = load_array<4>(bytes, 16);
  v.header = bytes.first(header_length);
  v.options = bytes.subspan(ipv4_min_header_size, header_length - ipv4_min_header_size);
  const std::size_t end = std::min<std::size_t>(v.total_length, bytes.size());
  v.payload = bytes.subspan(header_length, end - header_length);
  return v;
}

Result<std::size_t> encode_ipv4_header(const Ipv4HeaderFields& fields, std::size_t payload_length,
                                       MutableBytes out) noexcept {
  if (fields.options.size() % 4 != 0 || fields.options.size() > ipv4_max_header_size - ipv4_min_header_size) {
    return errc::invalid_argument;
  }
  if (fields.fragment_offset > 0x1fff) return errc::invalid_argument;
  const std::size_t header_length = ipv4_min_header_size + fields.options.size();
  if (payload_length > 0xffff - header_length) return errc::payload_too_large;
  if (out.size() < header_length) return errc::buffer_too_small;
  using detail::store_be16;
  using detail::store_u8;
  store_u8(out, 0, static_cast<std::uint8_t>(0x40 | (header_length / 4)));
  store_u8(out, 1, fields.tos);
  store_be16(out, 2, static_cast<std::uint16_t>(header_length + payload_length));
  store_be16(out, 4, fields.id);
  std::uint16_t flags_offset = fields.fragment_offset;
  if (fields.dont_fragment) flags_offset |= 0x4000;
  if (fields.more_fragments) flags_offset |= 0x2000;
  store_be16(out, 6, flags_offset);
  store_u8(out, 8, fields.ttl);
  store_u8(out, 9, fields.protocol);
  store_be16(out, 10, 0);
  std::copy(fields.source.begin(), fields.source.end(), out.begin() + 12);
  std::copy(fields.destination.begin(), fields.destination.end(), out.begin() + 16);
  std::copy(fields.options.begin(), fields.options.end(), out.begin() + 20);
  store_be16(out, 10, internet_checksum(out.first(header_length)));
  return header_length;
}

}  // namespace icmpkit::wire
