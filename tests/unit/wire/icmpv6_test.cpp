// ICMPv6 codec: errors, echo and extended echo, decoded from packets the
// Linux kernel emitted in a namespace lab (tests/data/icmpv6, see
// make_fixtures.sh) and rebuilt byte for byte by the builders.
#include "icmpkit/wire/icmpv6.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "icmpv6_fixture.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit_test::from_hex;
using icmpkit_test::load_icmpv6_fixture;
using icmpkit_test::without_checksum;

template <class T>
T decode_as(const std::vector<std::byte>& bytes) {
  auto message = decode_icmpv6(bytes);
  EXPECT_TRUE(message) << message.error().message();
  if (!message) return T{};
  const T* typed = std::get_if<T>(&*message);
  EXPECT_NE(typed, nullptr) << "variant index " << message->index();
  return typed ? *typed : T{};
}

bool same(icmpkit::ConstBytes a, icmpkit::ConstBytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// Builds with `encode`, then checks the bytes equal the capture once the
// checksum is filled in with the capture's addresses.
template <class Encode>
void expect_rebuilds(const icmpkit_test::Icmpv6Fixture& fixture, Encode encode) {
  std::vector<std::byte> out(fixture.bytes.size() + 64);
  auto length = encode(icmpkit::MutableBytes(out));
  ASSERT_TRUE(length) << length.error().message();
  out.resize(*length);
  EXPECT_EQ(out, without_checksum(fixture.bytes)) << fixture.name;
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes) << fixture.name;
}

TEST(Icmpv6Captures, EveryCaptureDecodesAndVerifiesItsChecksum) {
  const auto names = icmpkit_test::all_icmpv6_fixture_names();
  ASSERT_GE(names.size(), 30u);
  for (const auto& name : names) {
    const auto fixture = load_icmpv6_fixture(name);
    auto message = decode_icmpv6(fixture.bytes, fixture.source, fixture.destination);
    EXPECT_TRUE(message) << name << ": " << message.error().message();
    // Every capture is of an assigned type, so none falls back to the raw view.
    if (message) {
      EXPECT_FALSE(std::holds_alternative<IcmpView>(*message)) << name;
    }
  }
}

TEST(Icmpv6Captures, WrongPseudoHeaderOrFlippedByteIsBadChecksum) {
  for (const auto& name : icmpkit_test::all_icmpv6_fixture_names()) {
    const auto fixture = load_icmpv6_fixture(name);
    auto other_source = fixture.source;
    other_source[15] ^= std::byte{0x01};
    EXPECT_EQ(decode_icmpv6(fixture.bytes, other_source, fixture.destination).error(), errc::bad_checksum) << name;
    auto flipped = fixture.bytes;
    flipped.back() ^= std::byte{0x40};
    EXPECT_EQ(decode_icmpv6(flipped, fixture.source, fixture.destination).error(), errc::bad_checksum) << name;
  }
}

TEST(Icmpv6Captures, EveryTruncationIsAnErrorOrAShorterValidMessage) {
  for (const auto& name : icmpkit_test::all_icmpv6_fixture_names()) {
    const auto fixture = load_icmpv6_fixture(name);
    for (std::size_t length = 0; length < fixture.bytes.size(); ++length) {
      const icmpkit::ConstBytes prefix(fixture.bytes.data(), length);
      auto message = decode_icmpv6(prefix);
      if (length < icmp_header_size) {
        EXPECT_EQ(message.error(), errc::truncated) << name << " at " << length;
      } else if (!message) {
        EXPECT_TRUE(message.error() == errc::truncated || message.error() == errc::bad_length)
            << name << " at " << length << ": " << message.error().message();
      }
      // With the addresses, a truncated capture never passes the checksum.
      EXPECT_FALSE(decode_icmpv6(prefix, fixture.source, fixture.destination)) << name << " at " << length;
    }
  }
}

TEST(Icmpv6Echo, DecodesCapturedRequestAndReply) {
  const auto request_fixture = load_icmpv6_fixture("echo_request");
  const auto reply_fixture = load_icmpv6_fixture("echo_reply");
  const auto request = decode_as<EchoView>(request_fixture.bytes);
  const auto reply = decode_as<EchoView>(reply_fixture.bytes);
  EXPECT_FALSE(request.is_reply);
  EXPECT_TRUE(reply.is_reply);
  EXPECT_EQ(request.id, reply.id);
  EXPECT_EQ(request.seq, EchoSeq(1));
  EXPECT_EQ(request.data.size(), 56u);
  EXPECT_TRUE(same(request.data, reply.data));
}

TEST(Icmpv6TimeExceeded, DecodesCapturedHopLimitExceeded) {
  const auto fixture = load_icmpv6_fixture("time_exceeded_hop_limit");
  const auto te = decode_as<Icmpv6TimeExceeded>(fixture.bytes);
  EXPECT_EQ(te.code, icmpv6_time_exceeded_code::hop_limit);
  EXPECT_FALSE(te.body.rfc4884_length);
  EXPECT_TRUE(te.body.extensions.empty());
  ASSERT_EQ(te.body.original_datagram.size(), fixture.bytes.size() - 8);
  EXPECT_EQ(static_cast<unsigned>(te.body.original_datagram[0]) >> 4, 6u);  // quoted IPv6 header
  EXPECT_EQ(static_cast<unsigned>(te.body.original_datagram[7]), 1u);       // hop limit 1 when sent
  EXPECT_EQ(icmpv6_code_name(icmpv6_type::time_exceeded, te.code), "hop-limit-exceeded");
}

TEST(Icmpv6TimeExceeded, DecodesCapturedReassemblyTimeout) {
  const auto fixture = load_icmpv6_fixture("time_exceeded_reassembly");
  const auto te = decode_as<Icmpv6TimeExceeded>(fixture.bytes);
  EXPECT_EQ(te.code, icmpv6_time_exceeded_code::fragment_reassembly);
  EXPECT_EQ(static_cast<unsigned>(te.body.original_datagram[6]), 44u);  // quoted first fragment
  EXPECT_EQ(icmpv6_time_exceeded_code_name(te.code), "fragment-reassembly-time-exceeded");
}

TEST(Icmpv6TimeExceeded, BuildersReproduceCaptures) {
  for (const char* name : {"time_exceeded_hop_limit", "time_exceeded_reassembly"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto te = decode_as<Icmpv6TimeExceeded>(fixture.bytes);
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) {
      return encode_icmpv6_time_exceeded(te.code, te.body.original_datagram, out);
    });
  }
}

TEST(Icmpv6PacketTooBig, DecodesCapturedMtuAndRebuildsIt) {
  const auto fixture = load_icmpv6_fixture("packet_too_big");
  const auto ptb = decode_as<Icmpv6PacketTooBig>(fixture.bytes);
  EXPECT_EQ(ptb.mtu, 1280u);
  // RFC 4443 §3.2: as much as fits in the minimum MTU: 1280 - 40 - 8.
  EXPECT_EQ(ptb.body.original_datagram.size(), 1232u);
  expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) {
    return encode_icmpv6_packet_too_big(ptb.mtu, ptb.body.original_datagram, out);
  });
}

struct UnreachableCase {
  const char* fixture;
  std::uint8_t code;
  const char* name;
};

TEST(Icmpv6DestinationUnreachable, DecodesEveryCapturedCodeAndRebuildsIt) {
  const UnreachableCase cases[] = {
      {"unreachable_no_route", 0, "no-route"},
      {"unreachable_prohibited", 1, "administratively-prohibited"},
      {"unreachable_beyond_scope", 2, "beyond-scope"},
      {"unreachable_address", 3, "address-unreachable"},
      {"unreachable_port", 4, "port-unreachable"},
      {"unreachable_policy_fail", 5, "source-address-failed-policy"},
      {"unreachable_reject_route", 6, "reject-route"},
  };
  for (const auto& c : cases) {
    const auto fixture = load_icmpv6_fixture(c.fixture);
    const auto du = decode_as<Icmpv6DestinationUnreachable>(fixture.bytes);
    EXPECT_EQ(du.code, c.code) << c.fixture;
    EXPECT_EQ(icmpv6_unreachable_code_name(du.code), c.name);
    EXPECT_GE(du.body.original_datagram.size(), 40u) << c.fixture;
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) {
      return encode_icmpv6_destination_unreachable(du.code, du.body.original_datagram, out);
    });
  }
}

TEST(Icmpv6DestinationUnreachable, NamesTheCodesOfLaterRfcs) {
  EXPECT_EQ(icmpv6_unreachable_code_name(7), "source-routing-header-error");
  EXPECT_EQ(icmpv6_unreachable_code_name(8), "headers-too-long");
  EXPECT_TRUE(icmpv6_unreachable_code_name(9).empty());
}

TEST(Icmpv6ParameterProblem, DecodesCapturedPointers) {
  const auto next_header_fixture = load_icmpv6_fixture("parameter_problem_next_header");
  const auto next_header = decode_as<Icmpv6ParameterProblem>(next_header_fixture.bytes);
  EXPECT_EQ(next_header.code, icmpv6_parameter_problem_code::unrecognized_next_header);
  EXPECT_EQ(next_header.pointer, 6u);  // the Next Header field of the quoted IPv6 header
  const auto option_fixture = load_icmpv6_fixture("parameter_problem_option");
  const auto option = decode_as<Icmpv6ParameterProblem>(option_fixture.bytes);
  EXPECT_EQ(option.code, icmpv6_parameter_problem_code::unrecognized_option);
  EXPECT_EQ(option.pointer, 42u);  // 40-byte header + 2: the option type byte
  EXPECT_EQ(static_cast<unsigned>(option.body.original_datagram[option.pointer]), 0x80u);
}

TEST(Icmpv6ParameterProblem, BuildersReproduceCaptures) {
  for (const char* name : {"parameter_problem_next_header", "parameter_problem_option"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto pp = decode_as<Icmpv6ParameterProblem>(fixture.bytes);
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) {
      return encode_icmpv6_parameter_problem(pp.code, pp.pointer, pp.body.original_datagram, out);
    });
  }
}

TEST(Icmpv6ParameterProblem, NamesAllElevenIanaCodes) {
  for (std::uint8_t code = 0; code <= 10; ++code) EXPECT_FALSE(icmpv6_parameter_problem_code_name(code).empty());
  EXPECT_TRUE(icmpv6_parameter_problem_code_name(11).empty());
  EXPECT_EQ(icmpv6_code_name(icmpv6_type::parameter_problem, 3), "incomplete-header-chain");
}

TEST(Icmpv6ErrorBody, Rfc4884BuilderPadsQuoteAndDecoderSplitsExtensions) {
  const auto quote = from_hex("6000 0000 0008 3a01");
  const auto extensions = from_hex("2000 0000 0008 0101 0000 0001");
  std::vector<std::byte> out(512);
  auto length = encode_icmpv6_time_exceeded(0, quote, out, extensions);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, 8u + 128u + extensions.size());
  EXPECT_EQ(static_cast<unsigned>(out[4]), 16u);  // 128 bytes in 64-bit words
  out.resize(*length);
  const auto te = decode_as<Icmpv6TimeExceeded>(out);
  EXPECT_TRUE(te.body.rfc4884_length);
  EXPECT_EQ(te.body.original_datagram.size(), 128u);
  EXPECT_TRUE(same(te.body.original_datagram.first(quote.size()), quote));
  EXPECT_TRUE(same(te.body.extensions, extensions));
}

TEST(Icmpv6ErrorBody, Rfc4884LengthOverrunningTheMessageIsBadLength) {
  auto bytes = load_icmpv6_fixture("unreachable_port").bytes;
  bytes[4] = std::byte{200};  // 1600 bytes claimed
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
}

TEST(Icmpv6ErrorBody, BuilderReportsSmallBuffer) {
  const auto quote = from_hex("6000 0000 0008 3a01");
  std::vector<std::byte> out(15);
  EXPECT_EQ(encode_icmpv6_destination_unreachable(4, quote, out).error(), errc::buffer_too_small);
  EXPECT_EQ(encode_icmpv6_packet_too_big(1280, quote, out).error(), errc::buffer_too_small);
  EXPECT_EQ(encode_icmpv6_parameter_problem(0, 0, quote, out).error(), errc::buffer_too_small);
}

TEST(Icmpv6ExtendedEcho, DecodesCapturedRequest) {
  const auto fixture = load_icmpv6_fixture("extended_echo_request_name");
  const auto request = decode_as<Icmpv6ExtendedEchoRequest>(fixture.bytes);
  EXPECT_EQ(request.id, EchoId(0x1234));
  EXPECT_EQ(request.seq, 1u);
  EXPECT_TRUE(request.local);
  ASSERT_EQ(request.extensions.size(), 12u);
  EXPECT_EQ(static_cast<unsigned>(request.extensions[0]), 0x20u);  // extension version 2
}

TEST(Icmpv6ExtendedEcho, DecodesCapturedKernelReplies) {
  const auto by_name = decode_as<Icmpv6ExtendedEchoReply>(load_icmpv6_fixture("extended_echo_reply_name").bytes);
  EXPECT_EQ(by_name.code, extended_echo_code::no_error);
  EXPECT_EQ(by_name.id, EchoId(0x1234));
  EXPECT_EQ(by_name.seq, 1u);
  EXPECT_TRUE(by_name.active);
  EXPECT_FALSE(by_name.ipv4);  // eth0 of ikB-h2 has only IPv6 addresses
  EXPECT_TRUE(by_name.ipv6);
  const auto missing =
      decode_as<Icmpv6ExtendedEchoReply>(load_icmpv6_fixture("extended_echo_reply_no_such_interface").bytes);
  EXPECT_EQ(missing.code, extended_echo_code::no_such_interface);
  EXPECT_FALSE(missing.active);
  EXPECT_EQ(extended_echo_code_name(missing.code), "no-such-interface");
  const auto loopback = decode_as<Icmpv6ExtendedEchoReply>(load_icmpv6_fixture("extended_echo_reply_index").bytes);
  EXPECT_TRUE(loopback.active && loopback.ipv4 && loopback.ipv6);  // lo has 127.0.0.1 and ::1
  const auto by_address = decode_as<Icmpv6ExtendedEchoReply>(load_icmpv6_fixture("extended_echo_reply_address").bytes);
  EXPECT_EQ(by_address.seq, 4u);
  EXPECT_TRUE(by_address.active && by_address.ipv6);
}

TEST(Icmpv6ExtendedEcho, BuildersReproduceCaptures) {
  const auto request_fixture = load_icmpv6_fixture("extended_echo_request_name");
  const auto request = decode_as<Icmpv6ExtendedEchoRequest>(request_fixture.bytes);
  expect_rebuilds(request_fixture, [&](icmpkit::MutableBytes out) {
    return encode_icmpv6_extended_echo_request(request.id, request.seq, request.local, request.extensions, out);
  });
  for (const char* name : {"extended_echo_reply_name", "extended_echo_reply_no_such_interface",
                           "extended_echo_reply_index", "extended_echo_reply_address"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto reply = decode_as<Icmpv6ExtendedEchoReply>(fixture.bytes);
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) { return encode_icmpv6_extended_echo_reply(reply, out); });
  }
}

TEST(Icmpv6ExtendedEcho, ReplyStateRoundTripsAndOutOfRangeIsRejected) {
  Icmpv6ExtendedEchoReply reply;
  reply.state = extended_echo_state::stale;
  reply.ipv4 = true;
  std::vector<std::byte> out(8);
  ASSERT_TRUE(encode_icmpv6_extended_echo_reply(reply, out));
  const auto decoded = decode_as<Icmpv6ExtendedEchoReply>(out);
  EXPECT_EQ(decoded.state, extended_echo_state::stale);
  EXPECT_EQ(extended_echo_state_name(decoded.state), "stale");
  EXPECT_TRUE(decoded.ipv4);
  EXPECT_FALSE(decoded.active || decoded.ipv6);
  reply.state = 8;
  EXPECT_EQ(encode_icmpv6_extended_echo_reply(reply, out).error(), errc::invalid_argument);
}

TEST(Icmpv6Decode, UnassignedTypesAreRawViewsNotErrors) {
  for (int type : {0, 5, 100, 127, 138, 200, 255}) {
    auto bytes = from_hex("0000 0000 0102 0304 aabb");
    bytes[0] = static_cast<std::byte>(type);
    const auto view = decode_as<IcmpView>(bytes);
    EXPECT_EQ(view.type, type);
    EXPECT_EQ(view.family, Family::v6);
    EXPECT_EQ(view.body.size(), 2u);
  }
}

TEST(Icmpv6Decode, ShortMessageWithAddressesIsTruncatedNotBadChecksum) {
  const auto bytes = from_hex("8000 0000");
  EXPECT_EQ(decode_icmpv6(bytes, Ipv6Address{}, Ipv6Address{}).error(), errc::truncated);
}

TEST(Icmpv6Decode, TypedDecodersRejectOtherTypes) {
  const auto echo = load_icmpv6_fixture("echo_request").bytes;
  auto view = parse_icmp(Family::v6, echo);
  ASSERT_TRUE(view);
  EXPECT_EQ(decode_icmpv6_destination_unreachable(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_icmpv6_packet_too_big(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_icmpv6_time_exceeded(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_icmpv6_parameter_problem(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_icmpv6_extended_echo_request(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_icmpv6_extended_echo_reply(*view).error(), errc::wrong_type);
  auto v4 = parse_icmp(Family::v4, load_icmpv6_fixture("time_exceeded_hop_limit").bytes);
  ASSERT_TRUE(v4);
  EXPECT_EQ(decode_icmpv6_time_exceeded(*v4).error(), errc::wrong_type);  // type 3 of ICMPv4 is not this
}

}  // namespace
