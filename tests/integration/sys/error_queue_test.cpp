// ICMP errors caused by an unprivileged user's probes reach its ping socket
// through the error queue (IP_RECVERR / IPV6_RECVERR), with the offender
// (SO_EE_OFFENDER) being the router that generated them:
//   TTL 1                    -> Time Exceeded from r1's client-side address
//   `unreachable` route, r2  -> Destination Unreachable from r2
//   nft reject on r1         -> Destination Unreachable, code as configured, from r1
//   small MTU r2—server      -> Frag Needed / Packet Too Big with that MTU, from r2
#include <gtest/gtest.h>

#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/receive.hpp"
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

int origin_for(Family family) {
  return static_cast<int>(family == Family::v4 ? sys::ErrorOrigin::icmp : sys::ErrorOrigin::icmp6);
}

struct ProbeSpec {
  std::string destination;
  std::optional<int> ttl;
  std::size_t payload_size = 24;
  bool dont_fragment = false;
};

ProbeSpec probe_to(std::string destination, std::optional<int> ttl = std::nullopt) {
  ProbeSpec spec;
  spec.destination = std::move(destination);
  spec.ttl = ttl;
  return spec;
}

// As nobody in the client: one probe through a ping socket, then the first
// error-queue record (and whether an echo reply arrived instead).
lab::ChildOutcome probe_for_error(const Lab& lab, Family family, const ProbeSpec& spec) {
  return lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 6s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    if (spec.ttl) {
      if (auto set = sys::set_ttl(*socket, wire::Ttl(static_cast<std::uint8_t>(*spec.ttl))); !set) {
        return report.fail("set_ttl: " + set.error().message());
      }
    }
    if (spec.dont_fragment) {
      if (auto set = sys::set_pmtu_mode(*socket, sys::PmtuMode::do_); !set) {
        return report.fail("set_pmtu_mode: " + set.error().message());
      }
    }
    const std::string payload(spec.payload_size, 'x');
    const auto probe = echo_request(family, wire::EchoId{1}, wire::EchoSeq{41}, payload);
    auto sent = sys::send_to(*socket, probe, address(spec.destination));
    if (!sent) return report.fail("send_to: " + sent.error().message());
    const auto error = await_queued_error(*socket, 3s);
    if (!error) {
      const auto reply = await_datagram(*socket, 10ms, echo_reply_to(family, wire::EchoSeq{41}, payload));
      report.set("got_reply_instead", reply.has_value());
      return report.fail("no error queued within 3 s");
    }
    record(report, "error", *error);
  });
}

class ErrorQueue : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(Where where) const { return Lab::address(where, family()); }
};

std::string param_family(const ::testing::TestParamInfo<Family>& info) { return family_name(info.param); }

TEST_P(ErrorQueue, TtlOneGivesTimeExceededFromR1ClientSide) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const auto outcome = probe_for_error(lab, family(), probe_to(at(Where::server), 1));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("error.offender"), at(Where::r1_client_side));
  EXPECT_EQ(outcome.get("error.destination"), at(Where::server));
  EXPECT_EQ(outcome.get_int("error.origin"), origin_for(family()));
  EXPECT_EQ(outcome.get_int("error.type"),
            family() == Family::v4 ? wire::icmpv4_type::time_exceeded : wire::icmpv6_type::time_exceeded);
  EXPECT_EQ(outcome.get_int("error.code"), 0);  // TTL / hop limit exceeded in transit
  EXPECT_EQ(outcome.get_int("error.errno"), EHOSTUNREACH);
  EXPECT_EQ(outcome.get_int("error.probe_seq"), 41) << "the kernel hands back the probe";
}

TEST_P(ErrorQueue, UnreachableRouteOnR2GivesDestinationUnreachableFromR2) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.r2_error_route = "unreachable";
  Lab lab(config);
  const auto outcome = probe_for_error(lab, family(), probe_to(at(Where::unreachable_target)));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("error.offender"), at(Where::r2_r1_side)) << "errors leave by the interface towards the sender";
  EXPECT_EQ(outcome.get("error.destination"), at(Where::unreachable_target));
  EXPECT_EQ(outcome.get_int("error.origin"), origin_for(family()));
  EXPECT_EQ(outcome.get_int("error.type"), family() == Family::v4 ? wire::icmpv4_type::destination_unreachable
                                                                  : wire::icmpv6_type::destination_unreachable);
  // Linux maps an `unreachable` route to host unreachable (v4 code 1) and to
  // no route to destination (v6 code 0).
  EXPECT_EQ(outcome.get_int("error.code"), family() == Family::v4 ? 1 : 0);
  EXPECT_EQ(outcome.get_int("error.probe_seq"), 41);
}

TEST_P(ErrorQueue, ProhibitRouteOnR2GivesAdministrativelyProhibitedFromR2) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.r2_error_route = "prohibit";
  Lab lab(config);
  const auto outcome = probe_for_error(lab, family(), probe_to(at(Where::unreachable_target)));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("error.offender"), at(Where::r2_r1_side));
  EXPECT_EQ(outcome.get_int("error.type"), family() == Family::v4 ? wire::icmpv4_type::destination_unreachable
                                                                  : wire::icmpv6_type::destination_unreachable);
  // v4: communication administratively prohibited (13); v6: administratively prohibited (1).
  EXPECT_EQ(outcome.get_int("error.code"), family() == Family::v4 ? 13 : 1);
}

TEST_P(ErrorQueue, SmallMtuLinkGivesTooBigWithItsMtuFromR2) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.server_link_mtu = 1280;
  Lab lab(config);
  ProbeSpec spec = probe_to(at(Where::server));
  spec.payload_size = 1400;
  spec.dont_fragment = true;
  const auto outcome = probe_for_error(lab, family(), spec);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("error.offender"), at(Where::r2_r1_side));
  EXPECT_EQ(outcome.get_int("error.origin"), origin_for(family()));
  if (family() == Family::v4) {
    EXPECT_EQ(outcome.get_int("error.type"), wire::icmpv4_type::destination_unreachable);
    EXPECT_EQ(outcome.get_int("error.code"), 4);  // fragmentation needed and DF set
  } else {
    EXPECT_EQ(outcome.get_int("error.type"), wire::icmpv6_type::packet_too_big);
    EXPECT_EQ(outcome.get_int("error.code"), 0);
  }
  EXPECT_EQ(outcome.get_int("error.info"), *config.server_link_mtu);
  EXPECT_EQ(outcome.get_int("error.errno"), EMSGSIZE);
}

// Once the path MTU is known, a larger probe with DF is refused locally: the
// send fails with EMSGSIZE and the error queue holds a local record with the MTU.
TEST_P(ErrorQueue, LearnedPathMtuRefusesTheNextLargeProbeLocally) {
  ICMPKIT_REQUIRE_LAB();
  lab::LabConfig config;
  config.server_link_mtu = 1280;
  Lab lab(config);
  const Family family = GetParam();
  const std::string server = at(Where::server);
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {lab::Identity::nobody, 6s}, [&](lab::ChildReport& report) {
    sys::OpenOptions options;
    options.mode = sys::SocketMode::dgram;
    auto socket = sys::IcmpSocket::open(family, options);
    if (!socket) return report.fail("open: " + socket.error().message());
    if (auto set = sys::set_pmtu_mode(*socket, sys::PmtuMode::do_); !set) return report.fail("pmtu: " + set.error().message());
    const std::string payload(1400, 'm');
    const auto first = echo_request(family, wire::EchoId{1}, wire::EchoSeq{1}, payload);
    if (auto sent = sys::send_to(*socket, first, address(server)); !sent) return report.fail("first send: " + sent.error().message());
    const auto remote = await_queued_error(*socket, 3s);
    if (!remote) return report.fail("no Frag Needed / Packet Too Big");
    record(report, "remote", *remote);
    const auto second = echo_request(family, wire::EchoId{1}, wire::EchoSeq{2}, payload);
    auto again = sys::send_to(*socket, second, address(server));
    report.set("second_sent", again.has_value());
    if (!again) report.set("second_errno", again.error().value());
    const auto local = await_queued_error(*socket, 500ms);
    if (local) record(report, "local", *local);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("remote.info"), 1280);
  EXPECT_EQ(outcome.get("second_sent"), "false");
  EXPECT_EQ(outcome.get_int("second_errno"), EMSGSIZE) << outcome.describe();
  EXPECT_EQ(outcome.get_int("local.origin"), static_cast<int>(sys::ErrorOrigin::local)) << outcome.describe();
  EXPECT_EQ(outcome.get_int("local.errno"), EMSGSIZE);
  EXPECT_EQ(outcome.get_int("local.info"), 1280);
}

INSTANTIATE_TEST_SUITE_P(Families, ErrorQueue, ::testing::Values(Family::v4, Family::v6), param_family);

struct RejectCase {
  Family family;
  int code;
};

std::string reject_case_name(const ::testing::TestParamInfo<RejectCase>& info) {
  return std::string(family_name(info.param.family)) + "_code" + std::to_string(info.param.code);
}

class NftReject : public ::testing::TestWithParam<RejectCase> {};

TEST_P(NftReject, GivesDestinationUnreachableWithTheConfiguredCodeFromR1) {
  ICMPKIT_REQUIRE_LAB();
  const auto [family, code] = GetParam();
  lab::LabConfig config;
  if (family == Family::v4) {
    config.r1_reject_icmp_code = code;
  } else {
    config.r1_reject_icmpv6_code = code;
  }
  Lab lab(config);
  const auto outcome = probe_for_error(lab, family, probe_to(Lab::address(Where::reject_target, family)));
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("error.offender"), Lab::address(Where::r1_client_side, family));
  EXPECT_EQ(outcome.get("error.destination"), Lab::address(Where::reject_target, family));
  EXPECT_EQ(outcome.get_int("error.origin"), origin_for(family));
  EXPECT_EQ(outcome.get_int("error.type"), family == Family::v4 ? wire::icmpv4_type::destination_unreachable
                                                                : wire::icmpv6_type::destination_unreachable);
  EXPECT_EQ(outcome.get_int("error.code"), code);
  EXPECT_EQ(outcome.get_int("error.probe_seq"), 41);
}

INSTANTIATE_TEST_SUITE_P(Codes, NftReject,
                         ::testing::Values(RejectCase{Family::v4, 1},    // host unreachable
                                           RejectCase{Family::v4, 3},    // port unreachable
                                           RejectCase{Family::v4, 13},   // administratively prohibited
                                           RejectCase{Family::v6, 1},    // administratively prohibited
                                           RejectCase{Family::v6, 4}),   // port unreachable
                         reject_case_name);

}  // namespace
}  // namespace icmpkit::itest
