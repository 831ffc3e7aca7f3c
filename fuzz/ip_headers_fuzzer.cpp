// Fuzzes the link, IP and transport header views: the input is tried as an
// Ethernet frame, as an IPv4 packet and as an IPv6 packet (strict and quoted),
// and every header that decodes is rebuilt and compared with the original.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpkit/wire/ethernet.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"
#include "icmpkit/wire/transport.hpp"
#include "touch.hpp"

namespace {

using namespace icmpkit;
using namespace icmpkit::wire;
using fuzz::check_inside;
using fuzz::require;
using fuzz::touch;
using fuzz::touch_value;

bool same(ConstBytes a, ConstBytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void transport(std::uint8_t protocol, ConstBytes upper, bool whole) {
  const LengthCheck check = whole ? LengthCheck::strict : LengthCheck::quoted;
  if (protocol == ip_protocol::udp || !whole) {
    if (auto u = parse_udp(upper, check)) {
      touch_value(*u);
      touch(u->payload);
      check_inside(u->payload, upper, "udp payload");
      require(u->payload.size() + udp_header_size <= u->length, "udp payload within length");
    }
  }
  if (protocol == ip_protocol::tcp || !whole) {
    if (auto t = parse_tcp(upper)) {
      touch(t->options);
      touch(t->payload);
      check_inside(t->options, upper, "tcp options");
      check_inside(t->payload, upper, "tcp payload");
      require(t->complete && t->header_length() >= tcp_min_header_size, "tcp header length");
      std::array<std::byte, 60> out{};
      TcpFields f;
      f.source_port = t->source_port;
      f.destination_port = t->destination_port;
      f.seq = t->seq;
      f.ack = t->ack;
      f.flags = t->flags;
      f.window = t->window;
      f.urgent_pointer = t->urgent_pointer;
      f.options = t->options;
      auto n = encode_tcp(f, {}, 0, out);
      require(n.has_value() && *n == t->header_length(), "tcp re-encode length");
      // Everything but the checksum and the 3 reserved bits round-trips.
      const auto head = upper.first(t->header_length());
      const auto built = ConstBytes(out).first(*n);
      require(same(built.first(12), head.first(12)) && same(built.subspan(14, 2), head.subspan(14, 2)) &&
                  same(built.subspan(18), head.subspan(18)) && (built[13] == head[13]),
              "tcp re-encode bytes");
    }
    if (auto q = parse_tcp_quoted(upper)) {
      touch_value(*q);
      touch(q->options);
      touch(q->payload);
      require(q->available <= upper.size(), "tcp available");
    }
  }
}

void ipv4(ConstBytes bytes) {
  for (const LengthCheck check : {LengthCheck::strict, LengthCheck::quoted}) {
    auto v = parse_ipv4(bytes, check);
    if (!v) continue;
    touch(v->header);
    touch(v->options);
    touch(v->payload);
    touch_value(v->checksum_valid());
    check_inside(v->payload, bytes, "ipv4 payload");
    check_inside(v->options, v->header, "ipv4 options");
    if (check == LengthCheck::strict) require(v->complete(), "strict ipv4 is complete");
    Ipv4HeaderFields f;
    f.tos = v->tos;
    f.id = v->id;
    f.dont_fragment = v->dont_fragment;
    f.more_fragments = v->more_fragments;
    f.fragment_offset = v->fragment_offset;
    f.ttl = v->ttl;
    f.protocol = v->protocol;
    f.source = v->source;
    f.destination = v->destination;
    f.options = v->options;
    std::array<std::byte, 60> out{};
    auto n = encode_ipv4_header(f, v->total_length - v->header_length(), out);
    require(n.has_value() && *n == v->header_length(), "ipv4 re-encode length");
    // Same bytes except the checksum (recomputed) and the reserved flag (not encodable).
    std::array<std::byte, 60> original{};
    std::copy(v->header.begin(), v->header.end(), original.begin());
    original[6] &= std::byte{0x7f};
    original[10] = original[11] = out[10] = out[11] = std::byte{0};
    require(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n), original.begin()),
            "ipv4 re-encode bytes");
    transport(v->protocol, v->payload, check == LengthCheck::strict);
  }
}

void ipv6(ConstBytes bytes) {
  for (const LengthCheck check : {LengthCheck::strict, LengthCheck::quoted}) {
    auto v = parse_ipv6(bytes, check);
    if (!v) continue;
    touch(v->header);
    touch(v->payload);
    check_inside(v->payload, bytes, "ipv6 payload");
    Ipv6HeaderFields f;
    f.traffic_class = v->traffic_class;
    f.flow_label = v->flow_label;
    f.next_header = v->next_header;
    f.hop_limit = v->hop_limit;
    f.source = v->source;
    f.destination = v->destination;
    std::array<std::byte, 40> out{};
    auto n = encode_ipv6_header(f, v->payload_length, out);
    require(n.has_value() && same(out, v->header), "ipv6 re-encode");
    if (auto up = find_upper_layer(*v)) {
      touch(up->data);
      check_inside(up->data, v->payload, "ipv6 upper layer");
      require(up->offset == ipv6_header_size + static_cast<std::size_t>(up->data.data() - v->payload.data()) ||
                  up->data.empty(),
              "ipv6 upper offset");
      require(up->extension_headers <= ipv6_max_extension_headers, "ipv6 chain bound");
      if (up->has_upper_header()) transport(up->protocol, up->data, check == LengthCheck::strict);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ConstBytes bytes(reinterpret_cast<const std::byte*>(data), size);
  if (auto eth = parse_ethernet(bytes)) {
    touch(eth->header);
    touch_value(*eth);
    check_inside(eth->payload, bytes, "ethernet payload");
    EthernetFields f;
    f.destination = eth->destination;
    f.source = eth->source;
    f.ethertype = eth->ethertype;
    f.tagged = eth->tagged;
    f.tag_protocol = eth->tag_protocol;
    f.priority = eth->priority;
    f.drop_eligible = eth->drop_eligible;
    f.vlan_id = eth->vlan_id;
    std::array<std::byte, 18> out{};
    auto n = encode_ethernet_header(f, out);
    require(n.has_value() && same(ConstBytes(out).first(*n), eth->header), "ethernet re-encode");
    if (eth->ethertype == ethertype::ipv4) ipv4(eth->payload);
    if (eth->ethertype == ethertype::ipv6) ipv6(eth->payload);
  }
  ipv4(bytes);
  ipv6(bytes);
  return 0;
}
