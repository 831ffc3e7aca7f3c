#include "icmpkit/wire/transport.hpp"

#include <algorithm>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

Result<UdpView> parse_udp(ConstBytes bytes, LengthCheck check) noexcept {
  if (bytes.size() < udp_header_size) return errc::truncated;
  UdpView v;
  v.source_port = load_be16(bytes, 0);
  v.destination_port = load_be16(bytes, 2);
  v.length = load_be16(bytes, 4);
  v.checksum = load_be16(bytes, 6);
  if (v.length < udp_header_size) return errc::bad_length;
  if (check == LengthCheck::strict && v.length > bytes.size()) return errc::bad_length;
  const std::size_t end = std::min<std::size_t>(v.length, bytes.size());
  v.payload = bytes.subspan(udp_header_size, end - udp_header_size);
  return v;
}

Result<std::size_t> encode_udp(std::uint16_t source_port, std::uint16_t destination_port, ConstBytes payload,
                               std::uint32_t pseudo_header_sum, MutableBytes out) noexcept {
  if (payload.size() > 0xffff - udp_header_size) return errc::payload_too_large;
  const std::size_t length = udp_header_size + payload.size();
  if (out.size() < length) return errc::buffer_too_small;
  detail::store_be16(out, 0, source_port);
  detail::store_be16(out, 2, destination_port);
  detail::store_be16(out, 4, static_cast<std::uint16_t>(length));
  detail::store_be16(out, 6, 0);
  std::copy(payload.begin(), payload.end(), out.begin() + udp_header_size);
  std::uint16_t sum = internet_checksum(out.first(length), pseudo_header_sum);
  // RFC 768: a computed zero is sent as all ones, since zero means "none".
  if (sum == 0) sum = 0xffff;
  detail::store_be16(out, 6, sum);
  return length;
}

namespace {

// Fills the fields whose bytes are present; shared by both TCP parsers.
void fill_tcp(ConstBytes bytes, TcpView& v) noexcept {
  v.available = std::min<std::size_t>(bytes.size(), 60);
  v.source_port = load_be16(bytes, 0);
  v.destination_port = load_be16(bytes, 2);
  v.seq = load_be32(bytes, 4);
  if (bytes.size() >= 12) v.ack = load_be32(bytes, 8);
  if (bytes.size() >= 13) v.data_offset = static_cast<std::uint8_t>(load_u8(bytes, 12) >> 4);
  if (bytes.size() >= 14) v.flags = static_cast<std::uint16_t>(load_be16(bytes, 12) & 0x01ff);
  if (bytes.size() >= 16) v.window = load_be16(bytes, 14);
  if (bytes.size() >= 18) v.checksum = load_be16(bytes, 16);
  if (bytes.size() >= 20) v.urgent_pointer = load_be16(bytes, 18);
}

}  // namespace

Result<TcpView> parse_tcp(ConstBytes bytes) noexcept {
  if (bytes.size() < tcp_min_header_size) return errc::truncated;
  TcpView v;
  fill_tcp(bytes, v);
  if (v.data_offset < 5) return errc::bad_length;
  if (v.header_length() > bytes.size()) return errc::truncated;
  v.complete = true;
  v.available = v.header_length();
  v.options = bytes.subspan(tcp_min_header_size, v.header_length() - tcp_min_header_size);
  v.payload = bytes.subspan(v.header_length());
  return v;
}

Result<TcpView> parse_tcp_quoted(ConstBytes bytes) noexcept {
  if (bytes.size() < tcp_quoted_min_size) return errc::truncated;
  TcpView v;
  fill_tcp(bytes, v);
  if (bytes.size() >= 13 && v.data_offset < 5) return errc::bad_length;
  if (bytes.size() >= tcp_min_header_size && v.header_length() <= bytes.size()) return parse_tcp(bytes);
  return v;
}

Result<std::size_t> encode_tcp(const TcpFields& fields, ConstBytes payload, std::uint32_t pseudo_header_sum,
                               MutableBytes out) noexcept {
  if (fields.options.size() % 4 != 0 || fields.options.size() > 40) return errc::invalid_argument;
  const std::size_t header_length = tcp_min_header_size + fields.options.size();
  if (payload.size() > 0xffff - header_length) return errc::payload_too_large;
  const std::size_t length = header_length + payload.size();
  if (out.size() < length) return errc::buffer_too_small;
  detail::store_be16(out, 0, fields.source_port);
  detail::store_be16(out, 2, fields.destination_port);
  detail::store_be32(out, 4, fields.seq);
  detail::store_be32(out, 8, fields.ack);
  detail::store_be16(out, 12,
                     static_cast<std::uint16_t>(((header_length / 4) << 12) | (fields.flags & 0x01ff)));
  detail::store_be16(out, 14, fields.window);
  detail::store_be16(out, 16, 0);
  detail::store_be16(out, 18, fields.urgent_pointer);
  std::copy(fields.options.begin(), fields.options.end(), out.begin() + tcp_min_header_size);
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<std::ptrdiff_t>(header_length));
  detail::store_be16(out, 16, internet_checksum(out.first(length), pseudo_header_sum));
  return length;
}

}  // namespace icmpkit::wire
