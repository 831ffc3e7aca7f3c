#include "icmpkit/wire/icmp.hpp"

#include <algorithm>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

std::uint32_t IcmpView::rest_u32() const noexcept { return load_be32(rest, 0); }

Result<IcmpView> parse_icmp(Family family, ConstBytes bytes) noexcept {
  if (bytes.size() < icmp_header_size) return errc::truncated;
  IcmpView view;
  view.family = family;
  view.type = load_u8(bytes, 0);
  view.code = load_u8(bytes, 1);
  view.checksum = load_be16(bytes, 2);
  view.rest = detail::load_array<4>(bytes, 4);
  view.body = bytes.subspan(icmp_header_size);
  view.bytes = bytes;
  return view;
}

bool verify_icmpv4_checksum(ConstBytes message) noexcept {
  return message.size() >= 4 && internet_checksum(message) == 0;
}

bool verify_icmpv6_checksum(ConstBytes message, const Ipv6Address& source,
                            const Ipv6Address& destination) noexcept {
  if (message.size() < 4) return false;
  const auto pseudo = ipv6_pseudo_header_sum(source, destination, static_cast<std::uint32_t>(message.size()), 58);
  return internet_checksum(message, pseudo) == 0;
}

void set_icmpv4_checksum(MutableBytes message) noexcept {
  if (message.size() < 4) return;
  detail::store_be16(message, 2, 0);
  detail::store_be16(message, 2, internet_checksum(message));
}

void set_icmpv6_checksum(MutableBytes message, const Ipv6Address& source,
                         const Ipv6Address& destination) noexcept {
  if (message.size() < 4) return;
  detail::store_be16(message, 2, 0);
  const auto pseudo = ipv6_pseudo_header_sum(source, destination, static_cast<std::uint32_t>(message.size()), 58);
  detail::store_be16(message, 2, internet_checksum(message, pseudo));
}

MessageKind kind_of(Family family, std::uint8_t type) noexcept {
  if (family == Family::v4) {
    switch (type) {
      case icmpv4_type::echo_request: return MessageKind::echo_request;
      case icmpv4_type::echo_reply: return MessageKind::echo_reply;
      case icmpv4_type::destination_unreachable: return MessageKind::destination_unreachable;
      case icmpv4_type::time_exceeded: return MessageKind::time_exceeded;
      case icmpv4_type::parameter_problem: return MessageKind::parameter_problem;
      case icmpv4_type::redirect: return MessageKind::redirect;
      case icmpv4_type::source_quench: return MessageKind::source_quench;
      default: return MessageKind::other_informational;
    }
  }
  switch (type) {
    case icmpv6_type::echo_request: return MessageKind::echo_request;
    case icmpv6_type::echo_reply: return MessageKind::echo_reply;
    case icmpv6_type::destination_unreachable: return MessageKind::destination_unreachable;
    case icmpv6_type::packet_too_big: return MessageKind::packet_too_big;
    case icmpv6_type::time_exceeded: return MessageKind::time_exceeded;
    case icmpv6_type::parameter_problem: return MessageKind::parameter_problem;
    case icmpv6_type::redirect: return MessageKind::redirect;
    default: return type < 128 ? MessageKind::other_error : MessageKind::other_informational;
  }
}

bool is_error_type(Family family, std::uint8_t type) noexcept {
  if (family == Family::v6) return type < 128;  // RFC 4443 §2.1
  switch (type) {
    case icmpv4_type::destination_unreachable:
    case icmpv4_type::source_quench:
    case icmpv4_type::redirect:
    case icmpv4_type::time_exceeded:
    case icmpv4_type::parameter_problem: return true;
    default: return false;
  }
}

Result<EchoView> decode_echo(const IcmpView& view) noexcept {
  const auto kind = kind_of(view.family, view.type);
  if (kind != MessageKind::echo_request && kind != MessageKind::echo_reply) return errc::wrong_type;
  EchoView echo;
  echo.is_reply = kind == MessageKind::echo_reply;
  echo.id = EchoId(load_be16(view.rest, 0));
  echo.seq = EchoSeq(load_be16(view.rest, 2));
  echo.data = view.body;
  return echo;
}

Result<std::size_t> encode_echo(Family family, bool reply, EchoId id, EchoSeq seq, ConstBytes data,
                                MutableBytes out) noexcept {
  const std::size_t length = icmp_header_size + data.size();
  if (length > 65535) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  std::uint8_t type;
  if (family == Family::v4) {
    type = reply ? icmpv4_type::echo_reply : icmpv4_type::echo_request;
  } else {
    type = reply ? icmpv6_type::echo_reply : icmpv6_type::echo_request;
  }
  detail::store_u8(out, 0, type);
  detail::store_u8(out, 1, 0);
  detail::store_be16(out, 2, 0);
  detail::store_be16(out, 4, id.value());
  detail::store_be16(out, 6, seq.value());
  std::copy(data.begin(), data.end(), out.begin() + icmp_header_size);
  if (family == Family::v4) set_icmpv4_checksum(out.first(length));
  return length;
}

Result<ErrorBody> split_error_body(const IcmpView& view) noexcept {
  if (!is_error_type(view.family, view.type)) return errc::not_an_error_message;
  std::size_t length_bytes = 0;
  if (view.family == Family::v4) {
    if (view.type == icmpv4_type::destination_unreachable || view.type == icmpv4_type::time_exceeded ||
        view.type == icmpv4_type::parameter_problem) {
      length_bytes = std::size_t{load_u8(view.rest, 1)} * 4;
    }
  } else if (view.type == icmpv6_type::destination_unreachable || view.type == icmpv6_type::time_exceeded) {
    length_bytes = std::size_t{load_u8(view.rest, 0)} * 8;
  }
  ErrorBody out;
  if (length_bytes == 0) {
    out.original_datagram = view.body;
    return out;
  }
  if (length_bytes > view.body.size()) return errc::bad_length;
  out.rfc4884_length = true;
  out.original_datagram = view.body.first(length_bytes);
  out.extensions = view.body.subspan(length_bytes);
  return out;
}

}  // namespace icmpkit::wire
