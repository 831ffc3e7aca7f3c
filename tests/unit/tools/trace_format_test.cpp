// Unit tests of `icmpkit trace`'s output. The expected lines have the shape
// traceroute(8) 2.1 prints (print_probe: "%2d ", " addr" when the responder
// changes, "  %.3f ms", " *", " !X"), with our numbers fed in.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "trace_format.hpp"

namespace icmpkit::tools {
namespace {

using namespace std::chrono_literals;
using engine::ProbeReason;

wire::IpAddress addr(const char* text) { return *wire::IpAddress::parse(text); }

engine::ProbeResult answer(const char* from, std::chrono::nanoseconds rtt, ProbeReason reason = ProbeReason::time_exceeded,
                           std::string flag = {}) {
  engine::ProbeResult p;
  p.reason = reason;
  p.responder = addr(from);
  p.rtt = rtt;
  p.flag = std::move(flag);
  return p;
}

engine::ProbeResult silence() {
  engine::ProbeResult p;
  p.reason = ProbeReason::timeout;
  return p;
}

engine::HopResult hop(std::uint8_t ttl, std::vector<engine::ProbeResult> probes) {
  engine::HopResult h;
  h.ttl = wire::Ttl(ttl);
  h.probes = std::move(probes);
  for (const auto& p : h.probes) {
    if (p.responder && std::find(h.interfaces.begin(), h.interfaces.end(), *p.responder) == h.interfaces.end()) {
      h.interfaces.push_back(*p.responder);
    }
  }
  return h;
}

TEST(TraceFormat, HeaderNamesHostAddressHopsAndSize) {
  EXPECT_EQ(format_trace_header("server", addr("10.201.3.2"), 30, 60),
            "traceroute to server (10.201.3.2), 30 hops max, 60 byte packets");
  EXPECT_EQ(format_trace_header("::1", addr("::1"), 8, 80), "traceroute to ::1 (::1), 8 hops max, 80 byte packets");
}

TEST(TraceFormat, NumericHopPrintsTheAddressOnceAndEveryTime) {
  const auto h = hop(1, {answer("10.0.0.1", 123us), answer("10.0.0.1", 100us), answer("10.0.0.1", 98us)});
  EXPECT_EQ(format_hop(h, {}), " 1  10.0.0.1  0.123 ms  0.100 ms  0.098 ms");
}

TEST(TraceFormat, SilentProbesAreStars) {
  EXPECT_EQ(format_hop(hop(2, {silence(), silence(), silence()}), {}), " 2  * * *");
  EXPECT_EQ(format_hop(hop(12, {silence(), answer("10.0.0.9", 2500us)}), {}), "12  * 10.0.0.9  2.500 ms");
}

TEST(TraceFormat, ResponderChangeIsPrintedWithinTheLine) {
  const auto h = hop(3, {answer("10.0.1.1", 1ms), answer("10.0.2.1", 2ms), answer("10.0.2.1", 3ms)});
  EXPECT_EQ(format_hop(h, {}), " 3  10.0.1.1  1.000 ms 10.0.2.1  2.000 ms  3.000 ms");
}

TEST(TraceFormat, FlagsFollowTheTime) {
  const auto h = hop(4, {answer("10.0.0.4", 310us, ProbeReason::host_unreachable, "!H"),
                         answer("10.0.0.4", 320us, ProbeReason::prohibited, "!X"),
                         answer("10.0.0.4", 330us, ProbeReason::fragmentation_needed, "!F-1280")});
  EXPECT_EQ(format_hop(h, {}), " 4  10.0.0.4  0.310 ms !H  0.320 ms !X  0.330 ms !F-1280");
}

TEST(TraceFormat, NamesComeFromTheLookupWithTheAddressInParentheses) {
  TraceFormat format;
  format.name_of = [](const wire::IpAddress& a) { return a == addr("10.0.0.1") ? std::string("gw.lab") : ""; };
  const auto h = hop(1, {answer("10.0.0.1", 1ms), answer("10.0.0.2", 1ms)});
  EXPECT_EQ(format_hop(h, format), " 1  gw.lab (10.0.0.1)  1.000 ms 10.0.0.2 (10.0.0.2)  1.000 ms");
}

TEST(TraceFormat, ExtensionsPrintMplsLabelsOnlyWithDashE) {
  auto p = answer("fd00::3", 1ms);
  p.mpls = {{16001, 0, false, 1}, {24002, 0, true, 1}};
  const auto h = hop(3, {p});
  EXPECT_EQ(format_hop(h, {}), " 3  fd00::3  1.000 ms");
  TraceFormat format;
  format.show_extensions = true;
  EXPECT_EQ(format_hop(h, format), " 3  fd00::3 <MPLS:L=16001,E=0,S=0,T=1/L=24002,E=0,S=1,T=1>  1.000 ms");
}

TEST(TraceFormat, MtuIsPrintedWhereItChanges) {
  TraceFormat format;
  format.show_mtu = true;
  std::optional<std::uint32_t> last;
  auto h1 = hop(1, {answer("10.0.0.1", 1ms)});
  h1.mtu = 1500;
  auto h2 = hop(2, {answer("10.0.0.2", 1ms)});
  h2.mtu = 1500;
  auto h3 = hop(3, {answer("10.0.0.3", 1ms)});
  h3.mtu = 1280;
  EXPECT_EQ(format_hop(h1, format, &last), " 1  10.0.0.1 F=1500  1.000 ms");
  EXPECT_EQ(format_hop(h2, format, &last), " 2  10.0.0.2  1.000 ms");
  EXPECT_EQ(format_hop(h3, format, &last), " 3  10.0.0.3 F=1280  1.000 ms");
}

TEST(TraceFormat, MultipathListsEveryInterfaceOfTheHop) {
  TraceFormat format;
  format.multipath = true;
  const auto h = hop(2, {answer("10.0.2.1", 1ms), answer("10.0.3.1", 1ms), answer("10.0.2.1", 1ms)});
  EXPECT_EQ(format_hop(h, format), " 2  10.0.2.1 10.0.3.1");
  EXPECT_EQ(format_hop(hop(5, {silence()}), format), " 5  *");
}

TEST(TraceFormat, JsonCarriesStopHopsAndProbes) {
  engine::TraceResult result;
  result.destination = addr("10.0.0.9");
  result.stop = engine::StopReason::destination_reached;
  result.probes_sent = 4;
  result.hops = {hop(1, {answer("10.0.0.1", 1ms), silence()}),
                 hop(2, {answer("10.0.0.9", 2ms, ProbeReason::port_unreachable)})};
  const auto json = trace_to_json("nine", result);
  EXPECT_EQ(json["host"], "nine");
  EXPECT_EQ(json["destination"], "10.0.0.9");
  EXPECT_EQ(json["stop"], "destination-reached");
  EXPECT_EQ(json["probes_sent"], 4);
  ASSERT_EQ(json["hops"].size(), 2u);
  EXPECT_EQ(json["hops"][0]["probes"][0]["responder"], "10.0.0.1");
  EXPECT_DOUBLE_EQ(json["hops"][0]["probes"][0]["rtt_ms"].get<double>(), 1.0);
  EXPECT_FALSE(json["hops"][0]["probes"][1].contains("rtt_ms"));
  EXPECT_EQ(json["hops"][0]["probes"][1]["reason"], engine::reason_name(ProbeReason::timeout));
  EXPECT_EQ(json["hops"][1]["probes"][0]["reason"], engine::reason_name(ProbeReason::port_unreachable));
  EXPECT_EQ(json["hops"][1]["interfaces"][0], "10.0.0.9");
}

}  // namespace
}  // namespace icmpkit::tools
