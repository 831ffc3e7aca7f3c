// A raw ICMP socket sees every ICMP message the host receives unless the
// kernel filters it (classic BPF on v4, ICMP6_FILTER on v6). With the filter
// that IcmpSocket::open installs, messages of other types sent to the host by
// another node (echo requests, timestamp requests, an experimental ICMPv6
// type) never reach the socket, while its own echo reply does; a raw socket
// opened without the filter sees them all.
#include <gtest/gtest.h>

#include <set>

#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "support/probe_support.hpp"

namespace icmpkit::itest {
namespace {

using lab::Lab;
using lab::Node;
using lab::Where;
using wire::Family;

// Two messages of types the filter must block: an echo request and a
// timestamp request (v4) or a private-experimentation informational type (v6).
std::vector<std::vector<std::byte>> foreign_messages(Family family) {
  std::vector<std::vector<std::byte>> messages;
  messages.push_back(echo_request(family, wire::EchoId{0x0f0f}, wire::EchoSeq{1}, "foreign"));
  std::vector<std::byte> other(family == Family::v4 ? 20 : 8, std::byte{0});
  other[0] = std::byte{family == Family::v4 ? std::uint8_t{13} : std::uint8_t{200}};
  if (family == Family::v4) wire::set_icmpv4_checksum(other);
  messages.push_back(std::move(other));
  return messages;
}

std::set<int> foreign_types(Family family) {
  return family == Family::v4 ? std::set<int>{8, 13} : std::set<int>{128, 200};
}

std::string types_text(const std::vector<Seen>& seen) {
  std::string text;
  for (const auto& s : seen) text += std::to_string(s.type) + ",";
  return text;
}

class RawSocketFilter : public ::testing::TestWithParam<Family> {};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(RawSocketFilter, KeepsOtherTypesSentToTheHostAwayButLetsOwnRepliesThrough) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  lab::LabConfig config;
  config.disable_checksum_offload = true;  // raw packets are inspected here
  Lab lab(config);
  const std::string r1_ns = lab.netns(Node::r1);
  const std::string client = Lab::address(Where::client, family);
  const std::string server = Lab::address(Where::server, family);

  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::root, 8s}, [&](lab::ChildReport& report) {
    sys::OpenOptions with_filter;
    with_filter.mode = sys::SocketMode::raw;
    sys::OpenOptions without_filter = with_filter;
    without_filter.install_kernel_filter = false;
    auto filtered = sys::IcmpSocket::open(family, with_filter);
    if (!filtered) return report.fail("open filtered: " + filtered.error().message());
    auto unfiltered = sys::IcmpSocket::open(family, without_filter);
    if (!unfiltered) return report.fail("open unfiltered: " + unfiltered.error().message());

    // Another node (r1) sends the foreign messages to this host.
    const auto sender = lab::run_in_netns(r1_ns, {lab::Identity::root, 3s}, [&](lab::ChildReport& r1_report) {
      sys::OpenOptions raw;
      raw.mode = sys::SocketMode::raw;
      raw.install_kernel_filter = false;
      auto socket = sys::IcmpSocket::open(family, raw);
      if (!socket) return r1_report.fail("open in r1: " + socket.error().message());
      for (const auto& message : foreign_messages(family)) {
        if (auto sent = sys::send_to(*socket, message, address(client)); !sent) {
          r1_report.fail("send from r1: " + sent.error().message());
        }
      }
    });
    if (!sender.ok()) return report.fail("r1 sender: " + sender.describe());

    // Once the unfiltered socket has seen them, they have been delivered to
    // every raw socket of the host, the filtered one included.
    std::set<int> pending = foreign_types(family);
    std::vector<Seen> unfiltered_seen;
    await_datagram(*unfiltered, 2s, [&](const Seen& seen) {
      unfiltered_seen.push_back(seen);
      pending.erase(seen.type);
      return pending.empty();
    });
    report.set("unfiltered.types", types_text(unfiltered_seen));
    report.set("unfiltered.missing", pending.size());

    const auto probe = echo_request(family, wire::EchoId{0x7e57}, wire::EchoSeq{9}, "own-probe");
    if (auto sent = sys::send_to(*filtered, probe, address(server)); !sent) {
      return report.fail("send own probe: " + sent.error().message());
    }
    std::vector<Seen> filtered_before;
    const auto reply = await_datagram(*filtered, 3s, echo_reply_to(family, wire::EchoSeq{9}, "own-probe"),
                                      &filtered_before);
    report.set("filtered.own_reply", reply.has_value());
    report.set("filtered.before_reply", types_text(filtered_before));
    if (reply) record(report, "reply", *reply);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("unfiltered.missing"), 0)
      << "without a filter the raw socket must see the foreign types: " << outcome.get("unfiltered.types");
  EXPECT_EQ(outcome.get("filtered.own_reply"), "true");
  EXPECT_EQ(outcome.get("filtered.before_reply"), "") << "the filter let other types through";
  EXPECT_EQ(outcome.get("reply.source"), server);
  EXPECT_EQ(outcome.get("reply.payload"), "own-probe");
}

// The raw fallback's traceroute path: a Time Exceeded caused by our probe
// passes the filter and arrives as an ordinary datagram from r1, quoting the probe.
TEST_P(RawSocketFilter, LetsTimeExceededForOwnProbeThroughAsADatagram) {
  ICMPKIT_REQUIRE_LAB();
  const Family family = GetParam();
  Lab lab;
  const std::string server = Lab::address(Where::server, family);
  // r1 is one link away: its initial TTL / hop limit arrives unchanged.
  const int r1_ttl = std::stoi(lab.read_sysctl(
      Node::r1, family == Family::v4 ? "net.ipv4.ip_default_ttl"
                                     : "net.ipv6.conf." + Lab::interface_towards(Node::r1, Node::client) + ".hop_limit"));
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::root, 5s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::raw;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    if (auto set = sys::set_ttl(*socket, wire::Ttl(1)); !set) return report.fail("set_ttl: " + set.error().message());
    const auto probe = echo_request(family, wire::EchoId{0x7e11}, wire::EchoSeq{5}, "raw-ttl1");
    if (auto sent = sys::send_to(*socket, probe, address(server)); !sent) return report.fail("send: " + sent.error().message());
    const std::uint8_t te = family == Family::v4 ? wire::icmpv4_type::time_exceeded : wire::icmpv6_type::time_exceeded;
    const auto seen = await_datagram(*socket, 3s, [&](const Seen& s) { return s.type == te; });
    if (!seen) return report.fail("no Time Exceeded datagram within 3 s");
    record(report, "te", *seen);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("te.source"), Lab::address(Where::r1_client_side, family));
  EXPECT_EQ(outcome.get_int("te.ttl"), r1_ttl);
}

INSTANTIATE_TEST_SUITE_P(Families, RawSocketFilter, ::testing::Values(Family::v4, Family::v6), param_family);

}  // namespace
}  // namespace icmpkit::itest
