#include "icmpkit/wire/builder.hpp"

#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::wire {
namespace {

constexpr std::size_t max_message = 65535;

// Where the RFC 4884 length lives and how big its unit is.
struct LengthField {
  std::size_t offset_in_rest = 0;
  std::size_t word = 0;  // 0 when the type has no length field
};

LengthField length_field(Family family, std::uint8_t type) noexcept {
  if (family == Family::v4) {
    if (type == icmpv4_type::destination_unreachable || type == icmpv4_type::time_exceeded ||
        type == icmpv4_type::parameter_problem) {
      return {1, 4};
    }
    return {};
  }
  if (type == icmpv6_type::destination_unreachable || type == icmpv6_type::time_exceeded) return {0, 8};
  return {};
}

void write_header(std::uint8_t type, std::uint8_t code, const std::array<std::byte, 4>& rest,
                  MutableBytes out) noexcept {
  detail::store_u8(out, 0, type);
  detail::store_u8(out, 1, code);
  detail::store_be16(out, 2, 0);
  std::copy(rest.begin(), rest.end(), out.begin() + 4);
}

}  // namespace

bool has_rfc4884_length(Family family, std::uint8_t type) noexcept { return length_field(family, type).word != 0; }

Result<std::size_t> encode_icmp(Family family, std::uint8_t type, std::uint8_t code, std::array<std::byte, 4> rest,
                                ConstBytes payload, MutableBytes out) noexcept {
  if (payload.size() > max_message - icmp_header_size) return errc::payload_too_large;
  const std::size_t length = icmp_header_size + payload.size();
  if (out.size() < length) return errc::buffer_too_small;
  write_header(type, code, rest, out);
  std::copy(payload.begin(), payload.end(), out.begin() + icmp_header_size);
  if (family == Family::v4) set_icmpv4_checksum(out.first(length));
  return length;
}

Result<std::size_t> encode_icmp_error(Family family, std::uint8_t type, std::uint8_t code,
                                      std::array<std::byte, 4> rest, ConstBytes original_datagram,
                                      ConstBytes extensions, MutableBytes out) noexcept {
  const auto field = length_field(family, type);
  if (extensions.empty()) {
    if (field.word != 0) rest[field.offset_in_rest] = std::byte{0};
    return encode_icmp(family, type, code, rest, original_datagram, out);
  }
  if (field.word == 0) return errc::invalid_argument;

  // RFC 4884 §4.1 (v4) / §4.2 (v6): pad to 128 bytes and to whole words.
  std::size_t padded = std::max(original_datagram.size(), rfc4884_min_original_datagram);
  padded = (padded + field.word - 1) / field.word * field.word;
  const std::size_t words = padded / field.word;
  if (words > 255) return errc::invalid_argument;
  if (extensions.size() > max_message - icmp_header_size - padded) return errc::payload_too_large;
  const std::size_t length = icmp_header_size + padded + extensions.size();
  if (out.size() < length) return errc::buffer_too_small;

  rest[field.offset_in_rest] = static_cast<std::byte>(words);
  write_header(type, code, rest, out);
  auto body = out.subspan(icmp_header_size);
  auto after = std::copy(original_datagram.begin(), original_datagram.end(), body.begin());
  std::fill(after, body.begin() + padded, std::byte{0});
  std::copy(extensions.begin(), extensions.end(), body.begin() + padded);
  if (family == Family::v4) set_icmpv4_checksum(out.first(length));
  return length;
}

}  // namespace icmpkit::wire
