#include "icmpkit/wire/ipv6.hpp"

#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_array;
using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

Result<Ipv6HeaderView> parse_ipv6(ConstBytes bytes, LengthCheck check) noexcept {
  if (bytes.size() < ipv6_header_size) return errc::truncated;
  Ipv6HeaderView v;
  const std::uint32_t first = load_be32(bytes, 0);
  v.version = static_cast<std::uint8_t>(first >> 28);
  if (v.version != 6) return errc::bad_version;
  v.traffic_class = static_cast<std::uint8_t>((first >> 20) & 0xff);
  v.flow_label = first & 0xfffff;
  v.payload_length = load_be16(bytes, 4);
  const std::size_t available = bytes.size() - ipv6_header_size;
  if (check == LengthCheck::strict && v.payload_length > available) return errc::bad_length;
  v.next_header = load_u8(bytes, 6);
  v.hop_limit = load_u8(bytes, 7);
  v.source = load_array<16>(bytes, 8);
  v.destination = load_array<16>(bytes, 24);
  v.header = bytes.first(ipv6_header_size);
  v.payload = bytes.subspan(ipv6_header_size, std::min<std::size_t>(v.payload_length, available));
  return v;
}

Result<std::size_t> encode_ipv6_header(const Ipv6HeaderFields& fields, std::size_t payload_length,
                                       MutableBytes out) noexcept {
  if (fields.flow_label > 0xfffff) return errc::invalid_argument;
  if (payload_length > 0xffff) return errc::payload_too_large;
  if (out.size() < ipv6_header_size) return errc::buffer_too_small;
  detail::store_be32(out, 0, (std::uint32_t{6} << 28) | (std::uint32_t{fields.traffic_class} << 20) | fields.flow_label);
  detail::store_be16(out, 4, static_cast<std::uint16_t>(payload_length));
  detail::store_u8(out, 6, fields.next_header);
  detail::store_u8(out, 7, fields.hop_limit);
  std::copy(fields.source.begin(), fields.source.end(), out.begin() + 8);
  std::copy(fields.destination.begin(), fields.destination.end(), out.begin() + 24);
  return ipv6_header_size;
}

namespace {

// Headers in the RFC 7045 generic format: next header, length in 8-octet units
// not counting the first 8.
bool is_generic_extension(std::uint8_t nh) noexcept {
  return nh == ip_protocol::hop_by_hop || nh == ip_protocol::ipv6_routing ||
         nh == ip_protocol::ipv6_destination_options || nh == ip_protocol::mobility || nh == ip_protocol::hip ||
         nh == ip_protocol::shim6;
}

}  // namespace

Result<Ipv6UpperLayer> find_upper_layer(const Ipv6HeaderView& header) noexcept {
  const ConstBytes data = header.payload;
  // A header that runs past the bytes we have is "truncated" when the datagram
  // itself was cut short (a quote) and a lie about its length otherwise.
  const errc overrun = header.complete() ? errc::bad_length : errc::truncated;
  Ipv6UpperLayer out;
  std::uint8_t nh = header.next_header;
  std::size_t at = 0;
  // Every step advances at least 8 bytes, so the walk ends; the count bound
  // only caps work on hostile chains.
  while (true) {
    const bool generic = is_generic_extension(nh);
    if (!generic && nh != ip_protocol::ipv6_fragment && nh != ip_protocol::ah) break;
    if (out.extension_headers == ipv6_max_extension_headers) return errc::bad_length;
    if (data.size() - at < 8) return overrun;
    std::size_t length = 8;
    if (generic) {
      length = (std::size_t{load_u8(data, at + 1)} + 1) * 8;
    } else if (nh == ip_protocol::ah) {
      length = (std::size_t{load_u8(data, at + 1)} + 2) * 4;
    }
    if (data.size() - at < length) return overrun;
    const std::uint8_t next = load_u8(data, at);
    ++out.extension_headers;
    if (nh == ip_protocol::ipv6_fragment) {
      const std::uint16_t off_flags = load_be16(data, at + 2);
      out.fragment = true;
      out.fragment_offset = static_cast<std::uint16_t>(off_flags >> 3);
      out.more_fragments = (off_flags & 1) != 0;
      out.fragment_id = load_be32(data, at + 4);
      at += length;
      nh = next;
      // A later fragment carries the middle of the upper layer, not its
      // headers: following its next-header byte would misread data.
      if (out.fragment_offset != 0) break;
      continue;
    }
    at += length;
    nh = next;
  }
  out.protocol = nh;
  out.offset = ipv6_header_size + at;
  out.data = data.subspan(at);
  return out;
}

}  // namespace icmpkit::wire
