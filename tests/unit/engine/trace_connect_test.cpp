// TraceEngine::on_connect_outcome: outcomes of TCP connect() probes (the
// unprivileged fallback for tcp_syn), matched by probe id rather than by the
// probe's bytes, and probe_in_flight, which tells the driver when to close a
// probe's socket.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "icmpkit/engine/trace_engine.hpp"

namespace icmpkit::engine {
namespace {

using namespace std::chrono_literals;

wire::IpAddress ip(const char* text) { return *wire::IpAddress::parse(text); }

TraceConfig connect_config() {
  TraceConfig c;
  c.destination = ip("192.0.2.9");
  c.source = ip("192.0.2.1");
  c.method = ProbeMethod::tcp_syn;
  c.source_port = 1;
  c.destination_port = 443;
  c.queries = 1;
  c.max_ttl = 5;
  return c;
}

ConnectOutcome icmp_error(std::uint8_t type, std::uint8_t code, const char* offender) {
  ConnectOutcome o;
  o.kind = ConnectOutcome::Kind::icmp_error;
  o.error.origin = ErrorQueueRecord::Origin::icmp;
  o.error.type = type;
  o.error.code = code;
  o.error.offender = ip(offender);
  o.error.reply_ttl = wire::Ttl(63);
  return o;
}

// Sends every due probe of the engine; probes by TTL.
std::map<int, TraceTransmit> send_all(TraceEngine& engine, TraceTime now) {
  std::map<int, TraceTransmit> by_ttl;
  while (auto t = engine.poll_transmit(now)) by_ttl[t->ttl.value()] = *t;
  return by_ttl;
}

TEST(TraceConnect, RouterErrorsAndResetMakeTheHops) {
  TraceEngine engine;
  TraceTime now{};
  auto id = engine.add_trace(connect_config(), now);
  ASSERT_TRUE(id);
  auto sent = send_all(engine, now);
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[1].destination_port, 443);
  for (auto& [ttl, t] : sent) EXPECT_TRUE(engine.probe_in_flight(t.probe)) << ttl;

  EXPECT_TRUE(engine.on_connect_outcome(now + 1ms, sent[1].probe, icmp_error(11, 0, "10.0.0.1")));
  EXPECT_FALSE(engine.probe_in_flight(sent[1].probe));
  // An outcome for a probe that already settled is not taken twice.
  EXPECT_FALSE(engine.on_connect_outcome(now + 1ms, sent[1].probe, icmp_error(11, 0, "10.0.0.7")));
  EXPECT_TRUE(engine.on_connect_outcome(now + 2ms, sent[2].probe, icmp_error(11, 0, "10.0.0.2")));
  ConnectOutcome refused;
  refused.kind = ConnectOutcome::Kind::refused;
  EXPECT_TRUE(engine.on_connect_outcome(now + 3ms, sent[3].probe, refused));
  // The final answer at TTL 3 drops the probes beyond it: their sockets can close.
  EXPECT_FALSE(engine.probe_in_flight(sent[4].probe));
  EXPECT_FALSE(engine.probe_in_flight(sent[5].probe));
  EXPECT_FALSE(engine.on_connect_outcome(now + 4ms, sent[4].probe, refused));

  std::optional<TraceResult> result;
  while (auto e = engine.poll_event()) {
    if (auto* f = std::get_if<TraceFinished>(&*e)) result = f->result;
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->stop, StopReason::destination_reached);
  ASSERT_EQ(result->hops.size(), 3u);
  EXPECT_EQ(result->hops[0].reason, ProbeReason::time_exceeded);
  EXPECT_EQ(result->hops[0].probes[0].responder, ip("10.0.0.1"));
  EXPECT_EQ(result->hops[0].probes[0].rtt, 1ms);
  EXPECT_EQ(result->hops[0].probes[0].reply_ttl, wire::Ttl(63));
  EXPECT_TRUE(result->hops[0].probes[0].icmp);
  EXPECT_EQ(result->hops[1].probes[0].responder, ip("10.0.0.2"));
  EXPECT_EQ(result->hops[2].reason, ProbeReason::tcp_reset);
  EXPECT_EQ(result->hops[2].probes[0].responder, ip("192.0.2.9"));
  EXPECT_EQ(result->hops[2].probes[0].rtt, 3ms);
  EXPECT_EQ(engine.probes_in_flight(), 0u);
}

TEST(TraceConnect, ConnectedUnreachableAndFailedOutcomes) {
  TraceEngine engine;
  TraceTime now{};
  TraceConfig c = connect_config();
  c.max_ttl = 3;
  auto id = engine.add_trace(c, now);
  ASSERT_TRUE(id);
  auto sent = send_all(engine, now);
  ASSERT_EQ(sent.size(), 3u);
  ConnectOutcome failed;
  failed.kind = ConnectOutcome::Kind::failed;
  failed.failure = std::make_error_code(std::errc::network_unreachable);
  EXPECT_TRUE(engine.on_connect_outcome(now + 1ms, sent[1].probe, failed));
  // Host unreachable (!H) from the second router ends the trace there.
  EXPECT_TRUE(engine.on_connect_outcome(now + 2ms, sent[2].probe, icmp_error(3, 1, "10.0.0.2")));
  std::optional<TraceResult> result;
  while (auto e = engine.poll_event()) {
    if (auto* f = std::get_if<TraceFinished>(&*e)) result = f->result;
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->stop, StopReason::unreachable);
  ASSERT_EQ(result->hops.size(), 2u);
  EXPECT_EQ(result->hops[0].probes[0].reason, ProbeReason::send_failed);
  EXPECT_EQ(result->hops[0].probes[0].send_error, std::make_error_code(std::errc::network_unreachable));
  EXPECT_FALSE(result->hops[0].probes[0].responder);
  EXPECT_EQ(result->hops[1].reason, ProbeReason::host_unreachable);
  EXPECT_EQ(result->hops[1].probes[0].flag, "!H");

  // A completed connect is the destination with its port open.
  TraceEngine second;
  c.first_ttl = 1;
  c.max_ttl = 1;
  ASSERT_TRUE(second.add_trace(c, now));
  auto one = send_all(second, now);
  ASSERT_EQ(one.size(), 1u);
  ConnectOutcome connected;
  connected.kind = ConnectOutcome::Kind::connected;
  EXPECT_TRUE(second.on_connect_outcome(now + 5ms, one[1].probe, connected));
  std::optional<TraceResult> r2;
  while (auto e = second.poll_event()) {
    if (auto* f = std::get_if<TraceFinished>(&*e)) r2 = f->result;
  }
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->stop, StopReason::destination_reached);
  EXPECT_EQ(r2->hops[0].probes[0].reason, ProbeReason::tcp_syn_ack);
  EXPECT_EQ(r2->hops[0].probes[0].responder, ip("192.0.2.9"));
}

TEST(TraceConnect, TimedOutProbeIsNoLongerInFlight) {
  TraceEngine engine;
  TraceTime now{};
  TraceConfig c = connect_config();
  c.max_ttl = 1;
  c.wait.max = 1s;
  ASSERT_TRUE(engine.add_trace(c, now));
  auto sent = send_all(engine, now);
  ASSERT_EQ(sent.size(), 1u);
  engine.on_timer(now + 2s);
  EXPECT_FALSE(engine.probe_in_flight(sent[1].probe));
  ConnectOutcome connected;
  EXPECT_FALSE(engine.on_connect_outcome(now + 3s, sent[1].probe, connected));
}

}  // namespace
}  // namespace icmpkit::engine
