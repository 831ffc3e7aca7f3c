// Traceroute probe payloads, checksum steering and the keys replies give back.
//
// Steering works in one's-complement arithmetic modulo 0xffff, where 0 and
// 0xffff are the same number; that is also why a UDP checksum that computes
// to 0 is sent as 0xffff without changing what it encodes.
#include "icmpkit/engine/trace_probe.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/transport.hpp"

namespace icmpkit::engine {
namespace {

using wire::detail::load_be16;
using wire::detail::store_be16;

constexpr std::size_t steering_offset = 8;

std::uint16_t add1c(std::uint32_t a, std::uint32_t b) noexcept {
  std::uint32_t s = (a & 0xffff) + (b & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}
std::uint16_t sub1c(std::uint32_t a, std::uint32_t b) noexcept {
  return add1c(a, static_cast<std::uint16_t>(~b));
}
// The one representative in 0..0xfffe of a one's-complement value.
std::uint16_t canonical(std::uint16_t v) noexcept { return v == 0xffff ? 0 : v; }

// Sets the steering bytes so that `extra` plus the payload's sum is `target`.
void steer(MutableBytes payload, std::uint16_t extra, std::uint16_t target) noexcept {
  store_be16(payload, steering_offset, 0);
  const std::uint16_t sum = add1c(wire::ones_complement_sum(payload), extra);
  store_be16(payload, steering_offset, sub1c(target, sum));
}

std::uint32_t pseudo_sum(const wire::IpAddress& src, const wire::IpAddress& dst, std::uint32_t length,
                         std::uint8_t protocol) noexcept {
  if (src.is_v4()) return wire::ipv4_pseudo_header_sum(src.v4(), dst.v4(), static_cast<std::uint16_t>(length), protocol);
  return wire::ipv6_pseudo_header_sum(src.v6(), dst.v6(), length, protocol);
}

}  // namespace

std::size_t ProbeKeyHash::operator()(const ProbeKey& key) const noexcept {
  std::size_t h = wire::IpAddressHash{}(key.destination);
  h ^= std::hash<std::uint64_t>{}((std::uint64_t{static_cast<std::uint8_t>(key.space)} << 32) | key.value) +
       0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

void write_probe_payload(MutableBytes out, std::uint16_t token, std::uint16_t flow) noexcept {
  if (out.size() < probe_min_payload) return;
  std::fill(out.begin(), out.end(), std::byte{0});
  std::copy(probe_marker.begin(), probe_marker.end(), out.begin());
  store_be16(out, 4, token);
  store_be16(out, 6, flow);
}

std::optional<PayloadTag> read_probe_payload(ConstBytes payload) noexcept {
  if (payload.size() < probe_min_payload) return std::nullopt;
  if (!std::equal(probe_marker.begin(), probe_marker.end(), payload.begin())) return std::nullopt;
  return PayloadTag{load_be16(payload, 4), load_be16(payload, 6)};
}

std::optional<std::uint16_t> udp_token_from_checksum(const wire::IpAddress& source,
                                                     const wire::IpAddress& destination,
                                                     const wire::QuotedUdp& udp) noexcept {
  if (source.family() != destination.family()) return std::nullopt;
  if (udp.checksum == 0) return std::nullopt;  // IPv4 "no checksum": nothing was steered
  const std::uint16_t total = static_cast<std::uint16_t>(~udp.checksum);
  std::uint16_t data = sub1c(total, pseudo_sum(source, destination, udp.length, wire::ip_protocol::udp));
  data = sub1c(data, udp.source_port);
  data = sub1c(data, udp.destination_port);
  data = sub1c(data, udp.length);
  // target = token + 1, so token = target - 1 with target 0 read as 0xffff.
  const std::uint16_t target = canonical(data) == 0 ? 0xffff : canonical(data);
  return static_cast<std::uint16_t>(target - 1);
}

KeyCandidates keys_of_quote(const wire::QuotedDatagram& quote) noexcept {
  KeyCandidates out;
  if (const auto* echo = std::get_if<wire::QuotedEcho>(&quote.probe)) {
    const std::uint8_t request =
        quote.family == wire::Family::v4 ? wire::icmpv4_type::echo_request : wire::icmpv6_type::echo_request;
    if (echo->type == request) out.keys[out.count++] = {KeySpace::echo_seq, quote.destination, echo->seq.value()};
  } else if (const auto* udp = std::get_if<wire::QuotedUdp>(&quote.probe)) {
    std::optional<std::uint16_t> token;
    if (quote.upper_layer.size() > wire::udp_header_size) {
      if (auto tag = read_probe_payload(quote.upper_layer.subspan(wire::udp_header_size))) token = tag->token;
    }
    if (!token) token = udp_token_from_checksum(quote.source, quote.destination, *udp);
    if (token) out.keys[out.count++] = {KeySpace::udp_token, quote.destination, *token};
    out.keys[out.count++] = {KeySpace::udp_port, quote.destination, udp->destination_port};
  } else if (const auto* tcp = std::get_if<wire::QuotedTcp>(&quote.probe)) {
    out.keys[out.count++] = {KeySpace::tcp_seq, quote.destination, tcp->seq};
  }
  return out;
}

Result<void> encode_probe(const ProbeFields& f, TraceTransmit& out) {
  const wire::Family family = f.destination.family();
  if (f.source && f.source->family() != family) return errc::invalid_argument;
  out.method = f.method;
  out.destination = f.destination;
  out.flow = f.flow;
  out.payload.clear();
  out.transport.clear();
  if (f.payload_size > 65535) return errc::payload_too_large;

  switch (f.method) {
    case ProbeMethod::icmp_echo: {
      if (f.payload_size < probe_min_payload) return errc::invalid_argument;
      std::vector<std::byte> data(f.payload_size);
      write_probe_payload(data, f.token, f.flow);
      // Hold seq + data constant so the checksum (which ECMP routers may hash
      // as if it were a port) stays that of the flow whatever the sequence.
      if (f.steer_checksum) steer(data, f.token, static_cast<std::uint16_t>(f.flow + 1));
      out.transport.resize(wire::icmp_header_size + data.size());
      auto n = wire::encode_echo(family, false, f.echo_id, wire::EchoSeq(f.token), data, out.transport);
      if (!n) return unexpected(n.error());
      out.transport.resize(*n);
      out.source_port = 0;
      out.destination_port = 0;
      return {};
    }
    case ProbeMethod::udp: {
      if (f.payload_size < probe_min_payload) return errc::invalid_argument;
      out.payload.resize(f.payload_size);
      write_probe_payload(out.payload, f.token, f.flow);
      if (f.steer_checksum) steer(out.payload, 0, udp_steering_target(f.token));
      out.source_port = f.source_port;
      out.destination_port = f.destination_port;
      if (f.source) {
        const std::size_t length = wire::udp_header_size + out.payload.size();
        if (length > 65535) return errc::payload_too_large;
        out.transport.resize(length);
        auto n = wire::encode_udp(f.source_port, f.destination_port, out.payload,
                                  pseudo_sum(*f.source, f.destination, static_cast<std::uint32_t>(length),
                                             wire::ip_protocol::udp),
                                  out.transport);
        if (!n) return unexpected(n.error());
      }
      return {};
    }
    case ProbeMethod::tcp_syn: {
      if (!f.source) return errc::invalid_argument;
      std::vector<std::byte> data(f.payload_size);
      if (data.size() >= probe_min_payload) write_probe_payload(data, f.token, f.flow);
      wire::TcpFields tcp;
      tcp.source_port = f.source_port;
      tcp.destination_port = f.destination_port;
      tcp.seq = f.tcp_seq;
      tcp.flags = wire::tcp_flag::syn;
      const std::size_t length = wire::tcp_min_header_size + data.size();
      if (length > 65535) return errc::payload_too_large;
      out.transport.resize(length);
      auto n = wire::encode_tcp(tcp, data,
                                pseudo_sum(*f.source, f.destination, static_cast<std::uint32_t>(length),
                                           wire::ip_protocol::tcp),
                                out.transport);
      if (!n) return unexpected(n.error());
      out.transport.resize(*n);
      out.source_port = f.source_port;
      out.destination_port = f.destination_port;
      return {};
    }
  }
  return errc::invalid_argument;
}

IcmpClass classify_icmp(wire::Family family, std::uint8_t type, std::uint8_t code, std::uint32_t mtu_field) {
  IcmpClass c;
  auto unknown = [&] {
    c.reason = ProbeReason::other_icmp;
    c.flag = "!<" + std::to_string(type) + "-" + std::to_string(code) + ">";
  };
  auto frag = [&] {
    c.reason = ProbeReason::fragmentation_needed;
    c.mtu = mtu_field;
    c.flag = mtu_field != 0 ? "!F-" + std::to_string(mtu_field) : "!F";
  };
  // The flags follow Linux traceroute(8) 2.x (Butskoy), the traceroute users
  // on this platform read.
  if (family == wire::Family::v4) {
    switch (type) {
      case wire::icmpv4_type::time_exceeded:
        if (code == 0) {
          c.reason = ProbeReason::time_exceeded;
        } else {
          unknown();
        }
        return c;
      case wire::icmpv4_type::destination_unreachable:
        switch (code) {
          case 0: case 6: case 8: case 11: c.reason = ProbeReason::net_unreachable; c.flag = "!N"; break;
          case 1: case 7: case 12: c.reason = ProbeReason::host_unreachable; c.flag = "!H"; break;
          case 9: case 10: case 13: c.reason = ProbeReason::prohibited; c.flag = "!X"; break;
          case 2: c.reason = ProbeReason::protocol_unreachable; c.flag = "!P"; break;
          case 3: c.reason = ProbeReason::port_unreachable; break;
          case 4: frag(); break;
          case 5: c.reason = ProbeReason::source_route_failed; c.flag = "!S"; break;
          case 14: c.reason = ProbeReason::other_unreachable; c.flag = "!V"; break;
          case 15: c.reason = ProbeReason::other_unreachable; c.flag = "!C"; break;
          default: c.reason = ProbeReason::other_unreachable; c.flag = "!<" + std::to_string(code) + ">"; break;
        }
        return c;
      case wire::icmpv4_type::parameter_problem:
        unknown();
        c.reason = ProbeReason::parameter_problem;
        return c;
      default:
        unknown();
        return c;
    }
  }
  switch (type) {
    case wire::icmpv6_type::time_exceeded:
      if (code == 0) {
        c.reason = ProbeReason::time_exceeded;
      } else {
        unknown();
      }
      return c;
    case wire::icmpv6_type::destination_unreachable:
      switch (code) {
        case 0: c.reason = ProbeReason::net_unreachable; c.flag = "!N"; break;
        case 1: c.reason = ProbeReason::prohibited; c.flag = "!X"; break;
        case 2: case 3: c.reason = ProbeReason::host_unreachable; c.flag = "!H"; break;
        case 4: c.reason = ProbeReason::port_unreachable; break;
        default: c.reason = ProbeReason::other_unreachable; c.flag = "!<" + std::to_string(code) + ">"; break;
      }
      return c;
    case wire::icmpv6_type::packet_too_big:
      frag();
      return c;
    case wire::icmpv6_type::parameter_problem:
      unknown();
      c.reason = ProbeReason::parameter_problem;
      return c;
    default:
      unknown();
      return c;
  }
}

std::uint32_t lower_mtu_plateau(std::uint32_t mtu) noexcept {
  static constexpr std::array<std::uint32_t, 11> plateaus{65535, 32000, 17914, 8166, 4352, 2002,
                                                          1492,  1006,  508,   296,  68};
  for (std::uint32_t p : plateaus) {
    if (p < mtu) return p;
  }
  return 68;
}

const char* reason_name(ProbeReason r) noexcept {
  switch (r) {
    case ProbeReason::pending: return "pending";
    case ProbeReason::timeout: return "timeout";
    case ProbeReason::send_failed: return "send-failed";
    case ProbeReason::time_exceeded: return "time-exceeded";
    case ProbeReason::echo_reply: return "echo-reply";
    case ProbeReason::port_unreachable: return "port-unreachable";
    case ProbeReason::tcp_syn_ack: return "tcp-syn-ack";
    case ProbeReason::tcp_reset: return "tcp-reset";
    case ProbeReason::net_unreachable: return "net-unreachable";
    case ProbeReason::host_unreachable: return "host-unreachable";
    case ProbeReason::protocol_unreachable: return "protocol-unreachable";
    case ProbeReason::prohibited: return "prohibited";
    case ProbeReason::fragmentation_needed: return "fragmentation-needed";
    case ProbeReason::source_route_failed: return "source-route-failed";
    case ProbeReason::other_unreachable: return "unreachable";
    case ProbeReason::parameter_problem: return "parameter-problem";
    case ProbeReason::other_icmp: return "other-icmp";
  }
  return "unknown";
}

}  // namespace icmpkit::engine
