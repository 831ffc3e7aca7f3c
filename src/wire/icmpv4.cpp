// ICMPv4 typed decoding. Order of checks: the fixed header, then the fixed
// part the type needs (errc::truncated), then the checksum, then the length
// fields inside the message (errc::bad_length). Truncation is reported first
// because a cut-off message also fails its checksum, and "truncated" says
// more about what went wrong.
#include "icmpkit/wire/icmpv4.hpp"

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

namespace {

std::size_t minimum_size(std::uint8_t type) noexcept {
  switch (type) {
    case icmpv4_type::timestamp_request:
    case icmpv4_type::timestamp_reply: return icmpv4_timestamp_size;
    case icmpv4_type::address_mask_request:
    case icmpv4_type::address_mask_reply: return icmpv4_address_mask_size;
    default: return icmp_header_size;
  }
}

Result<Icmpv4Message> decode_router_advertisement(const IcmpView& view) noexcept {
  const std::uint8_t num_addrs = load_u8(view.rest, 0);
  const std::uint8_t entry_size = load_u8(view.rest, 1);
  // RFC 1256 §5.2: entry size below 2 words cannot hold (address, preference).
  if (num_addrs != 0 && entry_size < 2) return errc::bad_length;
  const std::size_t needed = std::size_t{num_addrs} * entry_size * 4;
  if (needed > view.body.size()) return errc::bad_length;
  return Icmpv4Message{Icmpv4RouterAdvertisement(view.code, num_addrs, entry_size, load_be16(view.rest, 2),
                                                 view.body.first(needed), view.body.subspan(needed))};
}

Result<Icmpv4Message> decode_error(const IcmpView& view) noexcept {
  auto body = split_error_body(view);
  if (!body) return unexpected(body.error());
  switch (view.type) {
    case icmpv4_type::destination_unreachable:
      return Icmpv4Message{Icmpv4Unreachable{static_cast<Icmpv4UnreachableCode>(view.code), load_be16(view.rest, 2), *body}};
    case icmpv4_type::source_quench: return Icmpv4Message{Icmpv4SourceQuench{view.code, *body}};
    case icmpv4_type::redirect:
      return Icmpv4Message{Icmpv4Redirect{static_cast<Icmpv4RedirectCode>(view.code), view.rest, *body}};
    case icmpv4_type::time_exceeded:
      return Icmpv4Message{Icmpv4TimeExceeded{static_cast<Icmpv4TimeExceededCode>(view.code), *body}};
    default:
      return Icmpv4Message{
          Icmpv4ParameterProblem{static_cast<Icmpv4ParameterProblemCode>(view.code), load_u8(view.rest, 0), *body}};
  }
}

}  // namespace

Icmpv4RouterAdvertisement::Icmpv4RouterAdvertisement(std::uint8_t code, std::uint8_t num_addrs,
                                                     std::uint8_t entry_size, std::uint16_t lifetime,
                                                     ConstBytes entries, ConstBytes trailing) noexcept
    : code_(code), lifetime_(lifetime), trailing_(trailing) {
  // An inconsistent view would let entry() read past `entries`: refuse it.
  if (entry_size >= 2 && entries.size() == std::size_t{num_addrs} * entry_size * 4) {
    num_addrs_ = num_addrs;
    entry_size_ = entry_size;
    entries_ = entries;
  }
}

RouterAddressEntry Icmpv4RouterAdvertisement::entry(std::size_t i) const noexcept {
  if (i >= num_addrs_) return {};
  const std::size_t at = i * entry_size_ * 4;
  RouterAddressEntry out;
  out.address = detail::load_array<4>(entries_, at);
  out.preference = static_cast<std::int32_t>(load_be32(entries_, at + 4));
  return out;
}

Result<Icmpv4Message> decode_icmpv4(ConstBytes message, const DecodeOptions& options) noexcept {
  auto parsed = parse_icmp(Family::v4, message);
  if (!parsed) return unexpected(parsed.error());
  const IcmpView& view = *parsed;
  if (message.size() < minimum_size(view.type)) return errc::truncated;
  if (options.verify_checksum && !verify_icmpv4_checksum(message)) return errc::bad_checksum;

  const EchoId id(load_be16(view.rest, 0));
  const EchoSeq seq(load_be16(view.rest, 2));
  switch (view.type) {
    case icmpv4_type::echo_request:
    case icmpv4_type::echo_reply: {
      auto echo = decode_echo(view);
      if (!echo) return unexpected(echo.error());
      return Icmpv4Message{*echo};
    }
    case icmpv4_type::destination_unreachable:
    case icmpv4_type::source_quench:
    case icmpv4_type::redirect:
    case icmpv4_type::time_exceeded:
    case icmpv4_type::parameter_problem: return decode_error(view);
    case icmpv4_type::timestamp_request:
    case icmpv4_type::timestamp_reply:
      return Icmpv4Message{Icmpv4Timestamp{view.type == icmpv4_type::timestamp_reply, id, seq,
                                           load_be32(view.body, 0), load_be32(view.body, 4),
                                           load_be32(view.body, 8)}};
    case icmpv4_type::information_request:
    case icmpv4_type::information_reply:
      return Icmpv4Message{Icmpv4Information{view.type == icmpv4_type::information_reply, id, seq}};
    case icmpv4_type::address_mask_request:
    case icmpv4_type::address_mask_reply:
      return Icmpv4Message{Icmpv4AddressMask{view.type == icmpv4_type::address_mask_reply, id, seq,
                                             detail::load_array<4>(view.body, 0)}};
    case icmpv4_type::router_advertisement: return decode_router_advertisement(view);
    case icmpv4_type::router_solicitation: return Icmpv4Message{Icmpv4RouterSolicitation{view.code}};
    case icmpv4_type::extended_echo_request: {
      Icmpv4ExtendedEchoRequest request;
      request.id = id;
      request.seq = load_u8(view.rest, 2);
      request.local = (load_u8(view.rest, 3) & 0x01) != 0;
      request.extensions = view.body;
      return Icmpv4Message{request};
    }
    case icmpv4_type::extended_echo_reply: {
      const std::uint8_t flags = load_u8(view.rest, 3);
      Icmpv4ExtendedEchoReply reply;
      reply.code = static_cast<ExtendedEchoReplyCode>(view.code);
      reply.id = id;
      reply.seq = load_u8(view.rest, 2);
      reply.state = static_cast<ProbeState>(flags >> 5);
      reply.active = (flags & 0x04) != 0;
      reply.ipv4 = (flags & 0x02) != 0;
      reply.ipv6 = (flags & 0x01) != 0;
      reply.data = view.body;
      return Icmpv4Message{reply};
    }
    default: return Icmpv4Message{view};
  }
}

std::uint8_t icmpv4_type_of(const Icmpv4Message& message) noexcept {
  struct Visitor {
    std::uint8_t operator()(const EchoView& m) const noexcept {
      return m.is_reply ? icmpv4_type::echo_reply : icmpv4_type::echo_request;
    }
    std::uint8_t operator()(const Icmpv4Unreachable&) const noexcept { return icmpv4_type::destination_unreachable; }
    std::uint8_t operator()(const Icmpv4SourceQuench&) const noexcept { return icmpv4_type::source_quench; }
    std::uint8_t operator()(const Icmpv4Redirect&) const noexcept { return icmpv4_type::redirect; }
    std::uint8_t operator()(const Icmpv4TimeExceeded&) const noexcept { return icmpv4_type::time_exceeded; }
    std::uint8_t operator()(const Icmpv4ParameterProblem&) const noexcept { return icmpv4_type::parameter_problem; }
    std::uint8_t operator()(const Icmpv4Timestamp& m) const noexcept {
      return m.is_reply ? icmpv4_type::timestamp_reply : icmpv4_type::timestamp_request;
    }
    std::uint8_t operator()(const Icmpv4Information& m) const noexcept {
      return m.is_reply ? icmpv4_type::information_reply : icmpv4_type::information_request;
    }
    std::uint8_t operator()(const Icmpv4AddressMask& m) const noexcept {
      return m.is_reply ? icmpv4_type::address_mask_reply : icmpv4_type::address_mask_request;
    }
    std::uint8_t operator()(const Icmpv4RouterAdvertisement&) const noexcept {
      return icmpv4_type::router_advertisement;
    }
    std::uint8_t operator()(const Icmpv4RouterSolicitation&) const noexcept { return icmpv4_type::router_solicitation; }
    std::uint8_t operator()(const Icmpv4ExtendedEchoRequest&) const noexcept {
      return icmpv4_type::extended_echo_request;
    }
    std::uint8_t operator()(const Icmpv4ExtendedEchoReply&) const noexcept { return icmpv4_type::extended_echo_reply; }
    std::uint8_t operator()(const IcmpView& m) const noexcept { return m.type; }
  };
  return std::visit(Visitor{}, message);
}

}  // namespace icmpkit::wire
