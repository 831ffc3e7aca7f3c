// Decodes ICMPv4 messages captured from a real Linux kernel in a namespace
// lab (tests/data/icmpv4/capture.sh) plus the few messages Linux never sends
// (tests/data/icmpv4/handmade_*.hex, built by hand from the RFC layouts), and
// re-encodes every one of them: the encoders must reproduce the kernel's bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/icmpv4.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit::ConstBytes;
using Bytes = std::vector<std::byte>;

const std::filesystem::path fixture_dir = std::filesystem::path(ICMPKIT_TEST_DATA_DIR) / "icmpv4";

// Hex text: '#' lines are comments, the rest is whitespace-separated hex bytes.
Bytes read_hex(const std::filesystem::path& path) {
  std::ifstream in(path);
  Bytes out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) out.push_back(static_cast<std::byte>(std::stoul(word, nullptr, 16)));
  }
  return out;
}

struct Fixture {
  Bytes ip;    // whole IPv4 packet (captured files) or empty (handmade)
  Bytes icmp;  // the ICMP message
};

Fixture read_fixture(const std::string& name) {
  const auto path = fixture_dir / name;
  Fixture f;
  Bytes raw = read_hex(path);
  if (name.rfind("handmade_", 0) == 0) {
    f.icmp = raw;
    return f;
  }
  f.ip = raw;
  if (raw.size() >= 20) {
    const std::size_t ihl = (static_cast<std::size_t>(raw[0]) & 0x0f) * 4;
    if (ihl <= raw.size()) f.icmp.assign(raw.begin() + static_cast<std::ptrdiff_t>(ihl), raw.end());
  }
  return f;
}

// Captured files hold the whole IPv4 packet; handmade_* files hold only ICMP.
// Cached for the whole run because decoded views point into the bytes.
const Fixture& load(const std::string& name) {
  static std::map<std::string, Fixture> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, read_fixture(name)).first;
  return it->second;
}

std::vector<std::string> all_fixtures() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir)) {
    if (entry.path().extension() == ".hex") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Ipv4Address ip4(int a, int b, int c, int d) {
  return {std::byte(a), std::byte(b), std::byte(c), std::byte(d)};
}

Ipv4Address ip_source(const Bytes& ip) { return {ip[12], ip[13], ip[14], ip[15]}; }

template <class T>
T decode_as(const Bytes& icmp) {
  auto decoded = decode_icmpv4(icmp);
  EXPECT_TRUE(decoded) << decoded.error().message();
  if (!decoded) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*decoded)) << "variant index " << decoded->index();
  if (!std::holds_alternative<T>(*decoded)) return T{};
  return std::get<T>(*decoded);
}

// The quoted IPv4 header: protocol byte and destination address.
std::uint8_t quoted_protocol(const ErrorBody& body) { return static_cast<std::uint8_t>(body.original_datagram[9]); }
Ipv4Address quoted_destination(const ErrorBody& body) {
  return {body.original_datagram[16], body.original_datagram[17], body.original_datagram[18],
          body.original_datagram[19]};
}
std::uint16_t quoted_udp_dport(const ErrorBody& body) {
  const std::size_t ihl = (static_cast<std::size_t>(body.original_datagram[0]) & 0x0f) * 4;
  return static_cast<std::uint16_t>((static_cast<unsigned>(body.original_datagram[ihl + 2]) << 8) |
                                    static_cast<unsigned>(body.original_datagram[ihl + 3]));
}

TEST(Icmpv4Captures, FixturesArePresent) {
  // 35 captured + 10 handmade; a missing file would silently shrink coverage.
  EXPECT_GE(all_fixtures().size(), 45u);
}

TEST(Icmpv4Captures, EveryFixtureVerifiesAndReencodesToTheSameBytes) {
  for (const auto& name : all_fixtures()) {
    SCOPED_TRACE(name);
    const auto f = load(name);
    ASSERT_GE(f.icmp.size(), 8u);
    auto decoded = decode_icmpv4(f.icmp);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(icmpv4_type_of(*decoded), static_cast<std::uint8_t>(f.icmp[0]));
    Bytes out(f.icmp.size() + 64);
    auto length = encode_icmpv4(*decoded, out);
    ASSERT_TRUE(length) << length.error().message();
    out.resize(*length);
    EXPECT_EQ(out, f.icmp);
  }
}

TEST(Icmpv4Captures, EveryFixtureWithOneFlippedBitFailsTheChecksum) {
  for (const auto& name : all_fixtures()) {
    SCOPED_TRACE(name);
    auto f = load(name);
    f.icmp.back() ^= std::byte{0x10};
    EXPECT_EQ(decode_icmpv4(f.icmp).error(), errc::bad_checksum);
    // The same bytes decode when the caller says the kernel already checked.
    EXPECT_TRUE(decode_icmpv4(f.icmp, DecodeOptions{.verify_checksum = false}));
  }
}

TEST(Icmpv4Captures, EveryPrefixOfEveryFixtureIsRejectedOrConsistent) {
  for (const auto& name : all_fixtures()) {
    SCOPED_TRACE(name);
    const auto f = load(name);
    const auto type = static_cast<std::uint8_t>(f.icmp[0]);
    std::size_t minimum = 8;
    if (type == icmpv4_type::timestamp_request || type == icmpv4_type::timestamp_reply) minimum = 20;
    if (type == icmpv4_type::address_mask_request || type == icmpv4_type::address_mask_reply) minimum = 12;
    // Bytes up to which an internal length field reaches.
    std::size_t length_reach = 0;
    if (type == icmpv4_type::router_advertisement) {
      length_reach = 8 + std::size_t{static_cast<std::uint8_t>(f.icmp[4])} * static_cast<std::uint8_t>(f.icmp[5]) * 4;
    }
    if (type == icmpv4_type::destination_unreachable || type == icmpv4_type::time_exceeded ||
        type == icmpv4_type::parameter_problem) {
      const std::size_t words = static_cast<std::uint8_t>(f.icmp[5]);
      if (words != 0) length_reach = 8 + words * 4;
    }
    for (std::size_t n = 0; n < f.icmp.size(); ++n) {
      SCOPED_TRACE(n);
      const ConstBytes prefix(f.icmp.data(), n);
      auto unchecked = decode_icmpv4(prefix, DecodeOptions{.verify_checksum = false});
      auto checked = decode_icmpv4(prefix);
      if (n < minimum) {
        EXPECT_EQ(unchecked.error(), errc::truncated);
        EXPECT_EQ(checked.error(), errc::truncated);
        continue;
      }
      if (n < length_reach) {
        EXPECT_EQ(unchecked.error(), errc::bad_length);
      } else {
        EXPECT_TRUE(unchecked) << unchecked.error().message();
      }
      // Cutting bytes off changes the sum unless they summed to zero.
      if (internet_checksum(prefix) != 0) EXPECT_EQ(checked.error(), errc::bad_checksum);
    }
  }
}

TEST(Icmpv4Captures, PingEchoRequestAndReplyFromTheKernel) {
  const auto request = decode_as<EchoView>(load("echo_request.hex").icmp);
  const auto reply_fixture = load("echo_reply.hex");
  const auto reply = decode_as<EchoView>(reply_fixture.icmp);
  EXPECT_FALSE(request.is_reply);
  EXPECT_TRUE(reply.is_reply);
  EXPECT_EQ(request.id, reply.id);
  EXPECT_EQ(request.seq, EchoSeq(1));  // ping -c 1 starts at 1
  EXPECT_EQ(reply.seq, EchoSeq(1));
  ASSERT_EQ(request.data.size(), 24u);  // ping -s 24
  EXPECT_TRUE(std::equal(request.data.begin(), request.data.end(), reply.data.begin(), reply.data.end()));
  // -p 6963: the pattern fills the bytes after ping's 16-byte timeval.
  EXPECT_EQ(request.data[22], std::byte{0x69});
  EXPECT_EQ(request.data[23], std::byte{0x63});
  EXPECT_EQ(ip_source(reply_fixture.ip), ip4(10, 71, 2, 2));
}

TEST(Icmpv4Captures, TtlOneGivesTimeExceededInTransitFromTheRouter) {
  const auto f = load("time_exceeded_ttl.hex");
  const auto te = decode_as<Icmpv4TimeExceeded>(f.icmp);
  EXPECT_EQ(te.code, Icmpv4TimeExceededCode::ttl_exceeded_in_transit);
  EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 1, 1));
  EXPECT_FALSE(te.body.rfc4884_length);
  EXPECT_TRUE(te.body.extensions.empty());
  ASSERT_GE(te.body.original_datagram.size(), 28u);  // IPv4 header + 8 bytes (RFC 792)
  EXPECT_EQ(quoted_protocol(te.body), 1);
  EXPECT_EQ(quoted_destination(te.body), ip4(10, 71, 2, 2));
  EXPECT_EQ(te.body.original_datagram[20], std::byte{8});  // the quoted echo request
}

TEST(Icmpv4Captures, ReassemblyTimeoutGivesTimeExceededCodeOne) {
  const auto f = load("time_exceeded_reassembly.hex");
  const auto te = decode_as<Icmpv4TimeExceeded>(f.icmp);
  EXPECT_EQ(te.code, Icmpv4TimeExceededCode::fragment_reassembly);
  EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 2, 2));
  ASSERT_GE(te.body.original_datagram.size(), 20u);
  EXPECT_EQ(te.body.original_datagram[4], std::byte{0x61});  // lab_send.py frag uses id 0x6161
  EXPECT_EQ(te.body.original_datagram[5], std::byte{0x61});
}

TEST(Icmpv4Captures, SmallMtuWithDontFragmentGivesFragNeededWithNextHopMtu) {
  const auto f = load("unreachable_frag_needed.hex");
  const auto u = decode_as<Icmpv4Unreachable>(f.icmp);
  EXPECT_EQ(u.code, Icmpv4UnreachableCode::fragmentation_needed);
  EXPECT_EQ(u.next_hop_mtu, 1280);  // the MTU set on ikA-r's r1
  EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 1, 1));
  // The quoted datagram says it was 20 + 8 + 1400 bytes long.
  EXPECT_EQ(u.body.original_datagram[2], std::byte{0x05});
  EXPECT_EQ(u.body.original_datagram[3], std::byte{0x94});
}

TEST(Icmpv4Captures, RoutingErrorsGiveTheirUnreachableCodes) {
  struct Case {
    const char* file;
    Icmpv4UnreachableCode code;
  };
  for (const auto& c : {Case{"unreachable_host_route.hex", Icmpv4UnreachableCode::host},
                        Case{"unreachable_admin_prohibited_route.hex", Icmpv4UnreachableCode::communication_admin_prohibited},
                        Case{"unreachable_net_no_route.hex", Icmpv4UnreachableCode::net}}) {
    SCOPED_TRACE(c.file);
    const auto f = load(c.file);
    const auto u = decode_as<Icmpv4Unreachable>(f.icmp);
    EXPECT_EQ(u.code, c.code);
    EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 1, 1));
    EXPECT_EQ(quoted_protocol(u.body), 1);
  }
}

TEST(Icmpv4Captures, ClosedUdpPortAndUnknownProtocolFromTheHost) {
  const auto port = decode_as<Icmpv4Unreachable>(load("unreachable_port_udp.hex").icmp);
  EXPECT_EQ(port.code, Icmpv4UnreachableCode::port);
  EXPECT_EQ(quoted_protocol(port.body), 17);
  EXPECT_EQ(quoted_udp_dport(port.body), 33434);
  const auto proto = decode_as<Icmpv4Unreachable>(load("unreachable_protocol.hex").icmp);
  EXPECT_EQ(proto.code, Icmpv4UnreachableCode::protocol);
  EXPECT_EQ(quoted_protocol(proto.body), 253);
}

TEST(Icmpv4Captures, NftRejectGivesEverySixteenUnreachableCodes) {
  int seen = 0;
  for (const auto& name : all_fixtures()) {
    if (name.rfind("unreachable_nft_", 0) != 0) continue;
    SCOPED_TRACE(name);
    const int code = std::stoi(name.substr(std::string("unreachable_nft_").size()));
    const auto f = load(name);
    const auto u = decode_as<Icmpv4Unreachable>(f.icmp);
    EXPECT_EQ(static_cast<int>(u.code), code);
    EXPECT_EQ(quoted_udp_dport(u.body), 40000 + code);  // capture.sh: one port per code
    EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 2, 2));
    EXPECT_FALSE(unreachable_code_name(u.code).empty());
    ++seen;
  }
  EXPECT_EQ(seen, 16);
}

TEST(Icmpv4Captures, RouterSendsHostRedirectWithGateway) {
  const auto f = load("redirect_host.hex");
  const auto r = decode_as<Icmpv4Redirect>(f.icmp);
  EXPECT_EQ(r.code, Icmpv4RedirectCode::host);
  EXPECT_EQ(r.gateway, ip4(10, 71, 1, 3));
  EXPECT_EQ(quoted_destination(r.body), ip4(10, 71, 5, 1));
  EXPECT_EQ(ip_source(f.ip), ip4(10, 71, 1, 1));
}

TEST(Icmpv4Captures, BadIpOptionGivesParameterProblemPointingAtIt) {
  const auto p = decode_as<Icmpv4ParameterProblem>(load("parameter_problem_pointer.hex").icmp);
  EXPECT_EQ(p.code, Icmpv4ParameterProblemCode::pointer);
  EXPECT_EQ(p.pointer, 21);  // the option's length byte (offset 20 + 1)
  ASSERT_GT(p.body.original_datagram.size(), p.pointer);
  EXPECT_EQ(p.body.original_datagram[p.pointer], std::byte{2});  // the bad length itself
}

TEST(Icmpv4Captures, KernelAnswersTimestampRequest) {
  const auto request = decode_as<Icmpv4Timestamp>(load("timestamp_request.hex").icmp);
  const auto reply = decode_as<Icmpv4Timestamp>(load("timestamp_reply.hex").icmp);
  EXPECT_FALSE(request.is_reply);
  EXPECT_TRUE(reply.is_reply);
  EXPECT_EQ(request.id, EchoId(0x1d1d));
  EXPECT_EQ(reply.id, EchoId(0x1d1d));
  EXPECT_EQ(reply.seq, EchoSeq(1));
  EXPECT_EQ(reply.originate, 0x01020304u);  // echoed back
  // Linux fills receive and transmit with the same ms-since-midnight value.
  EXPECT_EQ(reply.receive, reply.transmit);
  EXPECT_LT(reply.receive, 86'400'000u);
}

TEST(Icmpv4Captures, KernelAnswersExtendedEchoByName) {
  const auto request = decode_as<Icmpv4ExtendedEchoRequest>(load("extended_echo_request_name.hex").icmp);
  EXPECT_EQ(request.id, EchoId(0x2a2a));
  EXPECT_EQ(request.seq, 7);
  EXPECT_TRUE(request.local);
  ASSERT_EQ(request.extensions.size(), 12u);           // ext header + object header + "s0\0\0"
  EXPECT_EQ(request.extensions[0], std::byte{0x20});  // extension version 2
  const auto reply = decode_as<Icmpv4ExtendedEchoReply>(load("extended_echo_reply_name.hex").icmp);
  EXPECT_EQ(reply.code, ExtendedEchoReplyCode::no_error);
  EXPECT_EQ(reply.id, EchoId(0x2a2a));
  EXPECT_EQ(reply.seq, 7);
  EXPECT_TRUE(reply.active);
  EXPECT_TRUE(reply.ipv4);
  EXPECT_EQ(reply.state, ProbeState::reserved);  // state is only for proxy (L = 0) queries
}

TEST(Icmpv4Captures, KernelReportsNoSuchInterfaceForExtendedEcho) {
  const auto reply = decode_as<Icmpv4ExtendedEchoReply>(load("extended_echo_reply_no_such_interface.hex").icmp);
  EXPECT_EQ(reply.code, ExtendedEchoReplyCode::no_such_interface);
  EXPECT_FALSE(reply.active);
  EXPECT_FALSE(reply.ipv4);
  EXPECT_FALSE(reply.ipv6);
  EXPECT_EQ(extended_echo_reply_code_name(reply.code), "no-such-interface");
}

TEST(Icmpv4Captures, KernelAnswersExtendedEchoByAddress) {
  const auto request = decode_as<Icmpv4ExtendedEchoRequest>(load("extended_echo_request_addr.hex").icmp);
  EXPECT_EQ(request.seq, 8);
  EXPECT_TRUE(request.local);
  const auto reply = decode_as<Icmpv4ExtendedEchoReply>(load("extended_echo_reply_addr.hex").icmp);
  EXPECT_EQ(reply.code, ExtendedEchoReplyCode::no_error);
  EXPECT_EQ(reply.id, EchoId(0x2a2b));
  EXPECT_EQ(reply.seq, 8);
  EXPECT_TRUE(reply.active);
  EXPECT_TRUE(reply.ipv4);
}

TEST(Icmpv4Handmade, SourceQuenchQuotesTheDatagram) {
  const auto q = decode_as<Icmpv4SourceQuench>(load("handmade_source_quench.hex").icmp);
  EXPECT_EQ(q.code, 0);
  EXPECT_EQ(q.body.original_datagram.size(), 28u);
  EXPECT_EQ(quoted_udp_dport(q.body), 33434);
}

TEST(Icmpv4Handmade, InformationRequestAndReply) {
  const auto request = decode_as<Icmpv4Information>(load("handmade_information_request.hex").icmp);
  const auto reply = decode_as<Icmpv4Information>(load("handmade_information_reply.hex").icmp);
  EXPECT_FALSE(request.is_reply);
  EXPECT_TRUE(reply.is_reply);
  EXPECT_EQ(reply.id, EchoId(0x0102));
  EXPECT_EQ(reply.seq, EchoSeq(0x0304));
}

TEST(Icmpv4Handmade, AddressMaskRequestAndReply) {
  const auto request = decode_as<Icmpv4AddressMask>(load("handmade_address_mask_request.hex").icmp);
  const auto reply = decode_as<Icmpv4AddressMask>(load("handmade_address_mask_reply.hex").icmp);
  EXPECT_FALSE(request.is_reply);
  EXPECT_TRUE(reply.is_reply);
  EXPECT_EQ(reply.id, EchoId(0x0a0b));
  EXPECT_EQ(reply.mask, ip4(255, 255, 255, 0));
}

TEST(Icmpv4Handmade, RouterAdvertisementEntriesByIndexAndIterator) {
  const auto ad = decode_as<Icmpv4RouterAdvertisement>(load("handmade_router_advertisement.hex").icmp);
  EXPECT_EQ(ad.num_addrs(), 2);
  EXPECT_EQ(ad.entry_size(), 2);
  EXPECT_EQ(ad.lifetime(), 1800);
  ASSERT_EQ(ad.size(), 2u);
  EXPECT_EQ(ad[0].address, ip4(10, 71, 1, 1));
  EXPECT_EQ(ad[0].preference, 10);
  EXPECT_EQ(ad[1].address, ip4(10, 71, 1, 254));
  EXPECT_EQ(ad[1].preference, INT32_MIN);  // "not a default router"
  std::vector<RouterAddressEntry> seen(ad.begin(), ad.end());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].address, ip4(10, 71, 1, 254));
  EXPECT_TRUE(ad.trailing().empty());
  EXPECT_EQ(ad.entry(2).address, Ipv4Address{});  // out of range reads nothing
}

TEST(Icmpv4Handmade, RouterAdvertisementSkipsExtraWordsOfLargerEntries) {
  const auto ad = decode_as<Icmpv4RouterAdvertisement>(load("handmade_router_advertisement_entry_size3.hex").icmp);
  EXPECT_EQ(ad.entry_size(), 3);
  ASSERT_EQ(ad.size(), 1u);
  EXPECT_EQ(ad[0].address, ip4(10, 71, 1, 1));
  EXPECT_EQ(ad[0].preference, -5);
  EXPECT_EQ(ad.entry_bytes().size(), 12u);
}

TEST(Icmpv4Handmade, RouterSolicitation) {
  auto decoded = decode_icmpv4(load("handmade_router_solicitation.hex").icmp);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(std::holds_alternative<Icmpv4RouterSolicitation>(*decoded));
}

TEST(Icmpv4Handmade, Rfc4884TimeExceededSplitsDatagramAndExtensions) {
  const auto te = decode_as<Icmpv4TimeExceeded>(load("handmade_time_exceeded_rfc4884_mpls.hex").icmp);
  EXPECT_TRUE(te.body.rfc4884_length);
  EXPECT_EQ(te.body.original_datagram.size(), 128u);
  ASSERT_EQ(te.body.extensions.size(), 12u);
  EXPECT_EQ(te.body.extensions[0], std::byte{0x20});
  EXPECT_EQ(te.body.extensions[6], std::byte{1});  // class 1: MPLS label stack (RFC 4950)
}

TEST(Icmpv4Handmade, UnassignedTypeDecodesAsRawView) {
  const auto raw = decode_as<IcmpView>(load("handmade_unassigned_type_200.hex").icmp);
  EXPECT_EQ(raw.type, 200);
  EXPECT_EQ(raw.code, 7);
  EXPECT_EQ(raw.rest_u32(), 0x01020304u);
  EXPECT_EQ(raw.body.size(), 4u);
}

}  // namespace
