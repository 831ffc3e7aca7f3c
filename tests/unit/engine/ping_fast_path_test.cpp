// PingEngine's per-target fast paths for a one-probe sweep: options shared
// with the previous request are recognised without building a copy (so a
// request whose options differ in any one field must still get its own),
// and a raw IPv4 socket's checksum is summed from the fields as they are
// written instead of read back (so every payload size and pattern must give
// the bytes wire::set_icmpv4_checksum would).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "ping_test_support.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

namespace {

using engine::test::reply_to;
using engine::test::sweep_config;
using engine::test::v4_index;

// One thing a request did, as seen from outside, relative to its start:
// a transmit (length, TTL, TOS, DF, the bytes after the engine header) or
// an event (kind, probe index, attempt, outcome, will_retry).
struct Step {
  std::int64_t at_ns = 0;
  bool transmit = false;
  std::int64_t a = 0, b = 0, c = 0, d = 0, e = 0;
  std::vector<std::byte> fill;
  friend bool operator==(const Step&, const Step&) = default;
};
using Trace = std::vector<Step>;

void PrintTo(const Step& s, std::ostream* os) {
  *os << (s.transmit ? "transmit" : "event") << " at " << s.at_ns << " ns: " << s.a << ' ' << s.b << ' ' << s.c << ' '
      << s.d << ' ' << s.e << " fill " << s.fill.size() << " bytes";
  if (!s.fill.empty()) *os << " from " << static_cast<int>(s.fill.front());
}

// Runs requests started together (user_data -> options) on a simulated
// clock until the engine is idle. Every third probe of each request (its
// 2nd, 5th, ...) is answered 1 ms after it left, so replies, timeouts,
// retries, stop_on_reply and send_on_reply all show. Returns each
// request's trace by user_data.
std::map<std::uint64_t, Trace> run(const std::vector<std::pair<std::uint64_t, engine::PingOptions>>& requests) {
  engine::PingEngine e(sweep_config(100ms));
  const engine::TimePoint start{std::chrono::seconds(1000)};
  engine::TimePoint now = start;
  std::map<std::uint32_t, std::uint64_t> user_of;  // TargetId::index (never released here)
  for (const auto& [user, options] : requests) {
    auto id = e.add_target(v4_index(static_cast<std::uint32_t>(user)), options, now, user);
    EXPECT_TRUE(id);
    if (id) user_of[id->index] = user;
  }
  struct Pending {
    engine::TimePoint at;
    wire::IpAddress from;
    std::vector<std::byte> reply;
  };
  std::vector<Pending> pending;
  std::map<std::uint64_t, int> sent;
  std::map<std::uint64_t, Trace> traces;
  std::vector<std::byte> buffer(2048);
  for (int step = 0; step < 10000; ++step) {
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->at > now) {
        ++it;
        continue;
      }
      engine::DatagramIn d;
      d.source = it->from;
      d.icmp = it->reply;
      e.on_datagram(now, d);
      it = pending.erase(it);
    }
    e.handle_timeout(now);
    while (auto t = e.poll_transmit(now, buffer)) {
      const auto user = user_of.at(t->target.index);
      std::vector<std::byte> bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(t->length));
      Step s;
      s.at_ns = (now - start).count();
      s.transmit = true;
      s.a = static_cast<std::int64_t>(t->length);
      s.b = t->ttl ? t->ttl->value() : -1;
      s.c = t->tos ? *t->tos : -1;
      s.d = t->dont_fragment;
      if (bytes.size() > 32) s.fill.assign(bytes.begin() + 32, bytes.end());
      traces[user].push_back(s);
      e.on_sent(t->handle, now);
      if (sent[user]++ % 3 == 1) pending.push_back({now + 1ms, t->destination, reply_to(bytes)});
    }
    while (auto ev = e.poll_event()) {
      Step s;
      s.at_ns = (now - start).count();
      s.a = static_cast<std::int64_t>(ev->kind);
      s.b = ev->probe_index;
      s.c = ev->attempt;
      s.d = static_cast<std::int64_t>(ev->outcome.index());
      const auto* timeout = std::get_if<engine::Timeout>(&ev->outcome);
      s.e = timeout != nullptr && timeout->will_retry;
      traces[ev->user_data].push_back(s);
    }
    auto next = e.next_deadline();
    for (const auto& p : pending) {
      if (!next || p.at < *next) next = p.at;
    }
    if (!next) return traces;
    now = std::max(now, *next);
  }
  ADD_FAILURE() << "the engine never went idle";
  return traces;
}

engine::PingOptions base_options() {
  engine::PingOptions o;
  o.count = 2;
  o.interval = 100ms;
  o.timeout = 50ms;
  o.retries = 1;
  o.backoff = 2.0;
  o.payload_size = 40;
  o.pattern = {std::byte{0xab}, std::byte{0xcd}};
  o.pattern_size = 2;
  return o;
}

}  // namespace

TEST(PingEngineFastPath, AlternatingOptionsGiveEveryRequestItsOwn) {
  // Each variant differs from the base in one field. Started alternately
  // (base, variant, base, variant), every request must behave exactly as it
  // does alone: a request that took its neighbour's shared options would not.
  using Change = std::function<void(engine::PingOptions&)>;
  struct Variant {
    std::string name;
    Change change;      // applied to the variant only
    Change both = {};   // applied to both first
  };
  const auto sixteen_byte_pattern = [](engine::PingOptions& o) {
    for (std::size_t i = 0; i < 16; ++i) o.pattern[i] = std::byte(0x30 + i);
    o.pattern_size = 16;
  };
  const std::vector<Variant> variants = {
      {"payload_size", [](auto& o) { o.payload_size = 41; }},
      {"pattern first word", [](auto& o) { o.pattern[1] = std::byte{0xce}; }},
      {"pattern second word", [](auto& o) { o.pattern[12] = std::byte{0x12}; }, sixteen_byte_pattern},
      {"pattern_size", [](auto& o) { o.pattern_size = 3; }},
      {"ttl", [](auto& o) { o.ttl = wire::Ttl(5); }},
      {"tos", [](auto& o) { o.tos = std::uint8_t{0x10}; }},
      {"dont_fragment", [](auto& o) { o.dont_fragment = true; }},
      {"count", [](auto& o) { o.count = 3; }},
      {"interval", [](auto& o) { o.interval = 150ms; }},
      {"timeout", [](auto& o) { o.timeout = 70ms; }},
      {"retries", [](auto& o) { o.retries = 2; }},
      {"backoff", [](auto& o) { o.backoff = 3.0; }},
      {"stop_on_reply", [](auto& o) { o.stop_on_reply = true; }},
      {"send_on_reply", [](auto& o) { o.send_on_reply = true; }},
  };
  for (const auto& [name, change, both] : variants) {
    auto base = base_options();
    if (both) both(base);
    auto variant = base;
    change(variant);
    const auto alone_base = run({{1, base}})[1];
    const auto alone_variant = run({{2, variant}})[2];
    // The field is visible in what the request does (else this proves nothing).
    ASSERT_NE(alone_base, alone_variant) << name;
    auto together = run({{1, base}, {2, variant}, {3, base}, {4, variant}, {5, variant}, {6, base}});
    EXPECT_EQ(together[1], alone_base) << name;
    EXPECT_EQ(together[2], alone_variant) << name;
    EXPECT_EQ(together[3], alone_base) << name;
    EXPECT_EQ(together[4], alone_variant) << name;
    EXPECT_EQ(together[5], alone_variant) << name;
    EXPECT_EQ(together[6], alone_base) << name;
  }
}

TEST(PingEngineFastPath, RawSocketChecksumMatchesTheReferenceForEverySizeAndPattern) {
  struct Pattern {
    std::vector<std::uint8_t> bytes;
  };
  const std::vector<Pattern> patterns = {
      {{}},
      {{0xff}},
      {{0x01, 0x02, 0x03}},
      {{0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff}},
  };
  const std::vector<std::size_t> sizes = {0,  1,  2,  7,  8,  9,  15, 16,  17,   23,  24,
                                          25, 26, 31, 32, 33, 56, 57, 100, 1001, 1472};
  // All-ones cookie and identifier: the sums carry in every position.
  for (const std::uint64_t cookie : {0xffffffffffffffffULL, 0x0123456789abcdefULL}) {
    for (const std::uint16_t id : {std::uint16_t{0xffff}, std::uint16_t{0x0001}}) {
      for (const auto& pattern : patterns) {
        for (const auto size : sizes) {
          const auto where = "cookie " + std::to_string(cookie) + " id " + std::to_string(id) + " pattern " +
                             std::to_string(pattern.bytes.size()) + " payload " + std::to_string(size);
          engine::EngineConfig c;
          c.cookie = cookie;
          c.echo_id = wire::EchoId(id);
          c.match_echo_id = true;
          c.compute_checksum = true;
          engine::PingEngine e(c);
          engine::PingOptions o;
          o.payload_size = size;
          for (std::size_t i = 0; i < pattern.bytes.size(); ++i) o.pattern[i] = std::byte(pattern.bytes[i]);
          o.pattern_size = static_cast<std::uint8_t>(pattern.bytes.size());
          const engine::TimePoint now{std::chrono::nanoseconds(0xfedcba9876543LL)};
          ASSERT_TRUE(e.add_target(v4_index(7), o, now)) << where;
          std::vector<std::byte> buffer(2048, std::byte{0x5a});  // the fill must overwrite this
          auto t = e.poll_transmit(now, buffer);
          ASSERT_TRUE(t) << where;
          ASSERT_EQ(t->length, 8 + size) << where;
          const std::vector<std::byte> packet(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(t->length));
          EXPECT_EQ(wire::internet_checksum(packet), 0) << where;
          auto reference = packet;
          wire::set_icmpv4_checksum(reference);  // the same 16 bits (0x0000 and 0xffff are not interchangeable here)
          EXPECT_EQ(packet, reference) << where;
          EXPECT_EQ(packet[0], std::byte{8}) << where;
          EXPECT_EQ(packet[1], std::byte{0}) << where;
          EXPECT_EQ(wire::detail::load_be16(packet, 4), id) << where;
          EXPECT_EQ(wire::detail::load_be16(packet, 6), 0) << where;
          std::vector<std::byte> cookie_bytes(8);
          wire::detail::store_be64(cookie_bytes, 0, cookie);
          for (std::size_t i = 0; i < std::min<std::size_t>(size, 8); ++i) {
            EXPECT_EQ(packet[8 + i], cookie_bytes[i]) << where << " byte " << i;
          }
          for (std::size_t i = 24; i < size; ++i) {
            const auto expected = pattern.bytes.empty() ? std::byte{0}
                                                        : std::byte(pattern.bytes[(i - 24) % pattern.bytes.size()]);
            ASSERT_EQ(packet[8 + i], expected) << where << " payload byte " << i;
          }
          // And it is still matched as ours (serial, sequence, cookie as written).
          e.on_sent(t->handle, now);
          engine::DatagramIn d;
          d.source = v4_index(7);
          const auto reply = reply_to(packet);
          d.icmp = reply;
          e.on_datagram(now + 1ms, d);
          auto ev = e.poll_event();
          ASSERT_TRUE(ev) << where;
          EXPECT_EQ(ev->kind, engine::EventKind::outcome) << where;
          EXPECT_TRUE(std::holds_alternative<engine::Reply>(ev->outcome)) << where;
        }
      }
    }
  }
}

TEST(PingEngineFastPath, ChecksumFieldIsLeftZeroWhenTheKernelComputesIt) {
  // Ping sockets (compute_checksum false) and every ICMPv6 socket: the
  // kernel fills the field in, whatever was in the buffer before.
  struct Case {
    engine::EngineConfig config;
    wire::IpAddress target;
  };
  engine::EngineConfig ping_socket = sweep_config();
  ping_socket.compute_checksum = false;
  engine::EngineConfig v6;
  v6.family = wire::Family::v6;
  v6.compute_checksum = true;
  const std::vector<Case> cases = {{ping_socket, v4_index(1)}, {v6, *wire::IpAddress::parse("::1")}};
  for (const auto& c : cases) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{56}}) {
      engine::PingEngine e(c.config);
      engine::PingOptions o;
      o.payload_size = size;
      const engine::TimePoint now{std::chrono::seconds(5)};
      ASSERT_TRUE(e.add_target(c.target, o, now));
      std::vector<std::byte> buffer(256, std::byte{0xa5});
      auto t = e.poll_transmit(now, buffer);
      ASSERT_TRUE(t);
      EXPECT_EQ(wire::detail::load_be16(buffer, 2), 0) << size;
      EXPECT_EQ(buffer[0], std::byte{c.config.family == wire::Family::v4 ? std::uint8_t{8} : std::uint8_t{128}});
    }
  }
}
