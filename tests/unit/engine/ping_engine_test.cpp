// PingEngine on a simulated clock: no sockets, no sleeps. Replies are made
// from the bytes the engine transmits (type flipped, identifier rewritten as
// a Linux ping socket does); ICMP errors come from real captures of the wire
// fixtures (tests/data/icmpv4, icmpv6) with our probe spliced into the quote.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "ping_test_support.hpp"

using namespace std::chrono_literals;
using icmpkit::ConstBytes;
using icmpkit::engine::Cancelled;
using icmpkit::engine::DatagramIn;
using icmpkit::engine::EngineConfig;
using icmpkit::engine::ErrorRecordIn;
using icmpkit::engine::EventKind;
using icmpkit::engine::IcmpError;
using icmpkit::engine::IcmpErrorKind;
using icmpkit::engine::PingEngine;
using icmpkit::engine::PingOptions;
using icmpkit::engine::ProbeEvent;
using icmpkit::engine::Reply;
using icmpkit::engine::SendError;
using icmpkit::engine::TargetId;
using icmpkit::engine::TimePoint;
using icmpkit::engine::Timeout;
using icmpkit::engine::Transmit;
namespace wire = icmpkit::wire;

namespace {

wire::IpAddress addr(const char* text) { return *wire::IpAddress::parse(text); }

using icmpkit::engine::test::v4_index;

// A simulated world: an engine, a clock and what was "sent".
struct Sim {
  explicit Sim(EngineConfig config) : engine(config) {}
  PingEngine engine;
  TimePoint now{std::chrono::seconds(1000)};
  std::vector<std::byte> buffer = std::vector<std::byte>(70000);
  struct Sent {
    Transmit transmit;
    std::vector<std::byte> bytes;
  };
  std::vector<Sent> sent;
  std::vector<ProbeEvent> events;

  // Sends everything due now (marking each probe sent), optionally with the
  // realtime send time and, per probe in order, the send call's length.
  std::size_t send_due(std::optional<std::chrono::nanoseconds> realtime = std::nullopt,
                       std::vector<std::chrono::nanoseconds> calls = {}) {
    std::size_t n = 0;
    while (auto t = engine.poll_transmit(now, buffer)) {
      sent.push_back({*t, std::vector<std::byte>(buffer.begin(), buffer.begin() + static_cast<long>(t->length))});
      engine.on_sent(t->handle, now, realtime, n < calls.size() ? calls[n] : std::chrono::nanoseconds::zero());
      ++n;
    }
    drain();
    return n;
  }
  void drain() {
    while (auto e = engine.poll_event()) events.push_back(*e);
  }
  // Advances time to `until` stepping through every deadline.
  void run_until(TimePoint until) {
    for (int guard = 0; guard < 1000000; ++guard) {
      send_due();
      auto next = engine.next_deadline();
      if (!next || *next > until) break;
      if (*next > now) now = *next;
      engine.handle_timeout(now);
      drain();
    }
    now = std::max(now, until);
    engine.handle_timeout(now);
    send_due();
  }
  // The echo reply to a sent request, identifier rewritten to `id`.
  static std::vector<std::byte> reply_to(const std::vector<std::byte>& request, std::uint16_t id, bool v6 = false) {
    auto reply = request;
    reply[0] = std::byte{static_cast<unsigned char>(v6 ? 129 : 0)};
    wire::detail::store_be16(reply, 4, id);
    if (!v6) wire::set_icmpv4_checksum(reply);
    return reply;
  }
  void deliver(const std::vector<std::byte>& icmp, const wire::IpAddress& from,
               std::optional<std::chrono::nanoseconds> realtime = std::nullopt) {
    DatagramIn d;
    d.source = from;
    d.icmp = icmp;
    d.ttl = wire::Ttl(64);
    d.realtime = realtime;
    engine.on_datagram(now, d);
    drain();
  }
  std::vector<ProbeEvent> of_kind(EventKind kind) const {
    std::vector<ProbeEvent> out;
    for (const auto& e : events)
      if (e.kind == kind) out.push_back(e);
    return out;
  }
};

EngineConfig dgram_config(wire::Family family = wire::Family::v4) {
  EngineConfig c;
  c.family = family;
  c.cookie = 0x1122334455667788ULL;
  c.echo_id = wire::EchoId(0x4242);
  c.match_echo_id = false;  // a Linux ping socket rewrites the id
  return c;
}
EngineConfig raw_config(wire::Family family = wire::Family::v4) {
  auto c = dgram_config(family);
  c.match_echo_id = true;
  return c;
}
PingOptions one_probe(std::chrono::nanoseconds timeout = 1s) {
  PingOptions o;
  o.count = 1;
  o.timeout = timeout;
  return o;
}

std::vector<std::byte> load_hex(const std::string& relative) {
  std::ifstream in(std::string(ICMPKIT_TEST_DATA_DIR) + "/" + relative);
  std::vector<std::byte> out;
  std::string line;
  while (std::getline(in, line)) {
    // Two fixture formats: bytes ("45 c0") and 16-bit words ("0200 9207"),
    // with "# comment" and "src x" / "dst y" lines.
    if (line.empty() || line[0] == '#' || line.rfind("src", 0) == 0 || line.rfind("dst", 0) == 0) continue;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      for (std::size_t i = 0; i + 1 < w.size(); i += 2) {
        out.push_back(static_cast<std::byte>(std::stoul(w.substr(i, 2), nullptr, 16)));
      }
    }
  }
  return out;
}

}  // namespace

TEST(PingEngine, TransmitCarriesCookieSerialAndPattern) {
  Sim sim(dgram_config());
  auto o = one_probe();
  o.payload_size = 40;
  o.pattern = {std::byte{0xab}, std::byte{0xcd}};
  o.pattern_size = 2;
  o.ttl = wire::Ttl(7);
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), o, sim.now));
  ASSERT_EQ(sim.send_due(), 1u);
  const auto& s = sim.sent[0];
  EXPECT_EQ(s.transmit.length, 48u);
  EXPECT_EQ(s.transmit.destination, addr("127.0.0.1"));
  ASSERT_TRUE(s.transmit.ttl);
  EXPECT_EQ(s.transmit.ttl->value(), 7);
  EXPECT_TRUE(wire::verify_icmpv4_checksum(s.bytes));
  EXPECT_EQ(static_cast<int>(s.bytes[0]), 8);
  EXPECT_EQ(wire::detail::load_be64(s.bytes, 8), 0x1122334455667788ULL);
  EXPECT_EQ(s.bytes[8 + 24], std::byte{0xab});
  EXPECT_EQ(s.bytes[8 + 25], std::byte{0xcd});
  EXPECT_EQ(s.bytes[8 + 26], std::byte{0xab});
}

TEST(PingEngine, MatchesReplyWithRewrittenIdOnPingSocket) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now, 99);
  ASSERT_TRUE(id);
  sim.send_due();
  sim.now += 7ms;
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 0x0bad), addr("127.0.0.1"));
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  const auto* reply = std::get_if<Reply>(&outcomes[0].outcome);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->rtt, 7ms);
  EXPECT_EQ(reply->size, 64u);
  EXPECT_EQ(outcomes[0].user_data, 99u);
  EXPECT_EQ(outcomes[0].target, *id);
  EXPECT_EQ(sim.of_kind(EventKind::done).size(), 1u);
  EXPECT_TRUE(sim.engine.is_done(*id));
  auto st = sim.engine.stats(*id);
  EXPECT_EQ(st.sent, 1u);
  EXPECT_EQ(st.received, 1u);
  EXPECT_EQ(st.rtt.min, 7ms);
}

TEST(PingEngine, RawSocketRequiresOurIdentifier) {
  Sim sim(raw_config());
  auto id = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now);
  sim.send_due();
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 0x0bad), addr("127.0.0.1"));
  EXPECT_TRUE(sim.of_kind(EventKind::outcome).empty());
  EXPECT_EQ(sim.engine.counters().foreign_replies, 1u);
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 0x4242), addr("127.0.0.1"));
  ASSERT_EQ(sim.of_kind(EventKind::outcome).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Reply>(sim.of_kind(EventKind::outcome)[0].outcome));
  EXPECT_EQ(sim.engine.stats(*id).received, 1u);
}

TEST(PingEngine, IgnoresOtherProgramsReplies) {
  Sim sim(raw_config());
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now));
  sim.send_due();
  // Same id and sequence, but another program's payload (a real iputils reply's data).
  auto foreign = Sim::reply_to(sim.sent[0].bytes, 0x4242);
  auto captured = load_hex("icmpv4/echo_reply.hex");
  ASSERT_GE(captured.size(), 28u + 24u);
  std::copy(captured.begin() + 28, captured.begin() + 28 + 24, foreign.begin() + 8);
  sim.deliver(foreign, addr("127.0.0.1"));
  EXPECT_TRUE(sim.of_kind(EventKind::outcome).empty());
  EXPECT_EQ(sim.engine.counters().foreign_replies, 1u);
  // A reply from another address with our bytes is not a reply from the target.
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 0x4242), addr("127.0.0.9"));
  EXPECT_TRUE(sim.of_kind(EventKind::outcome).empty());
}

TEST(PingEngine, TimeoutThenLateReplyIsNotAReply) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("127.0.0.1"), one_probe(500ms), sim.now);
  sim.send_due();
  ASSERT_EQ(sim.engine.next_deadline(), sim.now + 500ms);
  sim.run_until(sim.now + 499ms);
  EXPECT_TRUE(sim.of_kind(EventKind::outcome).empty());
  sim.run_until(sim.now + 1ms);
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Timeout>(outcomes[0].outcome));
  EXPECT_EQ(sim.of_kind(EventKind::done).size(), 1u);
  sim.now += 200ms;
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"));
  auto late = sim.of_kind(EventKind::late_reply);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(std::get<Reply>(late[0].outcome).rtt, 700ms);
  auto st = sim.engine.stats(*id);
  EXPECT_EQ(st.received, 0u);
  EXPECT_EQ(st.late, 1u);
  EXPECT_EQ(st.timeouts, 1u);
  EXPECT_DOUBLE_EQ(st.loss_percent(), 100.0);
  EXPECT_EQ(sim.of_kind(EventKind::outcome).size(), 1u);  // still exactly one outcome
}

TEST(PingEngine, DuplicatesAreCountedNotReplied) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now);
  sim.send_due();
  auto reply = Sim::reply_to(sim.sent[0].bytes, 1);
  sim.now += 1ms;
  sim.deliver(reply, addr("127.0.0.1"));
  sim.now += 1ms;
  sim.deliver(reply, addr("127.0.0.1"));
  sim.deliver(reply, addr("127.0.0.1"));
  EXPECT_EQ(sim.of_kind(EventKind::outcome).size(), 1u);
  auto dups = sim.of_kind(EventKind::duplicate);
  ASSERT_EQ(dups.size(), 2u);
  EXPECT_EQ(std::get<Reply>(dups[1].outcome).duplicates, 2u);
  auto st = sim.engine.stats(*id);
  EXPECT_EQ(st.received, 1u);
  EXPECT_EQ(st.duplicates, 2u);
  // After the linger time the record is gone: a further copy is stale.
  sim.run_until(sim.now + 11s);
  sim.deliver(reply, addr("127.0.0.1"));
  EXPECT_EQ(sim.engine.counters().stale_replies, 1u);
}

TEST(PingEngine, SequenceWrapsPast65535InFlightToOneTarget) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 70000;
  o.interval = 0ns;
  o.timeout = 1h;
  o.payload_size = 24;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  ASSERT_EQ(sim.send_due(), 70000u);
  EXPECT_EQ(sim.engine.in_flight(), 70000u);
  // Probes 5 and 65541 share sequence number 5.
  EXPECT_EQ(wire::detail::load_be16(sim.sent[5].bytes, 6), wire::detail::load_be16(sim.sent[65541].bytes, 6));
  // Answer in reverse order: each reply must end its own probe.
  for (std::size_t i = sim.sent.size(); i-- > 0;) {
    sim.now += 1us;
    sim.deliver(Sim::reply_to(sim.sent[i].bytes, 7), addr("127.0.0.1"));
  }
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 70000u);
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    ASSERT_EQ(outcomes[k].probe_index, 70000u - 1 - k);
    ASSERT_TRUE(std::holds_alternative<Reply>(outcomes[k].outcome));
  }
  // Probe 5 waited longer than probe 65541.
  EXPECT_GT(std::get<Reply>(outcomes[70000 - 1 - 5].outcome).rtt,
            std::get<Reply>(outcomes[70000 - 1 - 65541].outcome).rtt);
  EXPECT_EQ(sim.engine.stats(*id).received, 70000u);
  EXPECT_EQ(sim.engine.in_flight(), 0u);
  EXPECT_EQ(sim.engine.counters().stale_replies, 0u);
}

TEST(PingEngine, MoreThan65535TargetsInFlight) {
  Sim sim(dgram_config());
  constexpr std::uint32_t n = 70000;
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_TRUE(sim.engine.add_target(v4_index(i), one_probe(10s), sim.now, i));
  ASSERT_EQ(sim.send_due(), n);
  EXPECT_EQ(sim.engine.in_flight(), n);
  EXPECT_EQ(sim.engine.targets(), n);
  for (std::uint32_t i = 0; i < n; ++i) sim.deliver(Sim::reply_to(sim.sent[i].bytes, 1), sim.sent[i].transmit.destination);
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), n);
  std::vector<bool> seen(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(outcomes[i].target, sim.sent[i].transmit.target);
    ASSERT_EQ(outcomes[i].address, sim.sent[i].transmit.destination);
    seen.at(outcomes[i].user_data) = true;
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
  EXPECT_EQ(sim.engine.total_stats().received, n);
  for (const auto& e : sim.of_kind(EventKind::done)) sim.engine.release(e.target);
  EXPECT_EQ(sim.engine.targets(), 0u);
}

TEST(PingEngine, MemoryPerProbeAndPerTargetIsSmall) {
  // Stated in engine/ping.hpp: a pooled record plus a timer entry per probe.
  EXPECT_LE(PingEngine::probe_record_size(), 96u);
  EXPECT_LE(PingEngine::target_record_size(), 1024u);
}

TEST(PingEngine, ErrorRecordWithShortQuoteEndsTheProbe) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("10.71.2.2"), one_probe(), sim.now);
  sim.send_due();
  sim.now += 3ms;
  ErrorRecordIn r;
  r.offender = addr("10.71.1.1");
  r.original_destination = addr("10.71.2.2");
  r.type = 3;
  r.code = 1;
  auto probe = sim.sent[0].bytes;
  probe.resize(8);  // only the ICMP header quoted: matched by (address, sequence)
  wire::detail::store_be16(probe, 4, 0x7777);  // the kernel's identifier
  r.probe = probe;
  sim.engine.on_error_record(sim.now, r);
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  const auto* e = std::get_if<IcmpError>(&outcomes[0].outcome);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, IcmpErrorKind::unreachable);
  EXPECT_EQ(e->code, 1);
  EXPECT_EQ(e->router, addr("10.71.1.1"));
  EXPECT_EQ(e->rtt, 3ms);
  EXPECT_EQ(sim.engine.stats(*id).errors, 1u);
  EXPECT_DOUBLE_EQ(sim.engine.stats(*id).loss_percent(), 100.0);
}

TEST(PingEngine, LocalErrorRecordIsASendError) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("10.71.2.2"), one_probe(), sim.now);
  sim.send_due();
  ErrorRecordIn r;
  r.from_icmp = false;
  r.error_number = 90;  // EMSGSIZE
  r.original_destination = addr("10.71.2.2");
  r.probe = sim.sent[0].bytes;
  sim.engine.on_error_record(sim.now, r);
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<SendError>(outcomes[0].outcome));
  EXPECT_EQ(std::get<SendError>(outcomes[0].outcome).error.value(), 90);
  EXPECT_EQ(sim.engine.stats(*id).send_failures, 1u);
}

// The real Time Exceeded captured in the wire lab (router 10.71.1.1 quoting
// an iputils probe to 10.71.2.2, id 0x2c95 seq 1, fully quoted).
TEST(PingEngine, RealCapturedErrorForAnotherProgramsProbeIsIgnored) {
  auto cfg = raw_config();
  cfg.echo_id = wire::EchoId(0x2c95);
  Sim sim(cfg);
  ASSERT_TRUE(sim.engine.add_target(addr("10.71.2.2"), one_probe(), sim.now));
  // Make our probe carry sequence 1, like the captured one.
  auto o = one_probe();
  sim.send_due();  // seq 0
  ASSERT_TRUE(sim.engine.add_target(addr("10.71.2.2"), o, sim.now));
  sim.send_due();  // seq 1
  ASSERT_EQ(wire::detail::load_be16(sim.sent[1].bytes, 6), 1);
  auto packet = load_hex("icmpv4/time_exceeded_ttl.hex");
  ASSERT_EQ(packet.size(), 112u);
  auto view = wire::parse_icmp(wire::Family::v4, ConstBytes(packet).subspan(20));
  ASSERT_TRUE(view);
  sim.engine.on_quoted_error(sim.now, addr("10.71.1.1"), *view);
  sim.drain();
  EXPECT_TRUE(sim.of_kind(EventKind::outcome).empty());
  EXPECT_EQ(sim.engine.counters().unmatched_errors, 1u);
}

TEST(PingEngine, RealCapturedTimeExceededQuotingOurProbeIsMatched) {
  Sim sim(raw_config());
  ASSERT_TRUE(sim.engine.add_target(addr("10.71.2.2"), one_probe(), sim.now));
  sim.send_due();
  sim.now += 2ms;
  auto packet = load_hex("icmpv4/time_exceeded_ttl.hex");
  // Splice our 64-byte probe over the quoted echo (offset 20 + 8 + 20).
  std::copy(sim.sent[0].bytes.begin(), sim.sent[0].bytes.end(), packet.begin() + 48);
  auto view = wire::parse_icmp(wire::Family::v4, ConstBytes(packet).subspan(20, 8 + 20 + 64));
  ASSERT_TRUE(view);
  sim.engine.on_datagram(sim.now, DatagramIn{addr("10.71.1.1"), view->bytes, wire::Ttl(64), std::nullopt});
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  const auto* e = std::get_if<IcmpError>(&outcomes[0].outcome);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, IcmpErrorKind::time_exceeded);
  EXPECT_EQ(e->router, addr("10.71.1.1"));
  EXPECT_EQ(e->rtt, 2ms);
}

TEST(PingEngine, RealCapturedFragNeededGivesMtuWithEightByteQuote) {
  Sim sim(raw_config());
  auto o = one_probe();
  o.payload_size = 1400;
  o.dont_fragment = true;
  ASSERT_TRUE(sim.engine.add_target(addr("10.71.2.2"), o, sim.now));
  sim.send_due();
  ASSERT_TRUE(sim.sent[0].transmit.dont_fragment);
  auto packet = load_hex("icmpv4/unreachable_frag_needed.hex");
  // Keep the captured header and quoted IPv4 header, and only the first 8
  // bytes of our probe (RFC 792's minimum quote: no cookie available).
  std::copy(sim.sent[0].bytes.begin(), sim.sent[0].bytes.begin() + 8, packet.begin() + 48);
  auto view = wire::parse_icmp(wire::Family::v4, ConstBytes(packet).subspan(20, 8 + 20 + 8));
  ASSERT_TRUE(view);
  sim.engine.on_quoted_error(sim.now, addr("10.71.1.1"), *view);
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  const auto* e = std::get_if<IcmpError>(&outcomes[0].outcome);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, IcmpErrorKind::packet_too_big);
  EXPECT_EQ(e->mtu, 1280u);
}

TEST(PingEngine, RealCapturedIcmpv6PacketTooBigIsMatched) {
  // ICMPv6 message only: type 2, MTU 1280, quoted IPv6 header at 8, echo at 48.
  auto packet = load_hex("icmpv6/packet_too_big.hex");
  ASSERT_GT(packet.size(), 8u + 40u + 8u + 24u);
  wire::Ipv6Address dst{};
  std::copy(packet.begin() + 8 + 24, packet.begin() + 8 + 40, dst.begin());
  ASSERT_EQ(wire::IpAddress(dst), addr("fd00:2::2"));
  Sim sim(raw_config(wire::Family::v6));
  auto o = one_probe();
  o.payload_size = 1400;
  ASSERT_TRUE(sim.engine.add_target(wire::IpAddress(dst), o, sim.now));
  sim.send_due();
  std::copy(sim.sent[0].bytes.begin(), sim.sent[0].bytes.begin() + 8 + 24, packet.begin() + 48);
  auto view = wire::parse_icmp(wire::Family::v6, ConstBytes(packet));
  ASSERT_TRUE(view);
  ASSERT_EQ(view->type, 2);
  sim.engine.on_quoted_error(sim.now, addr("fd00:1::2"), *view);
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  const auto* e = std::get_if<IcmpError>(&outcomes[0].outcome);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, IcmpErrorKind::packet_too_big);
  EXPECT_EQ(e->mtu, 1280u);
  EXPECT_EQ(e->router, addr("fd00:1::2"));
}

TEST(PingEngine, Icmpv6EchoMatched) {
  Sim sim(dgram_config(wire::Family::v6));
  EXPECT_EQ(sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now).error(),
            icmpkit::errc::address_family_not_supported);
  ASSERT_TRUE(sim.engine.add_target(addr("::1"), one_probe(), sim.now));
  sim.send_due();
  EXPECT_EQ(static_cast<int>(sim.sent[0].bytes[0]), 128);
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 3, true), addr("::1"));
  ASSERT_EQ(sim.of_kind(EventKind::outcome).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Reply>(sim.of_kind(EventKind::outcome)[0].outcome));
}

TEST(PingEngine, IntervalPacesProbesOfOneTarget) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 4;
  o.interval = 1s;
  o.timeout = 100ms;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  const auto start = sim.now;
  sim.run_until(start + 10s);
  ASSERT_EQ(sim.sent.size(), 4u);
  std::vector<TimePoint> times;
  for (auto& e : sim.of_kind(EventKind::outcome)) EXPECT_TRUE(std::holds_alternative<Timeout>(e.outcome));
  EXPECT_EQ(sim.of_kind(EventKind::done).size(), 1u);
  EXPECT_EQ(sim.engine.stats(*id).sent, 4u);
  EXPECT_EQ(sim.engine.stats(*id).timeouts, 4u);
  // Sequences consecutive per address.
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(wire::detail::load_be16(sim.sent[i].bytes, 6), i);
}

TEST(PingEngine, GlobalRateLimitHoldsOverSimulatedTime) {
  auto cfg = dgram_config();
  cfg.max_rate = 100;  // per second
  cfg.burst = 5;
  Sim sim(cfg);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(sim.engine.add_target(v4_index(i), one_probe(10s), sim.now));
  const auto start = sim.now;
  sim.run_until(start + 2s);
  // burst + rate * elapsed, and not fewer than rate * elapsed.
  EXPECT_LE(sim.sent.size(), 5u + 200u);
  EXPECT_GE(sim.sent.size(), 200u);
  EXPECT_GT(sim.engine.counters().rate_limited, 0u);
}

TEST(PingEngine, RetriesWithBackoff) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 1;
  o.timeout = 100ms;
  o.retries = 2;
  o.backoff = 2.0;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  const auto start = sim.now;
  std::vector<TimePoint> send_times;
  for (int guard = 0; guard < 100 && !sim.engine.is_done(*id); ++guard) {
    auto before = sim.sent.size();
    sim.send_due();
    if (sim.sent.size() > before) send_times.push_back(sim.now);
    auto next = sim.engine.next_deadline();
    if (!next) break;
    sim.now = *next;
    sim.engine.handle_timeout(sim.now);
    sim.drain();
  }
  ASSERT_EQ(send_times.size(), 3u);
  EXPECT_EQ(send_times[0] - start, 0ms);
  EXPECT_EQ(send_times[1] - start, 100ms);
  EXPECT_EQ(send_times[2] - start, 300ms);
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(std::get<Timeout>(outcomes[0].outcome).will_retry);
  EXPECT_TRUE(std::get<Timeout>(outcomes[1].outcome).will_retry);
  EXPECT_FALSE(std::get<Timeout>(outcomes[2].outcome).will_retry);
  EXPECT_EQ(outcomes[2].attempt, 2u);
  EXPECT_EQ(outcomes[2].probe_index, 0u);
  EXPECT_EQ(sim.now - start, 700ms);
}

TEST(PingEngine, RetryAnsweredStopsRetrying) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 1;
  o.timeout = 100ms;
  o.retries = 3;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  sim.send_due();
  sim.run_until(sim.now + 100ms);
  ASSERT_EQ(sim.sent.size(), 2u);
  sim.deliver(Sim::reply_to(sim.sent[1].bytes, 1), addr("127.0.0.1"));
  EXPECT_TRUE(sim.engine.is_done(*id));
  EXPECT_EQ(sim.engine.stats(*id).received, 1u);
}

TEST(PingEngine, DeadlineStopsAnEndlessRequest) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 0;
  o.interval = 1s;
  o.timeout = 5s;
  o.deadline = 3500ms;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  sim.run_until(sim.now + 10s);
  EXPECT_EQ(sim.sent.size(), 4u);
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 4u);
  for (auto& e : outcomes) EXPECT_TRUE(std::holds_alternative<Cancelled>(e.outcome));
  auto done = sim.of_kind(EventKind::done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Cancelled>(done[0].outcome));
  EXPECT_TRUE(sim.engine.is_done(*id));
  EXPECT_FALSE(sim.engine.next_deadline() && *sim.engine.next_deadline() < sim.now);
}

TEST(PingEngine, CancelEndsInFlightProbesOnce) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 10;
  o.interval = 0ns;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  sim.send_due();
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"));
  sim.engine.cancel(*id, sim.now);
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 10u);
  EXPECT_EQ(std::count_if(outcomes.begin(), outcomes.end(),
                          [](auto& e) { return std::holds_alternative<Cancelled>(e.outcome); }),
            9);
  sim.engine.cancel(*id, sim.now);
  sim.run_until(sim.now + 5s);
  EXPECT_EQ(sim.of_kind(EventKind::outcome).size(), 10u);
  EXPECT_EQ(sim.of_kind(EventKind::done).size(), 1u);
}

TEST(PingEngine, SendFailureIsAnOutcome) {
  Sim sim(dgram_config());
  auto id = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now);
  auto t = sim.engine.poll_transmit(sim.now, sim.buffer);
  ASSERT_TRUE(t);
  sim.engine.on_send_failed(t->handle, sim.now, std::make_error_code(std::errc::host_unreachable));
  sim.drain();
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(std::get<SendError>(outcomes[0].outcome).error, std::errc::host_unreachable);
  EXPECT_EQ(sim.engine.stats(*id).send_failures, 1u);
  EXPECT_EQ(sim.engine.stats(*id).sent, 0u);
  EXPECT_TRUE(sim.engine.is_done(*id));
}

TEST(PingEngine, TooSmallBufferIsASendError) {
  Sim sim(dgram_config());
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now));
  std::array<std::byte, 20> small{};
  EXPECT_FALSE(sim.engine.poll_transmit(sim.now, small));
  sim.drain();
  ASSERT_EQ(sim.of_kind(EventKind::outcome).size(), 1u);
  EXPECT_EQ(std::get<SendError>(sim.of_kind(EventKind::outcome)[0].outcome).error, icmpkit::errc::buffer_too_small);
}

namespace {
// Two probes to one target, both due at once (the timestamp tests).
PingOptions two_back_to_back() {
  PingOptions o;
  o.count = 2;
  o.interval = 0ns;
  return o;
}
}  // namespace

TEST(PingEngine, KernelTimestampsGiveRttUnlessClockStepped) {
  Sim sim(dgram_config());
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), two_back_to_back(), sim.now));
  ASSERT_EQ(sim.send_due(std::chrono::nanoseconds(1'700'000'000'000'000'000)), 2u);
  sim.now += 5ms;  // monotonic: 5 ms; kernel: 3 ms
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"),
              std::chrono::nanoseconds(1'700'000'000'003'000'000));
  // Wall clock stepped by an hour: fall back to monotonic.
  sim.deliver(Sim::reply_to(sim.sent[1].bytes, 1), addr("127.0.0.1"),
              std::chrono::nanoseconds(1'700'003'600'003'000'000));
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(std::get<Reply>(outcomes[0].outcome).rtt, 3ms);
  EXPECT_TRUE(std::get<Reply>(outcomes[0].outcome).kernel_timestamp);
  EXPECT_EQ(std::get<Reply>(outcomes[1].outcome).rtt, 5ms);
  EXPECT_FALSE(std::get<Reply>(outcomes[1].outcome).kernel_timestamp);
}

// Loopback answers inside the send call: the reply's kernel timestamp is
// earlier than the time read after the call returned. The RTT then runs from
// the call's start; without a known call length it falls back to monotonic.
TEST(PingEngine, ReplyTimestampedInsideTheSendCallIsMeasuredFromTheCallStart) {
  Sim sim(dgram_config());
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), two_back_to_back(), sim.now));
  const std::chrono::nanoseconds returned(1'700'000'000'000'040'000);
  ASSERT_EQ(sim.send_due(returned, {30us, 0ns}), 2u);
  sim.now += 50us;
  // Timestamped 10 us before the call returned, 20 us after it began.
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"), returned - 10us);
  sim.deliver(Sim::reply_to(sim.sent[1].bytes, 1), addr("127.0.0.1"), returned - 10us);
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(std::get<Reply>(outcomes[0].outcome).rtt, 20us);
  EXPECT_TRUE(std::get<Reply>(outcomes[0].outcome).kernel_timestamp);
  EXPECT_EQ(std::get<Reply>(outcomes[1].outcome).rtt, 50us) << "no call length: monotonic";
  EXPECT_FALSE(std::get<Reply>(outcomes[1].outcome).kernel_timestamp);
}

// The kernel's transmit timestamp replaces the send time estimated around
// the call (here 30 us too late: the reply's stamp is earlier than it), and
// arrives too late to count once the probe has ended.
TEST(PingEngine, TransmitTimestampGivesTheSendTime) {
  Sim sim(dgram_config());
  ASSERT_TRUE(sim.engine.add_target(addr("127.0.0.1"), two_back_to_back(), sim.now));
  const std::chrono::nanoseconds returned(1'700'000'000'000'040'000);
  ASSERT_EQ(sim.send_due(returned, {30us, 30us}), 2u);
  sim.engine.on_transmit_timestamp(sim.sent[0].transmit.handle, returned - 38us);
  sim.now += 50us;
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"), returned - 35us);
  sim.deliver(Sim::reply_to(sim.sent[1].bytes, 1), addr("127.0.0.1"), returned - 10us);
  sim.engine.on_transmit_timestamp(sim.sent[1].transmit.handle, returned - 12us);  // after its reply: ignored
  sim.engine.on_transmit_timestamp(icmpkit::engine::ProbeHandle{999, 0}, returned);  // unknown: ignored
  auto outcomes = sim.of_kind(EventKind::outcome);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(std::get<Reply>(outcomes[0].outcome).rtt, 3us) << "from the kernel's send time";
  EXPECT_TRUE(std::get<Reply>(outcomes[0].outcome).kernel_timestamp);
  EXPECT_EQ(std::get<Reply>(outcomes[1].outcome).rtt, 20us) << "from the call's start, as without one";
  EXPECT_EQ(sim.engine.counters().transmit_timestamps, 1u);
}

TEST(PingEngine, StopOnReplyFinishesEarly) {
  Sim sim(dgram_config());
  PingOptions o;
  o.count = 5;
  o.interval = 100ms;
  o.stop_on_reply = true;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  sim.send_due();
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"));
  EXPECT_TRUE(sim.engine.is_done(*id));
  sim.run_until(sim.now + 2s);
  EXPECT_EQ(sim.sent.size(), 1u);
}

TEST(PingEngine, TinyPayloadMatchesByAddressAndSequence) {
  Sim sim(dgram_config());
  auto o = one_probe();
  o.payload_size = 0;
  auto id = sim.engine.add_target(addr("127.0.0.1"), o, sim.now);
  sim.send_due();
  EXPECT_EQ(sim.sent[0].bytes.size(), 8u);
  sim.deliver(Sim::reply_to(sim.sent[0].bytes, 1), addr("127.0.0.1"));
  EXPECT_EQ(sim.engine.stats(*id).received, 1u);
}

TEST(PingEngine, RejectsBadOptions) {
  Sim sim(dgram_config());
  auto o = one_probe();
  o.payload_size = 70000;
  EXPECT_EQ(sim.engine.add_target(addr("127.0.0.1"), o, sim.now).error(), icmpkit::errc::invalid_argument);
  o = one_probe(0s);
  EXPECT_EQ(sim.engine.add_target(addr("127.0.0.1"), o, sim.now).error(), icmpkit::errc::invalid_argument);
}

TEST(PingEngine, TwoRequestsToOneAddressShareTheSequenceSpace) {
  Sim sim(dgram_config());
  auto a = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now, 1);
  auto b = sim.engine.add_target(addr("127.0.0.1"), one_probe(), sim.now, 2);
  sim.send_due();
  ASSERT_EQ(sim.sent.size(), 2u);
  EXPECT_NE(wire::detail::load_be16(sim.sent[0].bytes, 6), wire::detail::load_be16(sim.sent[1].bytes, 6));
  sim.deliver(Sim::reply_to(sim.sent[1].bytes, 1), addr("127.0.0.1"));
  EXPECT_EQ(sim.engine.stats(*a).received, 0u);
  EXPECT_EQ(sim.engine.stats(*b).received, 1u);
}
