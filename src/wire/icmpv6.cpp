// ICMPv6 typed decoding (RFC 4443 and successors): dispatch on the type and
// the typed decoders of the error and extended echo messages. NDP, MLD and
// node information decoders live in their own files.
#include "icmpkit/wire/icmpv6.hpp"

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

namespace {

bool is_v6(const IcmpView& view, std::uint8_t type) noexcept {
  return view.family == Family::v6 && view.type == type;
}

// Widens a typed Result into the message variant.
template <class T>
Result<Icmpv6Message> widen(Result<T>&& typed) noexcept {
  if (!typed) return unexpected(typed.error());
  return Icmpv6Message(std::move(*typed));
}

}  // namespace

Result<Icmpv6DestinationUnreachable> decode_icmpv6_destination_unreachable(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::destination_unreachable)) return errc::wrong_type;
  auto body = split_error_body(view);
  if (!body) return unexpected(body.error());
  return Icmpv6DestinationUnreachable{view.code, *body};
}

Result<Icmpv6PacketTooBig> decode_icmpv6_packet_too_big(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::packet_too_big)) return errc::wrong_type;
  auto body = split_error_body(view);
  if (!body) return unexpected(body.error());
  return Icmpv6PacketTooBig{view.rest_u32(), *body};
}

Result<Icmpv6TimeExceeded> decode_icmpv6_time_exceeded(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::time_exceeded)) return errc::wrong_type;
  auto body = split_error_body(view);
  if (!body) return unexpected(body.error());
  return Icmpv6TimeExceeded{view.code, *body};
}

Result<Icmpv6ParameterProblem> decode_icmpv6_parameter_problem(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::parameter_problem)) return errc::wrong_type;
  auto body = split_error_body(view);
  if (!body) return unexpected(body.error());
  return Icmpv6ParameterProblem{view.code, view.rest_u32(), *body};
}

Result<Icmpv6ExtendedEchoRequest> decode_icmpv6_extended_echo_request(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::extended_echo_request)) return errc::wrong_type;
  Icmpv6ExtendedEchoRequest request;
  request.id = EchoId(load_be16(view.rest, 0));
  request.seq = load_u8(view.rest, 2);
  request.local = (load_u8(view.rest, 3) & 0x01) != 0;
  request.extensions = view.body;
  return request;
}

Result<Icmpv6ExtendedEchoReply> decode_icmpv6_extended_echo_reply(const IcmpView& view) noexcept {
  if (!is_v6(view, icmpv6_type::extended_echo_reply)) return errc::wrong_type;
  Icmpv6ExtendedEchoReply reply;
  reply.code = view.code;
  reply.id = EchoId(load_be16(view.rest, 0));
  reply.seq = load_u8(view.rest, 2);
  const auto bits = load_u8(view.rest, 3);
  reply.state = static_cast<std::uint8_t>(bits >> 5);
  reply.active = (bits & 0x04) != 0;
  reply.ipv4 = (bits & 0x02) != 0;
  reply.ipv6 = (bits & 0x01) != 0;
  reply.data = view.body;
  return reply;
}

Result<Icmpv6Message> decode_icmpv6(ConstBytes message) noexcept {
  auto parsed = parse_icmp(Family::v6, message);
  if (!parsed) return unexpected(parsed.error());
  const IcmpView& view = *parsed;
  switch (view.type) {
    case icmpv6_type::destination_unreachable: return widen(decode_icmpv6_destination_unreachable(view));
    case icmpv6_type::packet_too_big: return widen(decode_icmpv6_packet_too_big(view));
    case icmpv6_type::time_exceeded: return widen(decode_icmpv6_time_exceeded(view));
    case icmpv6_type::parameter_problem: return widen(decode_icmpv6_parameter_problem(view));
    case icmpv6_type::echo_request:
    case icmpv6_type::echo_reply: return widen(decode_echo(view));
    case icmpv6_type::mld_query:
      // RFC 3810 §8.1: the length tells the versions apart.
      if (message.size() == 24) return widen(decode_mld(view));
      if (message.size() < 24) return errc::truncated;
      return widen(decode_mldv2_query(view));
    case icmpv6_type::mld_report:
    case icmpv6_type::mld_done: return widen(decode_mld(view));
    case icmpv6_type::mldv2_report: return widen(decode_mldv2_report(view));
    case icmpv6_type::router_solicitation: return widen(decode_router_solicitation(view));
    case icmpv6_type::router_advertisement: return widen(decode_router_advertisement(view));
    case icmpv6_type::neighbor_solicitation: return widen(decode_neighbor_solicitation(view));
    case icmpv6_type::neighbor_advertisement: return widen(decode_neighbor_advertisement(view));
    case icmpv6_type::redirect: return widen(decode_redirect(view));
    case icmpv6_type::node_information_query:
    case icmpv6_type::node_information_reply: return widen(decode_node_info(view));
    case icmpv6_type::extended_echo_request: return widen(decode_icmpv6_extended_echo_request(view));
    case icmpv6_type::extended_echo_reply: return widen(decode_icmpv6_extended_echo_reply(view));
    default: return Icmpv6Message(view);
  }
}

Result<Icmpv6Message> decode_icmpv6(ConstBytes message, const Ipv6Address& source,
                                    const Ipv6Address& destination) noexcept {
  if (message.size() < icmp_header_size) return errc::truncated;
  if (!verify_icmpv6_checksum(message, source, destination)) return errc::bad_checksum;
  return decode_icmpv6(message);
}

std::string_view icmpv6_unreachable_code_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0: return "no-route";
    case 1: return "administratively-prohibited";
    case 2: return "beyond-scope";
    case 3: return "address-unreachable";
    case 4: return "port-unreachable";
    case 5: return "source-address-failed-policy";
    case 6: return "reject-route";
    case 7: return "source-routing-header-error";
    case 8: return "headers-too-long";
    default: return {};
  }
}

std::string_view icmpv6_time_exceeded_code_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0: return "hop-limit-exceeded";
    case 1: return "fragment-reassembly-time-exceeded";
    default: return {};
  }
}

std::string_view icmpv6_parameter_problem_code_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0: return "erroneous-header-field";
    case 1: return "unrecognized-next-header";
    case 2: return "unrecognized-option";
    case 3: return "incomplete-header-chain";
    case 4: return "sr-upper-layer-header-error";
    case 5: return "unrecognized-next-header-intermediate";
    case 6: return "extension-header-too-big";
    case 7: return "extension-header-chain-too-long";
    case 8: return "too-many-extension-headers";
    case 9: return "too-many-options";
    case 10: return "option-too-big";
    default: return {};
  }
}

std::string_view extended_echo_code_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0: return "no-error";
    case 1: return "malformed-query";
    case 2: return "no-such-interface";
    case 3: return "no-such-table-entry";
    case 4: return "multiple-interfaces";
    default: return {};
  }
}

std::string_view extended_echo_state_name(std::uint8_t state) noexcept {
  switch (state) {
    case 0: return "reserved";
    case 1: return "incomplete";
    case 2: return "reachable";
    case 3: return "stale";
    case 4: return "delay";
    case 5: return "probe";
    case 6: return "failed";
    default: return {};
  }
}

std::string_view icmpv6_code_name(std::uint8_t type, std::uint8_t code) noexcept {
  switch (type) {
    case icmpv6_type::destination_unreachable: return icmpv6_unreachable_code_name(code);
    case icmpv6_type::time_exceeded: return icmpv6_time_exceeded_code_name(code);
    case icmpv6_type::parameter_problem: return icmpv6_parameter_problem_code_name(code);
    case icmpv6_type::extended_echo_reply: return extended_echo_code_name(code);
    default: return {};
  }
}

}  // namespace icmpkit::wire
