#include "format_message.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "hex_input.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/icmpv4.hpp"
#include "icmpkit/wire/icmpv6.hpp"
#include "icmpkit/wire/transport.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"

namespace icmpkit::tools {
namespace {

using wire::Family;

std::string hex(ConstBytes bytes) { return to_hex(bytes.data(), bytes.size()); }

std::string address_text(const wire::Ipv4Address& a) { return wire::IpAddress(a).to_string(); }
std::string address_text(const wire::Ipv6Address& a) { return wire::IpAddress(a).to_string(); }

std::string_view protocol_name(std::uint8_t protocol) {
  switch (protocol) {
    case wire::ip_protocol::hop_by_hop: return "hop-by-hop";
    case wire::ip_protocol::icmp: return "icmp";
    case wire::ip_protocol::tcp: return "tcp";
    case wire::ip_protocol::udp: return "udp";
    case wire::ip_protocol::ipv6_routing: return "ipv6-routing";
    case wire::ip_protocol::ipv6_fragment: return "ipv6-fragment";
    case wire::ip_protocol::esp: return "esp";
    case wire::ip_protocol::ah: return "ah";
    case wire::ip_protocol::icmpv6: return "icmpv6";
    case wire::ip_protocol::ipv6_no_next: return "no-next-header";
    case wire::ip_protocol::ipv6_destination_options: return "destination-options";
    default: return "";
  }
}

// Decoding stops at the first fault; the fault is reported with where it was.
struct Fault {
  std::string text;
  void set(std::string message) {
    if (text.empty()) text = std::move(message);
  }
};

std::string errc_text(std::error_code ec) { return ec.message(); }

Json ipv4_json(const wire::Ipv4HeaderView& ip, bool quoted) {
  Json j;
  j["version"] = ip.version;
  j["header_length"] = ip.header_length();
  j["tos"] = ip.tos;
  j["dscp"] = ip.dscp();
  j["ecn"] = ip.ecn();
  j["total_length"] = ip.total_length;
  j["id"] = ip.id;
  j["dont_fragment"] = ip.dont_fragment;
  j["more_fragments"] = ip.more_fragments;
  j["fragment_offset"] = ip.fragment_offset;
  j["ttl"] = ip.ttl;
  j["protocol"] = ip.protocol;
  if (auto name = protocol_name(ip.protocol); !name.empty()) j["protocol_name"] = name;
  j["checksum"] = ip.checksum;
  j["checksum_status"] = ip.checksum_valid() ? "ok" : "bad";
  j["source"] = address_text(ip.source);
  j["destination"] = address_text(ip.destination);
  if (!ip.options.empty()) j["options"] = hex(ip.options);
  if (quoted && !ip.complete()) {
    j["bytes_present"] = ip.header_length() + ip.payload.size();
  }
  return j;
}

Json ipv6_json(const wire::Ipv6HeaderView& ip, bool quoted) {
  Json j;
  j["version"] = ip.version;
  j["traffic_class"] = ip.traffic_class;
  j["flow_label"] = ip.flow_label;
  j["payload_length"] = ip.payload_length;
  j["next_header"] = ip.next_header;
  if (auto name = protocol_name(ip.next_header); !name.empty()) j["next_header_name"] = name;
  j["hop_limit"] = ip.hop_limit;
  j["source"] = address_text(ip.source);
  j["destination"] = address_text(ip.destination);
  if (quoted && !ip.complete()) j["bytes_present"] = wire::ipv6_header_size + ip.payload.size();
  return j;
}

Json upper_layer_json(const wire::Ipv6UpperLayer& upper) {
  Json j;
  j["protocol"] = upper.protocol;
  if (auto name = protocol_name(upper.protocol); !name.empty()) j["protocol_name"] = name;
  j["offset"] = upper.offset;
  j["extension_headers"] = upper.extension_headers;
  if (upper.fragment) {
    j["fragment_id"] = upper.fragment_id;
    j["fragment_offset"] = upper.fragment_offset;
    j["more_fragments"] = upper.more_fragments;
  }
  return j;
}

// The transport header at the start of a quoted datagram: enough of it to
// tell which probe caused the error (RFC 792 quotes at least 8 bytes).
void quoted_transport(Json& out, Family family, std::uint8_t protocol, ConstBytes data) {
  using wire::detail::load_be16;
  using wire::detail::load_be32;
  if (protocol == wire::ip_protocol::udp) {
    auto udp = wire::parse_udp(data, wire::LengthCheck::quoted);
    if (!udp) {
      out["udp"] = {{"quoted_bytes", data.size()}};
      return;
    }
    Json u;
    u["source_port"] = udp->source_port;
    u["destination_port"] = udp->destination_port;
    u["length"] = udp->length;
    u["checksum"] = udp->checksum;
    out["udp"] = u;
  } else if (protocol == wire::ip_protocol::tcp) {
    auto tcp = wire::parse_tcp_quoted(data);
    if (!tcp) {
      out["tcp"] = {{"quoted_bytes", data.size()}};
      return;
    }
    Json t;
    t["source_port"] = tcp->source_port;
    t["destination_port"] = tcp->destination_port;
    t["sequence"] = tcp->seq;
    if (tcp->available >= 14) {
      std::string names;
      constexpr std::array<std::string_view, 9> bits = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ae"};
      for (std::size_t i = 0; i < bits.size(); ++i) {
        if (tcp->flags & (1U << i)) names += (names.empty() ? "" : ",") + std::string(bits[i]);
      }
      t["flags"] = names;
    }
    out["tcp"] = t;
  } else if ((protocol == wire::ip_protocol::icmp && family == Family::v4) ||
             (protocol == wire::ip_protocol::icmpv6 && family == Family::v6)) {
    auto view = wire::parse_icmp(family, data);
    if (!view) {
      out["icmp"] = {{"quoted_bytes", data.size()}};
      return;
    }
    Json i;
    i["type"] = view->type;
    if (auto name = wire::type_name(family, view->type); !name.empty()) i["type_name"] = name;
    i["code"] = view->code;
    i["checksum"] = view->checksum;
    if (auto echo = wire::decode_echo(*view)) {
      i["id"] = echo->id.value();
      i["seq"] = echo->seq.value();
      i["data_length"] = echo->data.size();
    }
    out["icmp"] = i;
  } else if (!data.empty()) {
    out["transport_bytes"] = hex(data.first(std::min<std::size_t>(data.size(), 8)));
  }
}

Json quoted_json(Family family, ConstBytes datagram, Fault& fault) {
  Json q;
  q["length"] = datagram.size();
  if (datagram.empty()) return q;
  if (family == Family::v4) {
    auto ip = wire::parse_ipv4(datagram, wire::LengthCheck::quoted);
    if (!ip) {
      fault.set(fmt::format("quoted IPv4 header ({} bytes): {}", datagram.size(), errc_text(ip.error())));
      q["bytes"] = hex(datagram);
      return q;
    }
    q["ipv4"] = ipv4_json(*ip, true);
    if (ip->fragment_offset == 0) quoted_transport(q, family, ip->protocol, ip->payload);
  } else {
    auto ip = wire::parse_ipv6(datagram, wire::LengthCheck::quoted);
    if (!ip) {
      fault.set(fmt::format("quoted IPv6 header ({} bytes): {}", datagram.size(), errc_text(ip.error())));
      q["bytes"] = hex(datagram);
      return q;
    }
    q["ipv6"] = ipv6_json(*ip, true);
    auto upper = wire::find_upper_layer(*ip);
    if (!upper) {
      // A quote often ends inside the extension headers; that is not a fault
      // of the message, so say so without failing the decode.
      q["upper_layer"] = fmt::format("not reached: {}", errc_text(upper.error()));
      return q;
    }
    if (upper->extension_headers != 0 || upper->fragment) q["ipv6_extension_headers"] = upper_layer_json(*upper);
    if (upper->has_upper_header()) quoted_transport(q, family, upper->protocol, upper->data);
  }
  return q;
}

std::string_view role_name(wire::InterfaceRole role) {
  switch (role) {
    case wire::InterfaceRole::incoming: return "incoming";
    case wire::InterfaceRole::sub_ip_component: return "sub-ip-component";
    case wire::InterfaceRole::outgoing: return "outgoing";
    case wire::InterfaceRole::next_hop: return "next-hop";
  }
  return "";
}

Json extensions_json(const wire::ExtensionStructure& ext, Fault& fault) {
  Json j;
  j["version"] = ext.version;
  j["checksum"] = ext.checksum;
  j["length"] = ext.bytes.size();
  Json objects = Json::array();
  for (const auto& object : ext) {
    Json o;
    o["class"] = object.class_num;
    o["c_type"] = object.c_type;
    o["length"] = object.length;
    if (object.class_num == wire::extension_class::mpls_label_stack) {
      o["class_name"] = "mpls-label-stack";
      auto stack = wire::decode_mpls_label_stack(object);
      if (!stack) {
        fault.set(fmt::format("MPLS label stack object: {}", errc_text(stack.error())));
      } else {
        Json labels = Json::array();
        for (std::size_t i = 0; i < stack->size(); ++i) {
          const auto e = (*stack)[i];
          labels.push_back({{"label", e.label}, {"traffic_class", e.traffic_class},
                            {"bottom_of_stack", e.bottom_of_stack}, {"ttl", e.ttl}});
        }
        o["labels"] = labels;
      }
    } else if (object.class_num == wire::extension_class::interface_information) {
      o["class_name"] = "interface-information";
      auto info = wire::decode_interface_information(object);
      if (!info) {
        fault.set(fmt::format("interface information object: {}", errc_text(info.error())));
      } else {
        o["role"] = role_name(info->role);
        if (info->if_index) o["if_index"] = *info->if_index;
        if (info->address) o["address"] = info->address->to_string();
        if (info->name) o["name"] = std::string(*info->name);
        if (info->mtu) o["mtu"] = *info->mtu;
      }
    } else if (object.class_num == wire::extension_class::interface_identification) {
      o["class_name"] = "interface-identification";
      auto id = wire::decode_interface_identification(object);
      if (!id) {
        fault.set(fmt::format("interface identification object: {}", errc_text(id.error())));
      } else if (id->kind == wire::InterfaceIdentificationKind::by_name) {
        o["name"] = std::string(id->name);
      } else if (id->kind == wire::InterfaceIdentificationKind::by_index) {
        o["if_index"] = id->if_index;
      } else {
        o["afi"] = id->afi;
        o["address"] = id->ip ? id->ip->to_string() : hex(id->address);
      }
    } else {
      o["payload"] = hex(object.payload);
    }
    objects.push_back(o);
  }
  j["objects"] = objects;
  return j;
}

// Fields of the informational types the generic view does not show.
void informational_fields(Json& j, const wire::IcmpView& view) {
  if (view.family == Family::v4) {
    auto message = wire::decode_icmpv4(view.bytes, wire::DecodeOptions{false});
    if (!message) return;
    if (const auto* ts = std::get_if<wire::Icmpv4Timestamp>(&*message)) {
      j["id"] = ts->id.value();
      j["seq"] = ts->seq.value();
      j["originate"] = ts->originate;
      j["receive"] = ts->receive;
      j["transmit"] = ts->transmit;
    } else if (const auto* info = std::get_if<wire::Icmpv4Information>(&*message)) {
      j["id"] = info->id.value();
      j["seq"] = info->seq.value();
    } else if (const auto* mask = std::get_if<wire::Icmpv4AddressMask>(&*message)) {
      j["id"] = mask->id.value();
      j["seq"] = mask->seq.value();
      j["mask"] = address_text(mask->mask);
    } else if (const auto* ad = std::get_if<wire::Icmpv4RouterAdvertisement>(&*message)) {
      j["lifetime"] = ad->lifetime();
      Json routers = Json::array();
      for (const auto entry : *ad) routers.push_back({{"address", address_text(entry.address)}, {"preference", entry.preference}});
      j["routers"] = routers;
    } else if (const auto* req = std::get_if<wire::Icmpv4ExtendedEchoRequest>(&*message)) {
      j["id"] = req->id.value();
      j["seq"] = req->seq;
      j["local"] = req->local;
    } else if (const auto* rep = std::get_if<wire::Icmpv4ExtendedEchoReply>(&*message)) {
      j["id"] = rep->id.value();
      j["seq"] = rep->seq;
      j["state"] = wire::probe_state_name(rep->state);
      j["active"] = rep->active;
      j["ipv4"] = rep->ipv4;
      j["ipv6"] = rep->ipv6;
    }
    return;
  }
  auto message = wire::decode_icmpv6(view.bytes);
  if (!message) return;
  if (const auto* ns = std::get_if<wire::NdpNeighborSolicitation>(&*message)) {
    j["target"] = address_text(ns->target);
  } else if (const auto* na = std::get_if<wire::NdpNeighborAdvertisement>(&*message)) {
    j["target"] = address_text(na->target);
    j["router"] = na->router;
    j["solicited"] = na->solicited;
    j["override"] = na->override_flag;
  } else if (const auto* ra = std::get_if<wire::NdpRouterAdvertisement>(&*message)) {
    j["cur_hop_limit"] = ra->cur_hop_limit;
    j["managed"] = ra->managed;
    j["other"] = ra->other;
    j["router_lifetime"] = ra->router_lifetime;
    j["reachable_time"] = ra->reachable_time;
    j["retrans_timer"] = ra->retrans_timer;
  } else if (const auto* rd = std::get_if<wire::NdpRedirect>(&*message)) {
    j["target"] = address_text(rd->target);
    j["destination"] = address_text(rd->destination);
  } else if (const auto* mld = std::get_if<wire::MldMessage>(&*message)) {
    j["max_response_delay"] = mld->max_response_delay;
    j["multicast_address"] = address_text(mld->multicast_address);
  } else if (const auto* q = std::get_if<wire::Mldv2Query>(&*message)) {
    j["max_response_delay_ms"] = q->max_response_delay().count();
    j["multicast_address"] = address_text(q->multicast_address);
    j["suppress_router_processing"] = q->suppress_router_processing;
    j["robustness"] = q->robustness;
    j["query_interval_s"] = q->query_interval().count();
    Json sources = Json::array();
    for (const auto& a : q->sources) sources.push_back(address_text(a));
    j["sources"] = sources;
  } else if (const auto* report = std::get_if<wire::Mldv2Report>(&*message)) {
    Json records = Json::array();
    for (const auto record : report->records) {
      Json r;
      r["record_type"] = record.type;
      r["multicast_address"] = address_text(record.multicast_address);
      Json sources = Json::array();
      for (const auto& a : record.sources) sources.push_back(address_text(a));
      r["sources"] = sources;
      records.push_back(r);
    }
    j["records"] = records;
  } else if (const auto* ni = std::get_if<wire::NodeInfoMessage>(&*message)) {
    j["qtype"] = ni->qtype;
    j["flags"] = ni->flags;
    j["nonce"] = hex(ConstBytes(ni->nonce));
  } else if (const auto* req = std::get_if<wire::Icmpv6ExtendedEchoRequest>(&*message)) {
    j["id"] = req->id.value();
    j["seq"] = req->seq;
    j["local"] = req->local;
  } else if (const auto* rep = std::get_if<wire::Icmpv6ExtendedEchoReply>(&*message)) {
    j["id"] = rep->id.value();
    j["seq"] = rep->seq;
    j["state"] = wire::extended_echo_state_name(rep->state);
    j["active"] = rep->active;
    j["ipv4"] = rep->ipv4;
    j["ipv6"] = rep->ipv6;
  }
}

void typed_fields(Json& j, const wire::IcmpView& view, Fault& fault) {
  using wire::detail::load_be16;
  using wire::detail::load_be32;
  const Family family = view.family;
  if (auto echo = wire::decode_echo(view)) {
    j["id"] = echo->id.value();
    j["seq"] = echo->seq.value();
    j["data_length"] = echo->data.size();
    if (!echo->data.empty()) j["data"] = hex(echo->data);
    return;
  }
  const ConstBytes rest(view.rest);
  if (family == Family::v4) {
    switch (view.type) {
      case wire::icmpv4_type::destination_unreachable:
        if (view.code == 4) j["next_hop_mtu"] = load_be16(rest, 2);
        break;
      case wire::icmpv4_type::redirect:
        j["gateway"] = address_text(wire::Ipv4Address{rest[0], rest[1], rest[2], rest[3]});
        break;
      case wire::icmpv4_type::parameter_problem:
        j["pointer"] = static_cast<unsigned>(rest[0]);
        break;
      default:
        if (!wire::is_error_type(family, view.type)) j["rest"] = load_be32(rest, 0);
        break;
    }
  } else {
    switch (view.type) {
      case wire::icmpv6_type::packet_too_big:
        j["mtu"] = load_be32(rest, 0);
        break;
      case wire::icmpv6_type::parameter_problem:
        j["pointer"] = load_be32(rest, 0);
        break;
      default:
        if (!wire::is_error_type(family, view.type)) j["rest"] = load_be32(rest, 0);
        break;
    }
  }
  if (wire::is_error_type(family, view.type)) {
    auto split = wire::split_error_body(view);
    if (!split) {
      fault.set(fmt::format("{} body of {} bytes: RFC 4884 length overruns it ({})",
                            wire::type_name(family, view.type), view.body.size(), errc_text(split.error())));
      return;
    }
    if (split->rfc4884_length) j["rfc4884_length"] = split->original_datagram.size();
    j["quoted"] = quoted_json(family, split->original_datagram, fault);
    auto ext = split->rfc4884_length ? wire::parse_extensions(split->extensions)
                                     : wire::parse_extensions_compat(*split);
    if (!ext) {
      if (!split->extensions.empty()) {
        fault.set(fmt::format("RFC 4884 extension structure ({} bytes): {}", split->extensions.size(),
                              errc_text(ext.error())));
        j["extensions"] = {{"length", split->extensions.size()}, {"bytes", hex(split->extensions)}};
      }
      return;
    }
    if (ext->present()) j["extensions"] = extensions_json(*ext, fault);
    return;
  }
  informational_fields(j, view);
  if (!view.body.empty()) {
    j["body_length"] = view.body.size();
    j["body"] = hex(view.body);
  }
}

Json icmp_json(Family family, const wire::IcmpView& view, const std::optional<wire::IpAddress>& source,
               const std::optional<wire::IpAddress>& destination, Fault& fault) {
  Json j;
  j["type"] = view.type;
  const auto name = wire::type_name(family, view.type);
  j["type_name"] = name.empty() ? std::string_view("unassigned") : name;
  j["code"] = view.code;
  const auto code_name =
      family == Family::v4 ? wire::icmpv4_code_name(view.type, view.code) : wire::icmpv6_code_name(view.type, view.code);
  if (!code_name.empty()) j["code_name"] = code_name;
  j["checksum"] = view.checksum;
  if (family == Family::v4) {
    j["checksum_status"] = wire::verify_icmpv4_checksum(view.bytes) ? "ok" : "bad";
  } else if (source && destination && source->is_v6() && destination->is_v6()) {
    j["checksum_status"] = wire::verify_icmpv6_checksum(view.bytes, source->v6(), destination->v6()) ? "ok" : "bad";
  } else {
    j["checksum_status"] = "unverified: needs the IPv6 addresses";
  }
  j["length"] = view.bytes.size();
  typed_fields(j, view, fault);
  return j;
}

std::optional<Family> guess_bare_family(ConstBytes bytes) {
  if (bytes.empty()) return std::nullopt;
  const auto type = static_cast<std::uint8_t>(bytes[0]);
  // Informational ICMPv6 types are >= 128; ICMPv4 has none there.
  if (type >= 128) return Family::v6;
  return Family::v4;
}

}  // namespace

Decoded decode_icmp(Family family, ConstBytes icmp, const std::optional<wire::IpAddress>& source,
                    const std::optional<wire::IpAddress>& destination) {
  Decoded out;
  auto view = wire::parse_icmp(family, icmp);
  if (!view) {
    out.error = fmt::format("{} message truncated: {} bytes, the header needs {}",
                            family == Family::v4 ? "ICMP" : "ICMPv6", icmp.size(), wire::icmp_header_size);
    return out;
  }
  Fault fault;
  out.tree = icmp_json(family, *view, source, destination, fault);
  // A typed decoder may find what the generic view cannot (a count or
  // option overrunning the message); name it.
  if (fault.text.empty()) {
    const auto typed = family == Family::v4 ? wire::decode_icmpv4(icmp, wire::DecodeOptions{false}).error()
                                            : wire::decode_icmpv6(icmp).error();
    if (typed) {
      const auto name = wire::type_name(family, view->type);
      fault.set(fmt::format("{} of {} bytes: {}", name.empty() ? fmt::format("type {}", view->type) : std::string(name),
                            icmp.size(), errc_text(typed)));
    }
  }
  out.error = std::move(fault.text);
  return out;
}

Decoded decode_packet(ConstBytes bytes, IpMode mode, std::optional<Family> family) {
  Decoded out;
  if (bytes.empty()) {
    out.error = "no bytes to decode";
    return out;
  }
  const auto version = static_cast<unsigned>(bytes[0]) >> 4;
  bool has_ip = mode == IpMode::ip;
  if (mode == IpMode::automatic) {
    // 0x4_ and 0x6_ are unassigned ICMP types in both families, so the first
    // nibble tells an IP header from a bare message without ambiguity.
    has_ip = (version == 4 && (!family || *family == Family::v4)) ||
             (version == 6 && (!family || *family == Family::v6));
  }
  if (!has_ip) {
    const Family f = family ? *family : guess_bare_family(bytes).value_or(Family::v4);
    auto icmp = decode_icmp(f, bytes);
    if (!icmp.tree.empty()) out.tree[f == Family::v4 ? "icmp" : "icmpv6"] = std::move(icmp.tree);
    out.error = std::move(icmp.error);
    return out;
  }
  const Family f = family ? *family : (version == 6 ? Family::v6 : Family::v4);
  if (f == Family::v4) {
    auto ip = wire::parse_ipv4(bytes);
    if (!ip) {
      if (ip.error() == make_error_code(errc::bad_version)) {
        out.error = fmt::format("IPv4 header: version nibble is {}, not 4", version);
      } else if (ip.error() == make_error_code(errc::truncated)) {
        out.error = fmt::format("IPv4 header truncated: {} bytes given, the header needs {}", bytes.size(),
                                bytes.size() < wire::ipv4_min_header_size ? wire::ipv4_min_header_size
                                                                           : (static_cast<unsigned>(bytes[0]) & 15U) * 4);
      } else if (bytes.size() >= 4) {
        // Show the header anyway: its fields say what the packet claimed.
        if (auto cut = wire::parse_ipv4(bytes, wire::LengthCheck::quoted)) out.tree["ipv4"] = ipv4_json(*cut, true);
        const auto total = wire::detail::load_be16(bytes, 2);
        out.error = fmt::format("IPv4 header: bad length (IHL {} bytes, total length {}, {} bytes given)",
                                (static_cast<unsigned>(bytes[0]) & 15U) * 4, total, bytes.size());
      } else {
        out.error = fmt::format("IPv4 header: {}", errc_text(ip.error()));
      }
      return out;
    }
    out.tree["ipv4"] = ipv4_json(*ip, false);
    if (ip->protocol != wire::ip_protocol::icmp) {
      out.error = fmt::format("IPv4 protocol is {}{}, not ICMP (1)", ip->protocol,
                              protocol_name(ip->protocol).empty() ? "" : fmt::format(" ({})", protocol_name(ip->protocol)));
      return out;
    }
    if (ip->fragment_offset != 0) {
      out.error = fmt::format("IPv4 fragment at offset {}: no ICMP header in it", ip->fragment_offset * 8U);
      return out;
    }
    auto icmp = decode_icmp(Family::v4, ip->payload);
    if (!icmp.tree.empty()) out.tree["icmp"] = std::move(icmp.tree);
    out.error = std::move(icmp.error);
    if (out.error.empty() && ip->payload.size() + ip->header_length() < bytes.size()) {
      out.tree["trailing_bytes"] = bytes.size() - ip->total_length;
    }
    return out;
  }
  auto ip = wire::parse_ipv6(bytes);
  if (!ip) {
    if (ip.error() == make_error_code(errc::bad_version)) {
      out.error = fmt::format("IPv6 header: version nibble is {}, not 6", version);
    } else if (ip.error() == make_error_code(errc::truncated)) {
      out.error = fmt::format("IPv6 header truncated: {} bytes given, the header needs {}", bytes.size(),
                              wire::ipv6_header_size);
    } else {
      if (auto cut = wire::parse_ipv6(bytes, wire::LengthCheck::quoted)) out.tree["ipv6"] = ipv6_json(*cut, true);
      out.error = fmt::format("IPv6 header: payload length {} overruns the {} bytes after the header",
                              wire::detail::load_be16(bytes, 4), bytes.size() - wire::ipv6_header_size);
    }
    return out;
  }
  out.tree["ipv6"] = ipv6_json(*ip, false);
  auto upper = wire::find_upper_layer(*ip);
  if (!upper) {
    out.error = fmt::format("IPv6 extension headers: {}", errc_text(upper.error()));
    return out;
  }
  if (upper->extension_headers != 0 || upper->fragment) out.tree["ipv6_extension_headers"] = upper_layer_json(*upper);
  if (upper->protocol != wire::ip_protocol::icmpv6) {
    out.error = fmt::format("IPv6 upper layer is {}{}, not ICMPv6 (58)", upper->protocol,
                            protocol_name(upper->protocol).empty() ? "" : fmt::format(" ({})", protocol_name(upper->protocol)));
    return out;
  }
  if (!upper->has_upper_header()) {
    out.error = fmt::format("IPv6 fragment at offset {}: no ICMPv6 header in it", upper->fragment_offset * 8U);
    return out;
  }
  auto icmp = decode_icmp(Family::v6, upper->data, wire::IpAddress(ip->source), wire::IpAddress(ip->destination));
  if (!icmp.tree.empty()) out.tree["icmpv6"] = std::move(icmp.tree);
  out.error = std::move(icmp.error);
  return out;
}

namespace {

bool shown_in_hex(std::string_view key) {
  return key == "checksum" || key == "id" || key == "tos" || key == "traffic_class" || key == "flow_label" ||
         key == "rest" || key == "fragment_id";
}

std::string scalar_text(std::string_view key, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0 && shown_in_hex(key)) {
    const auto n = static_cast<std::uint64_t>(value.get<std::int64_t>());
    const int width = key == "tos" || key == "traffic_class" ? 2 : (key == "rest" || key == "flow_label" || key == "fragment_id" ? 8 : 4);
    return fmt::format("0x{:0{}x}", n, width);
  }
  return value.dump();
}

}  // namespace

std::string render_tree(const Json& tree, int indent) {
  std::string out;
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (!tree.is_object()) return pad + tree.dump() + "\n";
  for (auto it = tree.begin(); it != tree.end(); ++it) {
    const std::string& key = it.key();
    const auto ends_with = [&](std::string_view suffix) {
      return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // "type_name" / "checksum_status" were printed beside their number.
    if ((ends_with("_name") && tree.contains(key.substr(0, key.size() - 5))) ||
        (ends_with("_status") && tree.contains(key.substr(0, key.size() - 7)))) {
      continue;
    }
    const Json& value = it.value();
    if (value.is_object()) {
      out += fmt::format("{}{}:\n{}", pad, key, render_tree(value, indent + 2));
      continue;
    }
    if (value.is_array() && value.empty()) {
      out += fmt::format("{}{}: []\n", pad, key);
      continue;
    }
    if (value.is_array()) {
      out += fmt::format("{}{}:\n", pad, key);
      for (const auto& item : value) {
        if (item.is_object()) {
          out += fmt::format("{}  -\n{}", pad, render_tree(item, indent + 4));
        } else {
          out += fmt::format("{}  - {}\n", pad, scalar_text(key, item));
        }
      }
      continue;
    }
    std::string line = fmt::format("{}{}: {}", pad, key, scalar_text(key, value));
    for (const char* suffix : {"_name", "_status"}) {
      const auto extra = tree.find(key + suffix);
      if (extra != tree.end()) line += fmt::format(" ({})", scalar_text(key, *extra));
    }
    out += line + "\n";
  }
  return out;
}

Json summary_json(Family family, ConstBytes icmp) {
  Json j;
  auto decoded = decode_icmp(family, icmp);
  const Json& t = decoded.tree;
  for (const char* key : {"type", "type_name", "code", "code_name", "id", "seq", "next_hop_mtu", "mtu", "pointer",
                          "gateway", "data_length"}) {
    if (t.contains(key)) j[key] = t[key];
  }
  if (t.contains("quoted")) {
    const Json& q = t["quoted"];
    Json s = Json::object();
    for (const char* ip : {"ipv4", "ipv6"}) {
      if (q.contains(ip)) {
        s["destination"] = q[ip]["destination"];
        s["protocol"] = q[ip].contains("protocol") ? q[ip]["protocol"] : q[ip]["next_header"];
      }
    }
    for (const char* transport : {"udp", "tcp", "icmp"}) {
      if (q.contains(transport)) s[transport] = q[transport];
    }
    j["quoted"] = s;
  }
  if (!decoded.ok()) j["decode_error"] = decoded.error;
  return j;
}

std::string summarize_icmp(Family family, ConstBytes icmp) {
  const Json j = summary_json(family, icmp);
  if (!j.contains("type")) return fmt::format("malformed ({})", j.value("decode_error", std::string("?")));
  std::string out = j.value("type_name", std::string());
  if (out.empty()) out = fmt::format("type={}", j["type"].get<int>());
  out += fmt::format(" code={}", j["code"].get<int>());
  if (j.contains("code_name")) out += fmt::format(" ({})", j["code_name"].get<std::string>());
  if (j.contains("id")) out += fmt::format(" id=0x{:04x}", j["id"].get<unsigned>());
  if (j.contains("seq")) out += fmt::format(" seq={}", j["seq"].get<unsigned>());
  for (const char* key : {"next_hop_mtu", "mtu", "pointer"}) {
    if (j.contains(key)) out += fmt::format(" {}={}", key, j[key].get<std::uint64_t>());
  }
  if (j.contains("gateway")) out += fmt::format(" gateway={}", j["gateway"].get<std::string>());
  if (j.contains("quoted")) {
    const Json& q = j["quoted"];
    if (q.contains("destination")) out += fmt::format(" quoting {}", q["destination"].get<std::string>());
    if (q.contains("udp")) {
      out += fmt::format(" udp {}->{}", q["udp"]["source_port"].get<unsigned>(), q["udp"]["destination_port"].get<unsigned>());
    } else if (q.contains("tcp")) {
      out += fmt::format(" tcp {}->{}", q["tcp"]["source_port"].get<unsigned>(), q["tcp"]["destination_port"].get<unsigned>());
    } else if (q.contains("icmp") && q["icmp"].contains("seq")) {
      out += fmt::format(" echo id=0x{:04x} seq={}", q["icmp"]["id"].get<unsigned>(), q["icmp"]["seq"].get<unsigned>());
    }
  }
  if (j.contains("decode_error")) out += fmt::format(" [malformed: {}]", j["decode_error"].get<std::string>());
  return out;
}

}  // namespace icmpkit::tools
