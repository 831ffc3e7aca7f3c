// ICMPv6 error and extended echo builders (RFC 4443 §3, RFC 4884 §4.1,
// RFC 8335). Checksums stay zero: the kernel fills them on ICMPv6 sockets.
#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmpv6.hpp"

namespace icmpkit::wire {

using detail::store_be16;
using detail::store_be32;
using detail::store_u8;

namespace {

constexpr std::size_t max_message = 65535;

// RFC 4884 §4.1: with extensions, the quote is padded to a multiple of 8 and
// to at least 128 bytes; ICMPv6 counts it in 64-bit words in byte 4.
Result<std::size_t> encode_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest, bool rfc4884,
                                 ConstBytes original, ConstBytes extensions, MutableBytes out) noexcept {
  std::size_t quoted = original.size();
  if (rfc4884 && !extensions.empty()) {
    quoted = std::max<std::size_t>((quoted + 7) / 8 * 8, 128);
    if (quoted / 8 > 0xff) return errc::invalid_argument;
    rest = (rest & 0x00ffffffu) | (static_cast<std::uint32_t>(quoted / 8) << 24);
  }
  const std::size_t length = icmp_header_size + quoted + extensions.size();
  if (length > max_message) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  store_u8(out, 0, type);
  store_u8(out, 1, code);
  store_be16(out, 2, 0);
  store_be32(out, 4, rest);
  auto at = out.begin() + static_cast<std::ptrdiff_t>(icmp_header_size);
  at = std::copy(original.begin(), original.end(), at);
  at = std::fill_n(at, quoted - original.size(), std::byte{0});
  std::copy(extensions.begin(), extensions.end(), at);
  return length;
}

}  // namespace

Result<std::size_t> encode_icmpv6_destination_unreachable(std::uint8_t code, ConstBytes original_datagram,
                                                          MutableBytes out, ConstBytes extensions) noexcept {
  return encode_error(icmpv6_type::destination_unreachable, code, 0, true, original_datagram, extensions, out);
}

Result<std::size_t> encode_icmpv6_packet_too_big(std::uint32_t mtu, ConstBytes original_datagram,
                                                 MutableBytes out) noexcept {
  return encode_error(icmpv6_type::packet_too_big, 0, mtu, false, original_datagram, {}, out);
}

Result<std::size_t> encode_icmpv6_time_exceeded(std::uint8_t code, ConstBytes original_datagram,
                                                MutableBytes out, ConstBytes extensions) noexcept {
  return encode_error(icmpv6_type::time_exceeded, code, 0, true, original_datagram, extensions, out);
}

Result<std::size_t> encode_icmpv6_parameter_problem(std::uint8_t code, std::uint32_t pointer,
                                                    ConstBytes original_datagram, MutableBytes out) noexcept {
  return encode_error(icmpv6_type::parameter_problem, code, pointer, false, original_datagram, {}, out);
}

Result<std::size_t> encode_icmpv6_extended_echo_request(EchoId id, std::uint8_t seq, bool local,
                                                        ConstBytes extensions, MutableBytes out) noexcept {
  const std::size_t length = icmp_header_size + extensions.size();
  if (length > max_message) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  store_u8(out, 0, icmpv6_type::extended_echo_request);
  store_u8(out, 1, 0);
  store_be16(out, 2, 0);
  store_be16(out, 4, id.value());
  store_u8(out, 6, seq);
  store_u8(out, 7, local ? 0x01 : 0x00);
  std::copy(extensions.begin(), extensions.end(), out.begin() + static_cast<std::ptrdiff_t>(icmp_header_size));
  return length;
}

Result<std::size_t> encode_icmpv6_extended_echo_reply(const Icmpv6ExtendedEchoReply& reply,
                                                      MutableBytes out) noexcept {
  if (reply.state > 7) return errc::invalid_argument;
  const std::size_t length = icmp_header_size + reply.data.size();
  if (length > max_message) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  store_u8(out, 0, icmpv6_type::extended_echo_reply);
  store_u8(out, 1, reply.code);
  store_be16(out, 2, 0);
  store_be16(out, 4, reply.id.value());
  store_u8(out, 6, reply.seq);
  store_u8(out, 7,
           static_cast<std::uint8_t>((reply.state << 5) | (reply.active ? 0x04 : 0) | (reply.ipv4 ? 0x02 : 0) |
                                     (reply.ipv6 ? 0x01 : 0)));
  std::copy(reply.data.begin(), reply.data.end(), out.begin() + static_cast<std::ptrdiff_t>(icmp_header_size));
  return length;
}

}  // namespace icmpkit::wire
