#include "send_spec.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "icmpkit/wire/builder.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::tools {

using wire::Family;

std::string valid_type_names(Family family) {
  std::string out;
  for (unsigned type = 0; type < 256; ++type) {
    const auto name = wire::type_name(family, static_cast<std::uint8_t>(type));
    if (name.empty()) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

TypeChoice parse_icmp_type(Family family, std::string_view text) {
  TypeChoice out;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data() + 2, end, value, 16);
    if (ec == std::errc{} && ptr == end && value <= 255) {
      out.type = static_cast<std::uint8_t>(value);
      return out;
    }
  } else if (auto type = wire::type_from_name(family, text)) {
    out.type = *type;
    return out;
  }
  const bool numeric = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (numeric) {
    out.error = fmt::format("type number '{}' is out of range (0..255)", text);
  } else {
    out.error = fmt::format("unknown {} type '{}'; valid names: {} (or a number 0..255)",
                            family == Family::v4 ? "ICMP" : "ICMPv6", text, valid_type_names(family));
  }
  return out;
}

std::size_t max_payload(Family family) noexcept { return family == Family::v4 ? 65507 : 65527; }

bool has_id_and_seq(Family family, std::uint8_t type) noexcept {
  if (family == Family::v4) {
    namespace t = wire::icmpv4_type;
    return type == t::echo_request || type == t::echo_reply || type == t::timestamp_request ||
           type == t::timestamp_reply || type == t::information_request || type == t::information_reply ||
           type == t::address_mask_request || type == t::address_mask_reply;
  }
  return type == wire::icmpv6_type::echo_request || type == wire::icmpv6_type::echo_reply;
}

std::optional<std::uint8_t> reply_type_for(Family family, std::uint8_t type) noexcept {
  if (family == Family::v4) {
    namespace t = wire::icmpv4_type;
    switch (type) {
      case t::echo_request: return t::echo_reply;
      case t::timestamp_request: return t::timestamp_reply;
      case t::information_request: return t::information_reply;
      case t::address_mask_request: return t::address_mask_reply;
      case t::extended_echo_request: return t::extended_echo_reply;
      case t::router_solicitation: return t::router_advertisement;
      default: return std::nullopt;
    }
  }
  namespace t = wire::icmpv6_type;
  switch (type) {
    case t::echo_request: return t::echo_reply;
    case t::extended_echo_request: return t::extended_echo_reply;
    case t::node_information_query: return t::node_information_reply;
    case t::router_solicitation: return t::router_advertisement;
    case t::neighbor_solicitation: return t::neighbor_advertisement;
    default: return std::nullopt;
  }
}

BuiltMessage build_message(Family family, const MessageFlags& f) {
  BuiltMessage out;
  const auto name = wire::type_name(family, f.type);
  const std::string type_text = name.empty() ? fmt::format("type {}", f.type) : std::string(name);
  if (f.payload.size() > max_payload(family)) {
    out.error = fmt::format("payload of {} bytes is too large: one {} datagram carries at most {} bytes",
                            f.payload.size(), family == Family::v4 ? "ICMP" : "ICMPv6", max_payload(family));
    return out;
  }
  std::array<std::byte, 4> rest{};
  if (has_id_and_seq(family, f.type)) {
    wire::detail::store_be16(rest, 0, f.id);
    wire::detail::store_be16(rest, 2, f.seq);
  }
  const bool v4 = family == Family::v4;
  if (f.mtu) {
    if (v4 && f.type == wire::icmpv4_type::destination_unreachable) {
      if (*f.mtu > 0xffff) {
        out.error = fmt::format("--mtu {} does not fit the 16-bit next-hop MTU field", *f.mtu);
        return out;
      }
      wire::detail::store_be16(rest, 2, static_cast<std::uint16_t>(*f.mtu));
    } else if (!v4 && f.type == wire::icmpv6_type::packet_too_big) {
      wire::detail::store_be32(rest, 0, *f.mtu);
    } else {
      out.error = fmt::format("--mtu applies to {} only, not to {}",
                              v4 ? "destination-unreachable (code 4, fragmentation needed)" : "packet-too-big",
                              type_text);
      return out;
    }
  }
  if (f.pointer) {
    if (v4 && f.type == wire::icmpv4_type::parameter_problem) {
      if (*f.pointer > 0xff) {
        out.error = fmt::format("--pointer {} does not fit the 8-bit ICMP pointer field", *f.pointer);
        return out;
      }
      rest[0] = static_cast<std::byte>(*f.pointer);
    } else if (!v4 && f.type == wire::icmpv6_type::parameter_problem) {
      wire::detail::store_be32(rest, 0, *f.pointer);
    } else {
      out.error = fmt::format("--pointer applies to parameter-problem only, not to {}", type_text);
      return out;
    }
  }
  if (f.gateway) {
    if (!v4 || f.type != wire::icmpv4_type::redirect) {
      out.error = fmt::format("--gateway applies to ICMP (IPv4) redirect only, not to {}{}", v4 ? "" : "ICMPv6 ",
                              type_text);
      return out;
    }
    if (!f.gateway->is_v4()) {
      out.error = fmt::format("--gateway {} is not an IPv4 address", f.gateway->to_string());
      return out;
    }
    const auto g = f.gateway->v4();
    std::copy(g.begin(), g.end(), rest.begin());
  }
  if (f.rest) {
    if (f.rest->size() != 4) {
      out.error = fmt::format("--rest must be exactly 4 bytes (8 hex digits), got {} bytes", f.rest->size());
      return out;
    }
    std::copy(f.rest->begin(), f.rest->end(), rest.begin());
  }
  out.bytes.resize(wire::icmp_header_size + f.payload.size());
  auto size = wire::encode_icmp(family, f.type, f.code, rest, ConstBytes(f.payload), MutableBytes(out.bytes));
  if (!size) {
    out.error = fmt::format("cannot encode {}: {}", type_text, size.error().message());
    out.bytes.clear();
    return out;
  }
  out.bytes.resize(*size);
  return out;
}

}  // namespace icmpkit::tools
