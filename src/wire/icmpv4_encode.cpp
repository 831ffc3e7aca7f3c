// ICMPv4 typed encoders: each maps its view back to (type, code, rest,
// payload) and hands it to the generic builders in builder.cpp, so the
// checksum and RFC 4884 padding rules live in one place.
#include <algorithm>
#include <array>

#include "icmpkit/wire/builder.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmpv4.hpp"

namespace icmpkit::wire {
namespace {

using Rest = std::array<std::byte, 4>;

Rest rest_id_seq(EchoId id, EchoSeq seq) noexcept {
  Rest rest{};
  detail::store_be16(rest, 0, id.value());
  detail::store_be16(rest, 2, seq.value());
  return rest;
}

std::uint8_t code_of(auto code) noexcept { return static_cast<std::uint8_t>(code); }

Result<std::size_t> encode_error(std::uint8_t type, std::uint8_t code, Rest rest, const ErrorBody& body,
                                 MutableBytes out) noexcept {
  return encode_icmp_error(Family::v4, type, code, rest, body.original_datagram, body.extensions, out);
}

}  // namespace

Result<std::size_t> encode_icmpv4(const EchoView& echo, MutableBytes out) noexcept {
  return encode_echo(Family::v4, echo.is_reply, echo.id, echo.seq, echo.data, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4Unreachable& message, MutableBytes out) noexcept {
  Rest rest{};
  detail::store_be16(rest, 2, message.next_hop_mtu);
  return encode_error(icmpv4_type::destination_unreachable, code_of(message.code), rest, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4SourceQuench& message, MutableBytes out) noexcept {
  return encode_error(icmpv4_type::source_quench, message.code, Rest{}, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4Redirect& message, MutableBytes out) noexcept {
  return encode_error(icmpv4_type::redirect, code_of(message.code), message.gateway, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4TimeExceeded& message, MutableBytes out) noexcept {
  return encode_error(icmpv4_type::time_exceeded, code_of(message.code), Rest{}, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4ParameterProblem& message, MutableBytes out) noexcept {
  Rest rest{};
  rest[0] = std::byte{message.pointer};
  return encode_error(icmpv4_type::parameter_problem, code_of(message.code), rest, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4Timestamp& message, MutableBytes out) noexcept {
  std::array<std::byte, icmpv4_timestamp_size - icmp_header_size> times{};
  detail::store_be32(times, 0, message.originate);
  detail::store_be32(times, 4, message.receive);
  detail::store_be32(times, 8, message.transmit);
  return encode_icmp(Family::v4, message.is_reply ? icmpv4_type::timestamp_reply : icmpv4_type::timestamp_request, 0,
                     rest_id_seq(message.id, message.seq), times, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4Information& message, MutableBytes out) noexcept {
  return encode_icmp(Family::v4,
                     message.is_reply ? icmpv4_type::information_reply : icmpv4_type::information_request, 0,
                     rest_id_seq(message.id, message.seq), {}, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4AddressMask& message, MutableBytes out) noexcept {
  return encode_icmp(Family::v4,
                     message.is_reply ? icmpv4_type::address_mask_reply : icmpv4_type::address_mask_request, 0,
                     rest_id_seq(message.id, message.seq), message.mask, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4RouterAdvertisement& message, MutableBytes out) noexcept {
  const ConstBytes entries = message.entry_bytes();
  const ConstBytes trailing = message.trailing();
  if (entries.size() + trailing.size() > 65535 - icmp_header_size) return errc::payload_too_large;
  const std::size_t length = icmp_header_size + entries.size() + trailing.size();
  if (out.size() < length) return errc::buffer_too_small;
  Rest rest{};
  rest[0] = std::byte{message.num_addrs()};
  rest[1] = std::byte{message.entry_size()};
  detail::store_be16(rest, 2, message.lifetime());
  // Header first (payload empty), then the two pieces of body after it.
  auto header = encode_icmp(Family::v4, icmpv4_type::router_advertisement, message.code(), rest, {}, out);
  if (!header) return header;
  auto next = std::copy(entries.begin(), entries.end(), out.begin() + icmp_header_size);
  std::copy(trailing.begin(), trailing.end(), next);
  set_icmpv4_checksum(out.first(length));
  return length;
}

Result<std::size_t> encode_icmpv4_router_advertisement(std::uint16_t lifetime,
                                                       std::span<const RouterAddressEntry> entries,
                                                       MutableBytes out) noexcept {
  if (entries.size() > 255) return errc::invalid_argument;
  const std::size_t length = icmp_header_size + entries.size() * 8;
  if (out.size() < length) return errc::buffer_too_small;
  Rest rest{};
  rest[0] = static_cast<std::byte>(entries.size());
  rest[1] = std::byte{2};
  detail::store_be16(rest, 2, lifetime);
  auto header = encode_icmp(Family::v4, icmpv4_type::router_advertisement, 0, rest, {}, out);
  if (!header) return header;
  std::size_t at = icmp_header_size;
  for (const auto& entry : entries) {
    std::copy(entry.address.begin(), entry.address.end(), out.begin() + at);
    detail::store_be32(out, at + 4, static_cast<std::uint32_t>(entry.preference));
    at += 8;
  }
  set_icmpv4_checksum(out.first(length));
  return length;
}

Result<std::size_t> encode_icmpv4(const Icmpv4RouterSolicitation& message, MutableBytes out) noexcept {
  return encode_icmp(Family::v4, icmpv4_type::router_solicitation, message.code, Rest{}, {}, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4ExtendedEchoRequest& message, MutableBytes out) noexcept {
  Rest rest{};
  detail::store_be16(rest, 0, message.id.value());
  rest[2] = std::byte{message.seq};
  rest[3] = message.local ? std::byte{0x01} : std::byte{0};
  return encode_icmp(Family::v4, icmpv4_type::extended_echo_request, 0, rest, message.extensions, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4ExtendedEchoReply& message, MutableBytes out) noexcept {
  Rest rest{};
  detail::store_be16(rest, 0, message.id.value());
  rest[2] = std::byte{message.seq};
  const unsigned flags = ((static_cast<unsigned>(message.state) & 0x07u) << 5) | (message.active ? 0x04u : 0u) |
                         (message.ipv4 ? 0x02u : 0u) | (message.ipv6 ? 0x01u : 0u);
  rest[3] = static_cast<std::byte>(flags);
  return encode_icmp(Family::v4, icmpv4_type::extended_echo_reply, code_of(message.code), rest, message.data, out);
}

Result<std::size_t> encode_icmpv4(const IcmpView& message, MutableBytes out) noexcept {
  return encode_icmp(Family::v4, message.type, message.code, message.rest, message.body, out);
}

Result<std::size_t> encode_icmpv4(const Icmpv4Message& message, MutableBytes out) noexcept {
  return std::visit([out](const auto& m) noexcept { return encode_icmpv4(m, out); }, message);
}

}  // namespace icmpkit::wire
