// A simulated network for the traceroute engine tests: it turns each
// TraceTransmit into the answer a real path would give (Time Exceeded from the
// router at that TTL quoting the probe's IP datagram, an unreachable, Frag
// Needed, or the destination's port unreachable / echo reply / SYN-ACK), with
// ECMP routers that pick the next hop by hashing the flow fields. Answers are
// real ICMP bytes built with wire's encoders, so the engine's matching runs
// on the same code path as with sockets. No sockets, no sleeps: a Driver
// moves a simulated clock.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "icmpkit/engine/trace_engine.hpp"
#include "icmpkit/wire/builder.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"
#include "icmpkit/wire/transport.hpp"

namespace icmpkit::engine::trace_test {

using namespace std::chrono_literals;

inline wire::IpAddress ip(const char* text) {
  auto a = wire::IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a ? *a : wire::IpAddress{};
}

/// One router position on the path: one or more (ECMP) interfaces.
struct SimHop {
  std::vector<wire::IpAddress> choices;  ///< Next hop picked by hashing the flow.
  bool silent = false;                   ///< Never answers.
  std::optional<std::uint8_t> unreachable_code;  ///< Answers with this unreachable instead of forwarding.
  std::uint32_t mtu_after = 65535;       ///< Link MTU towards the next hop.
  std::vector<std::byte> extensions;     ///< RFC 4884 structure to append to Time Exceeded.
};

/// An answer on its way back.
struct SimAnswer {
  enum class Kind { icmp, tcp } kind = Kind::icmp;
  wire::IpAddress from;
  std::vector<std::byte> bytes;
  std::chrono::nanoseconds delay{0};
};

class SimNetwork {
 public:
  wire::IpAddress source;
  wire::IpAddress destination;  ///< The usual destination (probes may go elsewhere).
  std::vector<SimHop> hops;            ///< Routers at TTL 1..hops.size(); the destination follows.
  std::chrono::nanoseconds per_hop = 1ms;
  bool destination_silent = false;
  /// Bytes of the probe routers quote (0: all of it, as Linux does; 28 is
  /// RFC 792's IPv4 header + 8 bytes).
  std::size_t quote_limit = 0;

  /// The full IP datagram of a probe as it left the host.
  std::vector<std::byte> datagram(const TraceTransmit& t) const {
    std::vector<std::byte> upper = t.transport;
    if (upper.empty() && t.method == ProbeMethod::udp) {
      // Ordinary UDP socket: the kernel would add the header.
      upper.resize(wire::udp_header_size + t.payload.size());
      const auto length = static_cast<std::uint32_t>(upper.size());
      const std::uint32_t pseudo =
          source.is_v4() ? wire::ipv4_pseudo_header_sum(source.v4(), t.destination.v4(),
                                                        static_cast<std::uint16_t>(length), 17)
                         : wire::ipv6_pseudo_header_sum(source.v6(), t.destination.v6(), length, 17);
      auto n = wire::encode_udp(t.source_port != 0 ? t.source_port : 40000, t.destination_port, t.payload, pseudo,
                                upper);
      EXPECT_TRUE(n.has_value());
    }
    const std::uint8_t protocol = t.method == ProbeMethod::udp      ? 17
                                  : t.method == ProbeMethod::tcp_syn ? 6
                                  : source.is_v4()                   ? 1
                                                                     : 58;
    std::vector<std::byte> out(60 + upper.size());
    std::size_t header = 0;
    if (source.is_v4()) {
      wire::Ipv4HeaderFields f;
      f.ttl = 1;  // as the router that expired it saw it
      f.protocol = protocol;
      f.source = source.v4();
      f.destination = t.destination.v4();
      f.tos = t.traffic_class;
      f.dont_fragment = t.dont_fragment;
      header = *wire::encode_ipv4_header(f, upper.size(), out);
    } else {
      wire::Ipv6HeaderFields f;
      f.hop_limit = 1;
      f.next_header = protocol;
      f.source = source.v6();
      f.destination = t.destination.v6();
      f.flow_label = t.flow_label;
      header = *wire::encode_ipv6_header(f, upper.size(), out);
    }
    std::copy(upper.begin(), upper.end(), out.begin() + static_cast<std::ptrdiff_t>(header));
    out.resize(header + upper.size());
    return out;
  }

  /// The ECMP hash: the bytes routers hash (ports, or the ICMP type/code/checksum).
  static std::uint32_t flow_hash(const std::vector<std::byte>& upper) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < 4 && i < upper.size(); ++i) {
      h ^= static_cast<std::uint8_t>(upper[i]);
      h *= 16777619u;
    }
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return h;
  }

  /// Which interface answers at TTL `ttl` (1-based) for these flow fields.
  wire::IpAddress router_at(std::size_t index, std::uint32_t hash) const {
    const auto& c = hops[index].choices;
    // splitmix64 of (hash, position): each ECMP stage chooses independently.
    std::uint64_t x = (std::uint64_t{hash} << 8) | index;
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return c[x % c.size()];
  }

  std::optional<SimAnswer> answer(const TraceTransmit& t) {
    const std::vector<std::byte> probe = datagram(t);
    const std::size_t header = source.is_v4() ? 20 : 40;
    const std::vector<std::byte> upper(probe.begin() + static_cast<std::ptrdiff_t>(header), probe.end());
    const std::uint32_t hash = flow_hash(upper);
    const std::size_t ttl = t.ttl.value();
    const bool v4 = source.is_v4();
    for (std::size_t i = 0; i < hops.size(); ++i) {
      const SimHop& hop = hops[i];
      const wire::IpAddress router = router_at(i, hash);
      const auto delay = per_hop * static_cast<long>(i + 1);
      if (ttl == i + 1) {
        if (hop.silent) return std::nullopt;
        return error(router, v4 ? 11 : 3, 0, {}, probe, hop.extensions, delay);
      }
      if (hop.silent) continue;
      if (hop.unreachable_code) return error(router, v4 ? 3 : 1, *hop.unreachable_code, {}, probe, {}, delay);
      if (t.ip_length > hop.mtu_after) {
        std::array<std::byte, 4> rest{};
        if (v4) {
          wire::detail::store_be16(rest, 2, static_cast<std::uint16_t>(hop.mtu_after));
          return error(router, 3, 4, rest, probe, {}, delay);
        }
        wire::detail::store_be32(rest, 0, hop.mtu_after);
        return error(router, 2, 0, rest, probe, {}, delay);
      }
    }
    if (destination_silent) return std::nullopt;
    // Whatever the probe was sent to answers, so one network serves many traces.
    const wire::IpAddress& destination = t.destination;
    const auto delay = per_hop * static_cast<long>(hops.size() + 1);
    switch (t.method) {
      case ProbeMethod::udp:
        return error(destination, v4 ? 3 : 1, v4 ? 3 : 4, {}, probe, {}, delay);
      case ProbeMethod::icmp_echo: {
        SimAnswer a;
        a.from = destination;
        a.delay = delay;
        auto view = wire::parse_icmp(destination.family(), t.transport);
        auto echo = wire::decode_echo(*view);
        a.bytes.resize(t.transport.size());
        auto n = wire::encode_echo(destination.family(), true, echo->id, echo->seq, echo->data, a.bytes);
        EXPECT_TRUE(n.has_value());
        return a;
      }
      case ProbeMethod::tcp_syn: {
        auto syn = wire::parse_tcp(t.transport);
        wire::TcpFields f;
        f.source_port = syn->destination_port;
        f.destination_port = syn->source_port;
        f.seq = 777;
        f.ack = syn->seq + 1;
        f.flags = wire::tcp_flag::syn | wire::tcp_flag::ack;
        SimAnswer a;
        a.kind = SimAnswer::Kind::tcp;
        a.from = destination;
        a.delay = delay;
        a.bytes.resize(20);
        auto n = wire::encode_tcp(f, {}, 0, a.bytes);
        EXPECT_TRUE(n.has_value());
        return a;
      }
    }
    return std::nullopt;
  }

 private:
  SimAnswer error(const wire::IpAddress& from, std::uint8_t type, std::uint8_t code, std::array<std::byte, 4> rest,
                  const std::vector<std::byte>& probe, const std::vector<std::byte>& extensions,
                  std::chrono::nanoseconds delay) const {
    SimAnswer a;
    a.from = from;
    a.delay = delay;
    a.bytes.resize(probe.size() + 1200);
    ConstBytes quote(probe);
    if (quote_limit != 0 && quote.size() > quote_limit) quote = quote.first(quote_limit);
    auto n = wire::encode_icmp_error(from.family(), type, code, rest, quote, extensions, a.bytes);
    EXPECT_TRUE(n.has_value()) << n.error().message();
    a.bytes.resize(n ? *n : 0);
    return a;
  }
};

/// Runs an engine against a SimNetwork on a simulated clock.
class Driver {
 public:
  TraceEngine engine;
  SimNetwork net;
  TraceTime now{};
  std::vector<TraceTransmit> sent;
  std::vector<HopEvent> hop_events;
  std::map<TraceId, TraceResult> finished;
  /// Send failures to inject: (probe, its index in sending order) -> fail it.
  std::function<bool(const TraceTransmit&, std::size_t)> fail_send;
  std::size_t max_in_flight_seen = 0;

  void drain_events() {
    while (auto e = engine.poll_event()) {
      if (auto* h = std::get_if<HopEvent>(&*e)) {
        hop_events.push_back(std::move(*h));
      } else {
        auto& f = std::get<TraceFinished>(*e);
        finished[f.result.id] = std::move(f.result);
      }
    }
  }

  void send_all() {
    while (auto t = engine.poll_transmit(now)) {
      const std::size_t index = sent.size();
      sent.push_back(*t);
      if (fail_send && fail_send(*t, index)) {
        engine.on_send_failed(t->probe, std::make_error_code(std::errc::host_unreachable), now);
        continue;
      }
      if (auto a = net.answer(*t)) in_transit_.push_back({now + a->delay, std::move(*a)});
    }
    max_in_flight_seen = std::max(max_in_flight_seen, engine.probes_in_flight());
  }

  /// Runs until every trace has finished (bounded in steps).
  void run(std::size_t max_steps = 100000) {
    for (std::size_t step = 0; step < max_steps; ++step) {
      send_all();
      drain_events();
      if (engine.active_traces() == 0) return;
      std::optional<TraceTime> next = engine.next_deadline();
      for (const auto& [at, a] : in_transit_) {
        if (!next || at < *next) next = at;
      }
      if (!next) {
        ADD_FAILURE() << "engine stalled with active traces and nothing in flight";
        return;
      }
      now = std::max(now, *next);
      deliver_due();
      engine.on_timer(now);
    }
    ADD_FAILURE() << "trace did not finish in " << max_steps << " steps";
  }

 private:
  void deliver_due() {
    // Earliest first, ties in sending order. (No std::stable_sort: its
    // nothrow temporary buffer trips ASan next to ping_alloc_test.cpp's
    // replacement of the plain operator new/delete.)
    for (;;) {
      auto due = in_transit_.end();
      for (auto it = in_transit_.begin(); it != in_transit_.end(); ++it) {
        if (it->first <= now && (due == in_transit_.end() || it->first < due->first)) due = it;
      }
      if (due == in_transit_.end()) break;
      SimAnswer a = std::move(due->second);
      in_transit_.erase(due);
      if (a.kind == SimAnswer::Kind::tcp) {
        engine.on_tcp(now, TcpInput{a.from, a.bytes, wire::Ttl(60)});
      } else {
        engine.on_icmp(now, IcmpInput{a.from, a.bytes, wire::Ttl(60)});
      }
    }
  }

  std::vector<std::pair<TraceTime, SimAnswer>> in_transit_;
};

/// A linear path through routers 10.0.<i>.1 to `destination`.
inline SimNetwork linear_v4(std::size_t routers, const char* destination = "192.0.2.9") {
  SimNetwork n;
  n.source = ip("10.0.0.2");
  n.destination = ip(destination);
  for (std::size_t i = 0; i < routers; ++i) {
    n.hops.push_back(SimHop{{ip(("10.0." + std::to_string(i + 1) + ".1").c_str())}});
  }
  return n;
}

}  // namespace icmpkit::engine::trace_test
