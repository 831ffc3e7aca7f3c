// PingOptions::send_on_reply (ping -f): the next probe leaves as soon as a
// reply arrives, or `interval` after the previous send, whichever is first.
#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

using namespace std::chrono_literals;
namespace engine = icmpkit::engine;
namespace wire = icmpkit::wire;

namespace {

struct Flood {
  explicit Flood(bool send_on_reply, std::uint32_t count = 5, std::size_t max_lingering = 65536)
      : engine(config(max_lingering)) {
    engine::PingOptions o;
    o.count = count;
    o.interval = 10ms;
    o.timeout = 1s;
    o.send_on_reply = send_on_reply;
    target = *engine.add_target(address, o, now);
  }
  static engine::EngineConfig config(std::size_t max_lingering) {
    engine::EngineConfig c;
    c.max_lingering_per_target = max_lingering;
    c.cookie = 0x1122334455667788ULL;
    c.echo_id = wire::EchoId(0x4242);
    c.match_echo_id = false;
    return c;
  }
  // Sends what is due now; returns the requests sent.
  std::vector<std::vector<std::byte>> send_due() {
    std::vector<std::vector<std::byte>> out;
    while (auto t = engine.poll_transmit(now, buffer)) {
      out.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(t->length));
      engine.on_sent(t->handle, now);
    }
    return out;
  }
  void reply(std::vector<std::byte> request) {
    request[0] = std::byte{0};
    wire::set_icmpv4_checksum(request);
    engine::DatagramIn d;
    d.source = address;
    d.icmp = request;
    engine.on_datagram(now, d);
  }
  engine::PingEngine engine;
  engine::TimePoint now{std::chrono::seconds(1000)};
  wire::IpAddress address = *wire::IpAddress::parse("127.0.0.1");
  engine::TargetId target;
  std::vector<std::byte> buffer = std::vector<std::byte>(2048);
};

TEST(PingFlood, ReplyReleasesNextProbeAtOnce) {
  Flood flood(true);
  auto first = flood.send_due();
  ASSERT_EQ(first.size(), 1u);
  flood.now += 100us;
  EXPECT_TRUE(flood.send_due().empty());  // interval not over, no reply yet
  flood.reply(first[0]);
  auto second = flood.send_due();
  ASSERT_EQ(second.size(), 1u);  // 100 us after the first, not 10 ms
  EXPECT_EQ(wire::detail::load_be16(second[0], 6), 1u);
  EXPECT_EQ(flood.engine.stats(flood.target).received, 1u);
}

TEST(PingFlood, WithoutReplyIntervalStillPaces) {
  Flood flood(true);
  ASSERT_EQ(flood.send_due().size(), 1u);
  flood.now += 9ms;
  EXPECT_TRUE(flood.send_due().empty());
  flood.now += 1ms;
  EXPECT_EQ(flood.send_due().size(), 1u);  // no reply: the interval decides
}

TEST(PingFlood, WithoutOptionReplyDoesNotHurryNextProbe) {
  Flood flood(false);
  auto first = flood.send_due();
  ASSERT_EQ(first.size(), 1u);
  flood.now += 100us;
  flood.reply(first[0]);
  EXPECT_TRUE(flood.send_due().empty());
  ASSERT_TRUE(flood.engine.next_deadline());
  EXPECT_EQ(*flood.engine.next_deadline(), engine::TimePoint{std::chrono::seconds(1000)} + 10ms);
}

TEST(PingFlood, WholeCountAtReplySpeed) {
  Flood flood(true);
  std::size_t sent = 0;
  for (int i = 0; i < 10; ++i) {
    auto out = flood.send_due();
    sent += out.size();
    for (auto& request : out) flood.reply(request);
    flood.now += 50us;
  }
  EXPECT_EQ(sent, 5u);  // 5 probes within 0.5 ms, interval 10 ms
  EXPECT_EQ(flood.engine.stats(flood.target).received, 5u);
}

// A flood answers a probe every few microseconds and each answered probe
// lingers 10 s: without a bound a minute of `ping -f` kept a million
// records. Past max_lingering_per_target the oldest is forgotten: a copy of
// its reply is then stale, while the newest still count as duplicates.
TEST(PingFlood, LingeringRecordsPerTargetAreBounded) {
  Flood flood(true, 20, 8);
  std::vector<std::vector<std::byte>> requests;
  for (int i = 0; i < 20; ++i) {
    auto sent = flood.send_due();
    ASSERT_EQ(sent.size(), 1u) << "probe " << i;
    flood.now += 10us;
    flood.reply(sent[0]);
    requests.push_back(sent[0]);
  }
  EXPECT_EQ(flood.engine.stats(flood.target).received, 20u);
  EXPECT_EQ(flood.engine.counters().lingering_forgotten, 12u);
  flood.reply(requests[0]);  // forgotten: stale
  EXPECT_EQ(flood.engine.counters().stale_replies, 1u);
  EXPECT_EQ(flood.engine.stats(flood.target).duplicates, 0u);
  flood.reply(requests[11]);  // forgotten too (12 went: probes 0 to 11)
  EXPECT_EQ(flood.engine.counters().stale_replies, 2u);
  flood.reply(requests[12]);  // among the 8 kept: a duplicate
  flood.reply(requests[19]);
  EXPECT_EQ(flood.engine.stats(flood.target).duplicates, 2u);
  EXPECT_EQ(flood.engine.counters().stale_replies, 2u);
}

TEST(PingFlood, ZeroMeansNoBoundOnLingeringRecords) {
  Flood flood(true, 20, 0);
  std::vector<std::vector<std::byte>> requests;
  for (int i = 0; i < 20; ++i) {
    auto sent = flood.send_due();
    ASSERT_EQ(sent.size(), 1u);
    flood.now += 10us;
    flood.reply(sent[0]);
    requests.push_back(sent[0]);
  }
  flood.reply(requests[0]);
  EXPECT_EQ(flood.engine.counters().lingering_forgotten, 0u);
  EXPECT_EQ(flood.engine.stats(flood.target).duplicates, 1u);
}

}  // namespace
