// ICMPv4 typed codec: encoders checked against bytes written out from the RFC
// layouts, malformed inputs, and the code-name tables. Real captured
// messages are in icmpv4_capture_test.cpp.
#include "icmpkit/wire/icmpv4.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/wire/checksum.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit::ConstBytes;
using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// Writes the checksum into a hand-written message, as a sender would.
Bytes with_checksum(Bytes message) {
  set_icmpv4_checksum(message);
  return message;
}

template <class T>
Bytes encode(const T& message, std::size_t capacity = 1500) {
  Bytes out(capacity);
  auto length = encode_icmpv4(message, out);
  EXPECT_TRUE(length) << length.error().message();
  out.resize(length ? *length : 0);
  return out;
}

TEST(Icmpv4Codec, EncodesTimestampRequestInRfc792Layout) {
  Icmpv4Timestamp ts{false, EchoId(0x0102), EchoSeq(0x0304), 0x11121314, 0x21222324, 0x31323334};
  const auto expected = with_checksum(bytes({13, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14, 0x21,
                                             0x22, 0x23, 0x24, 0x31, 0x32, 0x33, 0x34}));
  EXPECT_EQ(encode(ts), expected);
  ts.is_reply = true;
  EXPECT_EQ(encode(ts)[0], std::byte{14});
}

TEST(Icmpv4Codec, EncodesUnreachableWithNextHopMtu) {
  const auto datagram = bytes({0x45, 0, 0, 28, 1, 2, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1});
  Icmpv4Unreachable u;
  u.code = Icmpv4UnreachableCode::fragmentation_needed;
  u.next_hop_mtu = 1280;
  u.body.original_datagram = datagram;
  Bytes expected = bytes({3, 4, 0, 0, 0, 0, 0x05, 0x00});
  expected.insert(expected.end(), datagram.begin(), datagram.end());
  EXPECT_EQ(encode(u), with_checksum(expected));
}

TEST(Icmpv4Codec, EncodesRedirectGatewayAndParameterProblemPointer) {
  const auto datagram = bytes({0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  Icmpv4Redirect r{Icmpv4RedirectCode::host, {std::byte{10}, std::byte{0}, std::byte{0}, std::byte{254}}, {}};
  r.body.original_datagram = datagram;
  Bytes expected = bytes({5, 1, 0, 0, 10, 0, 0, 254});
  expected.insert(expected.end(), datagram.begin(), datagram.end());
  EXPECT_EQ(encode(r), with_checksum(expected));

  Icmpv4ParameterProblem p{Icmpv4ParameterProblemCode::pointer, 9, {}};
  p.body.original_datagram = datagram;
  expected = bytes({12, 0, 0, 0, 9, 0, 0, 0});
  expected.insert(expected.end(), datagram.begin(), datagram.end());
  EXPECT_EQ(encode(p), with_checksum(expected));
}

TEST(Icmpv4Codec, EncodesExtendedEchoFlagBits) {
  Icmpv4ExtendedEchoRequest request{EchoId(0xabcd), 9, true, {}};
  EXPECT_EQ(encode(request), with_checksum(bytes({42, 0, 0, 0, 0xab, 0xcd, 9, 0x01})));

  Icmpv4ExtendedEchoReply reply;
  reply.code = ExtendedEchoReplyCode::no_error;
  reply.id = EchoId(0xabcd);
  reply.seq = 9;
  reply.state = ProbeState::stale;  // 3 << 5 = 0x60
  reply.active = true;              // 0x04
  reply.ipv6 = true;                // 0x01
  EXPECT_EQ(encode(reply), with_checksum(bytes({43, 0, 0, 0, 0xab, 0xcd, 9, 0x65})));
}

TEST(Icmpv4Codec, DecodesExtendedEchoReplyStateBits) {
  const auto msg = with_checksum(bytes({43, 0, 0, 0, 0, 1, 2, 0xc6}));  // state 6, A, 4
  auto decoded = decode_icmpv4(msg);
  ASSERT_TRUE(decoded);
  const auto& reply = std::get<Icmpv4ExtendedEchoReply>(*decoded);
  EXPECT_EQ(reply.state, ProbeState::failed);
  EXPECT_TRUE(reply.active);
  EXPECT_TRUE(reply.ipv4);
  EXPECT_FALSE(reply.ipv6);
  EXPECT_EQ(probe_state_name(reply.state), "failed");
}

TEST(Icmpv4Codec, BuildsRouterAdvertisementFromEntries) {
  const RouterAddressEntry entries[] = {
      {{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{1}}, 7},
      {{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{2}}, -1},
  };
  Bytes out(64);
  auto length = encode_icmpv4_router_advertisement(1800, entries, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  EXPECT_EQ(out, with_checksum(bytes({9, 0, 0, 0, 2, 2, 0x07, 0x08, 10, 0, 0, 1, 0, 0, 0, 7, 10, 0, 0, 2, 0xff,
                                      0xff, 0xff, 0xff})));
  Bytes small(23);
  EXPECT_EQ(encode_icmpv4_router_advertisement(1800, entries, small).error(), errc::buffer_too_small);
}

TEST(Icmpv4Codec, RouterAdvertisementEntriesOverrunIsBadLength) {
  // Three entries of two words claimed, two present.
  const auto msg = with_checksum(bytes({9, 0, 0, 0, 3, 2, 0, 30, 10, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0}));
  EXPECT_EQ(decode_icmpv4(msg).error(), errc::bad_length);
  // Entry size 3 words makes two entries need 24 bytes: also an overrun.
  const auto wide = with_checksum(bytes({9, 0, 0, 0, 2, 3, 0, 30, 10, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0}));
  EXPECT_EQ(decode_icmpv4(wide).error(), errc::bad_length);
}

TEST(Icmpv4Codec, RouterAdvertisementEntrySizeBelowTwoIsBadLength) {
  const auto msg = with_checksum(bytes({9, 0, 0, 0, 1, 1, 0, 30, 10, 0, 0, 1}));
  EXPECT_EQ(decode_icmpv4(msg).error(), errc::bad_length);
}

TEST(Icmpv4Codec, RouterAdvertisementWithNoAddressesIsEmpty) {
  const auto msg = with_checksum(bytes({9, 0, 0, 0, 0, 0, 0, 30}));
  auto decoded = decode_icmpv4(msg);
  ASSERT_TRUE(decoded);
  const auto& ad = std::get<Icmpv4RouterAdvertisement>(*decoded);
  EXPECT_TRUE(ad.empty());
  EXPECT_EQ(ad.begin(), ad.end());
}

TEST(Icmpv4Codec, RouterAdvertisementViewRefusesInconsistentEntryBytes) {
  const auto entries = bytes({10, 0, 0, 1, 0, 0, 0, 1});
  const Icmpv4RouterAdvertisement bad(0, 2, 2, 30, entries, {});  // claims 16 bytes, has 8
  EXPECT_EQ(bad.size(), 0u);
  const Icmpv4RouterAdvertisement good(0, 1, 2, 30, entries, {});
  EXPECT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].preference, 1);
}

TEST(Icmpv4Codec, Rfc4884LengthOverrunIsBadLength) {
  for (int type : {3, 11, 12}) {
    SCOPED_TRACE(type);
    Bytes msg(8 + 64);
    msg[0] = static_cast<std::byte>(type);
    msg[5] = std::byte{32};  // 128 bytes claimed, 64 present
    set_icmpv4_checksum(msg);
    EXPECT_EQ(decode_icmpv4(msg).error(), errc::bad_length);
  }
}

TEST(Icmpv4Codec, TimestampAndAddressMaskNeedTheirFixedFields) {
  auto ts = with_checksum(bytes({13, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(decode_icmpv4(ts));
  for (std::size_t n = 0; n < ts.size(); ++n) {
    EXPECT_EQ(decode_icmpv4(ConstBytes(ts.data(), n), {.verify_checksum = false}).error(), errc::truncated) << n;
  }
  auto mask = with_checksum(bytes({17, 0, 0, 0, 0, 1, 0, 1, 255, 255, 0, 0}));
  ASSERT_TRUE(decode_icmpv4(mask));
  for (std::size_t n = 0; n < mask.size(); ++n) {
    EXPECT_EQ(decode_icmpv4(ConstBytes(mask.data(), n), {.verify_checksum = false}).error(), errc::truncated) << n;
  }
}

TEST(Icmpv4Codec, BadChecksumIsReportedOnlyWhenAsked) {
  auto msg = with_checksum(bytes({8, 0, 0, 0, 0, 1, 0, 2, 'x'}));
  msg[2] ^= std::byte{0xff};
  EXPECT_EQ(decode_icmpv4(msg).error(), errc::bad_checksum);
  auto decoded = decode_icmpv4(msg, {.verify_checksum = false});
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<EchoView>(*decoded).seq, EchoSeq(2));
}

TEST(Icmpv4Codec, UnknownCodesOfKnownTypesStillDecode) {
  const auto msg = with_checksum(bytes({3, 99, 0, 0, 0, 0, 0, 0}));
  auto decoded = decode_icmpv4(msg);
  ASSERT_TRUE(decoded);
  const auto& u = std::get<Icmpv4Unreachable>(*decoded);
  EXPECT_EQ(static_cast<int>(u.code), 99);
  EXPECT_TRUE(unreachable_code_name(u.code).empty());
  EXPECT_TRUE(unreachable_traceroute_flag(u.code).empty());
  EXPECT_EQ(encode(u), msg);
}

TEST(Icmpv4Codec, ErrorWithExtensionsIsPaddedTo128BytesOnEncode) {
  const auto datagram = bytes({0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  const auto extensions = bytes({0x20, 0, 0, 0, 0, 4, 2, 1});
  Icmpv4TimeExceeded te;
  te.body.original_datagram = datagram;
  te.body.extensions = extensions;
  const auto out = encode(te);
  ASSERT_EQ(out.size(), 8u + 128u + 8u);
  EXPECT_EQ(out[5], std::byte{32});
  EXPECT_EQ(out[8 + 20], std::byte{0});  // padding
  auto decoded = decode_icmpv4(out);
  ASSERT_TRUE(decoded);
  const auto& back = std::get<Icmpv4TimeExceeded>(*decoded);
  EXPECT_EQ(back.body.original_datagram.size(), 128u);
  EXPECT_TRUE(std::equal(back.body.extensions.begin(), back.body.extensions.end(), extensions.begin(),
                         extensions.end()));
}

TEST(Icmpv4Codec, ExtensionsOnTypesWithoutLengthFieldAreRefused) {
  const auto datagram = bytes({0x45, 0, 0, 20});
  const auto extensions = bytes({0x20, 0, 0, 0});
  Icmpv4Redirect r;
  r.body.original_datagram = datagram;
  r.body.extensions = extensions;
  Bytes out(256);
  EXPECT_EQ(encode_icmpv4(r, out).error(), errc::invalid_argument);
  Icmpv4SourceQuench q;
  q.body = r.body;
  EXPECT_EQ(encode_icmpv4(q, out).error(), errc::invalid_argument);
}

TEST(Icmpv4Codec, EveryEncoderReportsSmallBuffer) {
  const Icmpv4Message messages[] = {
      EchoView{}, Icmpv4Unreachable{}, Icmpv4SourceQuench{}, Icmpv4Redirect{}, Icmpv4TimeExceeded{},
      Icmpv4ParameterProblem{}, Icmpv4Timestamp{}, Icmpv4Information{}, Icmpv4AddressMask{},
      Icmpv4RouterAdvertisement{}, Icmpv4RouterSolicitation{}, Icmpv4ExtendedEchoRequest{},
      Icmpv4ExtendedEchoReply{}, IcmpView{},
  };
  for (const auto& m : messages) {
    SCOPED_TRACE(m.index());
    Bytes big(64);
    auto length = encode_icmpv4(m, big);
    ASSERT_TRUE(length);
    Bytes small(*length - 1);
    EXPECT_EQ(encode_icmpv4(m, small).error(), errc::buffer_too_small);
    // What was encoded decodes back to the same alternative and type.
    big.resize(*length);
    auto decoded = decode_icmpv4(big);
    ASSERT_TRUE(decoded) << decoded.error().message();
    if (!std::holds_alternative<IcmpView>(m)) {  // a default IcmpView is type 0: an echo reply
      EXPECT_EQ(decoded->index(), m.index());
    }
    EXPECT_EQ(icmpv4_type_of(*decoded), icmpv4_type_of(m));
  }
}

TEST(Icmpv4CodeNames, AllSixteenUnreachableCodesHaveDistinctNames) {
  std::vector<std::string_view> names;
  for (int code = 0; code < 16; ++code) {
    const auto name = unreachable_code_name(static_cast<Icmpv4UnreachableCode>(code));
    EXPECT_FALSE(name.empty()) << code;
    EXPECT_EQ(icmpv4_code_name(icmpv4_type::destination_unreachable, static_cast<std::uint8_t>(code)), name);
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << name;
    names.push_back(name);
  }
  EXPECT_TRUE(unreachable_code_name(static_cast<Icmpv4UnreachableCode>(16)).empty());
  EXPECT_EQ(unreachable_code_name(Icmpv4UnreachableCode::communication_admin_prohibited), "admin-prohibited");
}

TEST(Icmpv4CodeNames, TracerouteFlagsFollowTraceroute) {
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::net), "!N");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::host), "!H");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::protocol), "!P");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::port), "");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::fragmentation_needed), "!F");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::communication_admin_prohibited), "!X");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::host_precedence_violation), "!V");
  EXPECT_EQ(unreachable_traceroute_flag(Icmpv4UnreachableCode::precedence_cutoff), "!C");
}

TEST(Icmpv4CodeNames, OtherTypesCodes) {
  EXPECT_EQ(redirect_code_name(Icmpv4RedirectCode::tos_host), "redirect-tos-host");
  EXPECT_EQ(time_exceeded_code_name(Icmpv4TimeExceededCode::fragment_reassembly), "reassembly-time-exceeded");
  EXPECT_EQ(parameter_problem_code_name(Icmpv4ParameterProblemCode::missing_option), "missing-option");
  EXPECT_EQ(icmpv4_code_name(icmpv4_type::time_exceeded, 0), "ttl-exceeded");
  EXPECT_TRUE(icmpv4_code_name(icmpv4_type::time_exceeded, 2).empty());
  EXPECT_TRUE(icmpv4_code_name(icmpv4_type::echo_request, 0).empty());
  EXPECT_EQ(extended_echo_reply_code_name(ExtendedEchoReplyCode::multiple_interfaces), "multiple-interfaces");
}

}  // namespace
