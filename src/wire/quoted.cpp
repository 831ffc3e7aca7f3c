#include "icmpkit/wire/quoted.hpp"

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"
#include "icmpkit/wire/transport.hpp"

namespace icmpkit::wire {

namespace {

// Every typed probe is read from the 8 bytes RFC 792 promises; with fewer,
// guessing at ports or identifiers would match the wrong probe.
constexpr std::size_t probe_bytes = 8;

QuotedProbe decode_probe(Family family, std::uint8_t protocol, ConstBytes upper) noexcept {
  if (upper.size() < probe_bytes) return QuotedOther{};
  const std::uint8_t icmp_protocol = family == Family::v4 ? ip_protocol::icmp : ip_protocol::icmpv6;
  if (protocol == icmp_protocol) {
    const std::uint8_t type = detail::load_u8(upper, 0);
    const bool echo = family == Family::v4
                          ? (type == icmpv4_type::echo_request || type == icmpv4_type::echo_reply)
                          : (type == icmpv6_type::echo_request || type == icmpv6_type::echo_reply);
    if (!echo) return QuotedOther{};
    return QuotedEcho{type, detail::load_u8(upper, 1), EchoId(detail::load_be16(upper, 4)),
                      EchoSeq(detail::load_be16(upper, 6))};
  }
  if (protocol == ip_protocol::udp) {
    return QuotedUdp{detail::load_be16(upper, 0), detail::load_be16(upper, 2), detail::load_be16(upper, 4),
                     detail::load_be16(upper, 6)};
  }
  if (protocol == ip_protocol::tcp) {
    return QuotedTcp{detail::load_be16(upper, 0), detail::load_be16(upper, 2), detail::load_be32(upper, 4)};
  }
  return QuotedOther{};
}

}  // namespace

Result<QuotedDatagram> decode_quoted(Family family, ConstBytes original_datagram) noexcept {
  QuotedDatagram q;
  q.family = family;
  if (family == Family::v4) {
    auto ip = parse_ipv4(original_datagram, LengthCheck::quoted);
    if (!ip) return unexpected(ip.error());
    q.source = IpAddress(ip->source);
    q.destination = IpAddress(ip->destination);
    q.protocol = ip->protocol;
    q.ttl = Ttl(ip->ttl);
    q.total_length = ip->total_length;
    q.ipv4_id = ip->id;
    q.tos = ip->tos;
    q.fragment = ip->is_fragment();
    q.fragment_offset = ip->fragment_offset;
    q.ip_header = ip->header;
    q.upper_layer = ip->payload;
    // Only the first fragment starts with the upper-layer header.
    if (ip->fragment_offset == 0) q.probe = decode_probe(family, q.protocol, q.upper_layer);
    return q;
  }
  auto ip = parse_ipv6(original_datagram, LengthCheck::quoted);
  if (!ip) return unexpected(ip.error());
  auto upper = find_upper_layer(*ip);
  if (!upper) return unexpected(upper.error());
  q.source = IpAddress(ip->source);
  q.destination = IpAddress(ip->destination);
  q.protocol = upper->protocol;
  q.ttl = Ttl(ip->hop_limit);
  q.total_length = std::uint32_t{ip->payload_length} + ipv6_header_size;
  q.tos = ip->traffic_class;
  q.flow_label = ip->flow_label;
  q.fragment = upper->fragment;
  q.fragment_offset = upper->fragment_offset;
  q.ip_header = original_datagram.first(upper->offset);
  q.upper_layer = upper->data;
  if (upper->has_upper_header()) q.probe = decode_probe(family, q.protocol, q.upper_layer);
  return q;
}

}  // namespace icmpkit::wire
