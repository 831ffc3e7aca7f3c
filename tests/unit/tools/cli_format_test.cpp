// Unit tests of the icmpkit command's input parsing and printing. Packet
// bytes come from the real captures in tests/data (namespace labs).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "format_message.hpp"
#include "hex_input.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "send_spec.hpp"

namespace icmpkit::tools {
namespace {

std::vector<std::byte> fixture(const std::string& name, std::size_t skip = 0) {
  std::ifstream in(std::string(ICMPKIT_TEST_DATA_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_hex(text.str());
  EXPECT_TRUE(parsed.ok()) << name << ": " << parsed.error;
  if (parsed.bytes.size() < skip) return {};
  return {parsed.bytes.begin() + static_cast<std::ptrdiff_t>(skip), parsed.bytes.end()};
}

TEST(HexInput, AcceptsSeparatorsPrefixesAndComments) {
  // Separators do not delimit bytes: "1.2" is the byte 0x12, as in "45 0 0" never.
  auto parsed = parse_hex("# header\n0x45:00 0A-ff,1.2 # trailing 99\n34");
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  ASSERT_EQ(parsed.bytes.size(), 6U);
  EXPECT_EQ(parsed.bytes[0], std::byte{0x45});
  EXPECT_EQ(parsed.bytes[2], std::byte{0x0a});
  EXPECT_EQ(parsed.bytes[3], std::byte{0xff});
  EXPECT_EQ(parsed.bytes[4], std::byte{0x12});
  EXPECT_EQ(parsed.bytes[5], std::byte{0x34});
}

TEST(HexInput, NamesTheBadCharacterAndItsOffset) {
  auto parsed = parse_hex("08 0g");
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error, "invalid hex character 'g' at offset 4");
  EXPECT_TRUE(parsed.bytes.empty());
}

TEST(HexInput, RejectsOddDigitCountAndEmptyInput) {
  EXPECT_NE(parse_hex("080").error.find("odd number of hex digits (3)"), std::string::npos);
  EXPECT_EQ(parse_hex("  # only a comment").error, "no hex digits given");
}

TEST(SendSpec, ParsesTypeByNameNumberAndHex) {
  EXPECT_EQ(parse_icmp_type(wire::Family::v4, "timestamp-request").type, 13);
  EXPECT_EQ(parse_icmp_type(wire::Family::v6, "packet-too-big").type, 2);
  EXPECT_EQ(parse_icmp_type(wire::Family::v4, "42").type, 42);
  EXPECT_EQ(parse_icmp_type(wire::Family::v6, "0x80").type, 128);
}

TEST(SendSpec, UnknownTypeNameListsTheValidOnes) {
  auto choice = parse_icmp_type(wire::Family::v6, "timestamp-request");
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.error.find("unknown ICMPv6 type 'timestamp-request'"), std::string::npos);
  EXPECT_NE(choice.error.find("neighbor-solicitation"), std::string::npos);
  EXPECT_NE(parse_icmp_type(wire::Family::v4, "256").error.find("out of range"), std::string::npos);
}

TEST(SendSpec, BuildsEchoWithIdSeqAndValidChecksum) {
  MessageFlags flags;
  flags.type = wire::icmpv4_type::echo_request;
  flags.id = 0x1c2a;
  flags.seq = 7;
  flags.payload = {std::byte{'h'}, std::byte{'i'}};
  auto built = build_message(wire::Family::v4, flags);
  ASSERT_TRUE(built.ok()) << built.error;
  ASSERT_EQ(built.bytes.size(), 10U);
  EXPECT_TRUE(wire::verify_icmpv4_checksum(built.bytes));
  auto view = wire::parse_icmp(wire::Family::v4, built.bytes);
  ASSERT_TRUE(view);
  auto echo = wire::decode_echo(*view);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->id.value(), 0x1c2a);
  EXPECT_EQ(echo->seq.value(), 7);
}

TEST(SendSpec, PlacesMtuPointerAndGatewayPerFamily) {
  MessageFlags ptb;
  ptb.type = wire::icmpv6_type::packet_too_big;
  ptb.mtu = 1280;
  auto v6 = build_message(wire::Family::v6, ptb);
  ASSERT_TRUE(v6.ok()) << v6.error;
  EXPECT_EQ(v6.bytes[6], std::byte{0x05});
  EXPECT_EQ(v6.bytes[7], std::byte{0x00});

  MessageFlags frag;
  frag.type = wire::icmpv4_type::destination_unreachable;
  frag.code = 4;
  frag.mtu = 1400;
  auto v4 = build_message(wire::Family::v4, frag);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4.bytes[4], std::byte{0});
  EXPECT_EQ(v4.bytes[6], std::byte{0x05});
  EXPECT_EQ(v4.bytes[7], std::byte{0x78});

  MessageFlags redirect;
  redirect.type = wire::icmpv4_type::redirect;
  redirect.gateway = *wire::IpAddress::parse("10.1.2.3");
  auto r = build_message(wire::Family::v4, redirect);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.bytes[4], std::byte{10});
  EXPECT_EQ(r.bytes[7], std::byte{3});
}

TEST(SendSpec, RejectsFieldsTheTypeDoesNotHave) {
  MessageFlags echo;
  echo.type = wire::icmpv4_type::echo_request;
  echo.mtu = 1400;
  EXPECT_NE(build_message(wire::Family::v4, echo).error.find("--mtu applies to"), std::string::npos);
  MessageFlags rest;
  rest.type = 8;
  rest.rest = std::vector<std::byte>(3);
  EXPECT_NE(build_message(wire::Family::v4, rest).error.find("exactly 4 bytes"), std::string::npos);
  MessageFlags big;
  big.type = 8;
  big.payload.resize(max_payload(wire::Family::v4) + 1);
  EXPECT_NE(build_message(wire::Family::v4, big).error.find("too large"), std::string::npos);
  big.payload.resize(max_payload(wire::Family::v4) + 1);
  EXPECT_TRUE(build_message(wire::Family::v6, big).ok());
}

TEST(DecodePacket, CapturedTimeExceededShowsTheQuotedEcho) {
  const auto bytes = fixture("quoted/v4_time_exceeded_echo_frame.hex", 14);
  auto decoded = decode_packet(bytes, IpMode::automatic, std::nullopt);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  const Json& icmp = decoded.tree["icmp"];
  EXPECT_EQ(icmp["type"], 11);
  EXPECT_EQ(icmp["checksum_status"], "ok");
  EXPECT_EQ(icmp["quoted"]["ipv4"]["destination"], "10.77.2.2");
  EXPECT_EQ(icmp["quoted"]["ipv4"]["ttl"], 1);
  EXPECT_EQ(icmp["quoted"]["icmp"]["id"], 0x1476);
  EXPECT_EQ(icmp["quoted"]["icmp"]["seq"], 1);
}

TEST(DecodePacket, CapturedIcmpv6ErrorVerifiesChecksumWithPseudoHeader) {
  auto bytes = fixture("quoted/v6_port_unreachable_udp_frame.hex", 14);
  auto decoded = decode_packet(bytes, IpMode::ip, std::nullopt);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(decoded.tree["icmpv6"]["checksum_status"], "ok");
  EXPECT_EQ(decoded.tree["icmpv6"]["quoted"]["udp"]["destination_port"], 33434);
  bytes.back() ^= std::byte{1};  // one bit of the quote flipped
  EXPECT_EQ(decode_packet(bytes, IpMode::ip, std::nullopt).tree["icmpv6"]["checksum_status"], "bad");
}

TEST(DecodePacket, ReportsEveryTruncationPrecisely) {
  const auto bytes = fixture("icmpv4/echo_reply.hex");
  ASSERT_GT(bytes.size(), 28U);
  auto ip_cut = decode_packet(ConstBytes(bytes).first(10), IpMode::ip, std::nullopt);
  EXPECT_EQ(ip_cut.error, "IPv4 header truncated: 10 bytes given, the header needs 20");
  auto total_cut = decode_packet(ConstBytes(bytes).first(30), IpMode::ip, std::nullopt);
  EXPECT_NE(total_cut.error.find("IPv4 header: bad length"), std::string::npos) << total_cut.error;
  auto icmp_cut = decode_packet(ConstBytes(bytes).subspan(20, 5), IpMode::no_ip, wire::Family::v4);
  EXPECT_EQ(icmp_cut.error, "ICMP message truncated: 5 bytes, the header needs 8");
}

TEST(DecodePacket, AutoModeTellsIpHeaderFromBareMessage) {
  const auto bytes = fixture("icmpv4/echo_reply.hex");
  EXPECT_TRUE(decode_packet(bytes, IpMode::automatic, std::nullopt).tree.contains("ipv4"));
  auto bare = decode_packet(ConstBytes(bytes).subspan(20), IpMode::automatic, std::nullopt);
  EXPECT_FALSE(bare.tree.contains("ipv4"));
  EXPECT_EQ(bare.tree["icmp"]["type_name"], "echo-reply");
}

TEST(RenderTree, PrintsNamesAndStatusBesideTheirNumbers) {
  Json tree;
  tree["icmp"] = {{"type", 3}, {"type_name", "destination-unreachable"}, {"checksum", 0xbeef},
                  {"checksum_status", "ok"}, {"id", 0x1c2a}};
  EXPECT_EQ(render_tree(tree), "icmp:\n  type: 3 (destination-unreachable)\n  checksum: 0xbeef (ok)\n  id: 0x1c2a\n");
}

TEST(Summary, OneLineForCapturedUnreachableNamesTheQuotedProbe) {
  const auto bytes = fixture("quoted/v4_port_unreachable_udp_frame.hex", 14 + 20);
  const auto line = summarize_icmp(wire::Family::v4, bytes);
  EXPECT_NE(line.find("destination-unreachable code=3"), std::string::npos) << line;
  EXPECT_NE(line.find("quoting 10.77.2.2 udp 40002->33434"), std::string::npos) << line;
}

}  // namespace
}  // namespace icmpkit::tools

namespace icmpkit::tools {
namespace {

// Every strict prefix of a captured IP packet must be reported as malformed
// (its length field claims more), never decoded silently or crash; the
// whole packet must decode cleanly.
TEST(DecodePacket, EveryPrefixOfCapturedPacketsIsAPreciseError) {
  const char* captures[] = {"quoted/v4_time_exceeded_echo_frame.hex", "quoted/v4_port_unreachable_udp_frame.hex",
                            "quoted/v4_admin_prohibited_tcp_frame.hex", "quoted/v6_port_unreachable_udp_frame.hex",
                            "quoted/v6_time_exceeded_echo_frame.hex", "ip/v6_mld_report_hop_by_hop_frame.hex"};
  for (const char* name : captures) {
    const auto frame = fixture(name, 14);
    ASSERT_GT(frame.size(), 28U) << name;
    EXPECT_TRUE(decode_packet(frame, IpMode::ip, std::nullopt).ok()) << name;
    for (std::size_t size = 0; size < frame.size(); ++size) {
      auto decoded = decode_packet(ConstBytes(frame).first(size), IpMode::ip, std::nullopt);
      EXPECT_FALSE(decoded.ok()) << name << " cut to " << size;
      EXPECT_FALSE(decoded.error.empty()) << name << " cut to " << size;
    }
  }
}

// A bare message cut anywhere: under 8 bytes it is an error naming the
// header; longer cuts of an error message only shorten the quote, which
// ICMP allows, and must still decode the header fields.
TEST(DecodePacket, BareMessagesCutAnywhereDecodeTheirHeaderOrSayTruncated) {
  const auto frame = fixture("quoted/v4_time_exceeded_echo_frame.hex", 14 + 20);
  for (std::size_t size = 0; size <= frame.size(); ++size) {
    auto decoded = decode_packet(ConstBytes(frame).first(size), IpMode::no_ip, wire::Family::v4);
    if (size == 0) {
      EXPECT_EQ(decoded.error, "no bytes to decode");
    } else if (size < wire::icmp_header_size) {
      EXPECT_NE(decoded.error.find("ICMP message truncated"), std::string::npos) << size;
    } else {
      EXPECT_EQ(decoded.tree["icmp"]["type"], 11) << size;
    }
  }
}

}  // namespace
}  // namespace icmpkit::tools
