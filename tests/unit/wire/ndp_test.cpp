// Neighbor Discovery (RFC 4861): messages captured in the namespace lab
// (NS, NA, RS, redirect) and a router advertisement built by hand from the
// RFC 4861 §4.2 layout (no router daemon runs in the lab).
#include "icmpkit/wire/ndp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "icmpkit/wire/icmpv6.hpp"
#include "icmpv6_fixture.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit::errc;
using icmpkit_test::from_hex;
using icmpkit_test::load_icmpv6_fixture;
using icmpkit_test::parse_v6;
using icmpkit_test::without_checksum;

bool same(icmpkit::ConstBytes a, icmpkit::ConstBytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

IcmpView view_of(const std::vector<std::byte>& bytes) {
  auto view = parse_icmp(Family::v6, bytes);
  EXPECT_TRUE(view);
  return view ? *view : IcmpView{};
}

std::vector<NdpOption> collect(const NdpOptions& options) {
  return std::vector<NdpOption>(options.begin(), options.end());
}

// Router advertisement by hand (RFC 4861 §4.2): hop limit 64, M and O set,
// lifetime 1800 s, reachable 30000 ms, retrans 1000 ms; options: source
// link-layer 02:00:00:00:00:01, MTU 1500, prefix fd00:1::/64 (L, A, valid
// 2592000 s, preferred 604800 s), and RDNSS (type 25, RFC 8106) kept raw.
const char* const hand_ra =
    "8600 0000 40c0 0708 0000 7530 0000 03e8"
    "0101 0200 0000 0001"
    "0501 0000 0000 05dc"
    "0304 40c0 0027 8d00 0009 3a80 0000 0000 fd00 0001 0000 0000 0000 0000 0000 0000"
    "1903 0000 0000 0e10 fd00 0001 0000 0000 0000 0000 0000 0053";

TEST(NdpNeighborSolicitation, DecodesCaptureAndRebuildsIt) {
  const auto fixture = load_icmpv6_fixture("neighbor_solicitation");
  auto ns = decode_neighbor_solicitation(view_of(fixture.bytes));
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->target, parse_v6("fd00:1::2"));
  const auto options = collect(ns->options);
  ASSERT_EQ(options.size(), 1u);
  EXPECT_EQ(options[0].type, ndp_option_type::source_link_layer_address);
  auto lladdr = decode_link_layer_address(options[0]);
  ASSERT_TRUE(lladdr);
  EXPECT_TRUE(same(*lladdr, from_hex("6ace 26e6 34e6")));

  std::vector<std::byte> option(8);
  ASSERT_TRUE(encode_link_layer_option(ndp_option_type::source_link_layer_address, *lladdr, option));
  std::vector<std::byte> out(64);
  auto length = encode_neighbor_solicitation(ns->target, option, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  EXPECT_EQ(out, without_checksum(fixture.bytes));
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes);
}

TEST(NdpNeighborSolicitation, DuplicateAddressDetectionCarriesNoOptions) {
  const auto fixture = load_icmpv6_fixture("neighbor_solicitation_dad");
  EXPECT_EQ(fixture.source, Ipv6Address{});
  auto message = decode_icmpv6(fixture.bytes, fixture.source, fixture.destination);
  ASSERT_TRUE(message);
  const auto* ns = std::get_if<NdpNeighborSolicitation>(&*message);
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(static_cast<unsigned>(ns->target[0]), 0xfeu);  // DAD of the link-local address
  // RFC 4861 §7.2.2: no source link-layer option from the unspecified address.
  EXPECT_FALSE(ns->options.find(ndp_option_type::source_link_layer_address));
  // Linux adds the RFC 7527 nonce option (type 14), which the decoder keeps raw.
  const auto options = collect(ns->options);
  ASSERT_EQ(options.size(), 1u);
  EXPECT_EQ(options[0].type, 14u);
  EXPECT_EQ(options[0].data.size(), 6u);
}

TEST(NdpNeighborAdvertisement, DecodesCapturedFlagsAndRebuildsIt) {
  const auto fixture = load_icmpv6_fixture("neighbor_advertisement");
  auto na = decode_neighbor_advertisement(view_of(fixture.bytes));
  ASSERT_TRUE(na);
  EXPECT_TRUE(na->router);  // ikB-r forwards
  EXPECT_TRUE(na->solicited);
  EXPECT_TRUE(na->override_flag);
  EXPECT_EQ(na->target, parse_v6("fd00:1::2"));
  auto tlla = na->options.find(ndp_option_type::target_link_layer_address);
  ASSERT_TRUE(tlla);
  auto lladdr = decode_link_layer_address(*tlla);
  ASSERT_TRUE(lladdr);
  EXPECT_EQ(lladdr->size(), 6u);

  std::vector<std::byte> option(8);
  ASSERT_TRUE(encode_link_layer_option(ndp_option_type::target_link_layer_address, *lladdr, option));
  std::vector<std::byte> out(64);
  auto length = encode_neighbor_advertisement(*na, option, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes);
}

TEST(NdpRouterSolicitation, DecodesCaptureAndRebuildsIt) {
  const auto fixture = load_icmpv6_fixture("router_solicitation");
  auto rs = decode_router_solicitation(view_of(fixture.bytes));
  ASSERT_TRUE(rs);
  auto sll = rs->options.find(ndp_option_type::source_link_layer_address);
  ASSERT_TRUE(sll);
  auto lladdr = decode_link_layer_address(*sll);
  ASSERT_TRUE(lladdr);
  std::vector<std::byte> option(8);
  ASSERT_TRUE(encode_link_layer_option(ndp_option_type::source_link_layer_address, *lladdr, option));
  std::vector<std::byte> out(16);
  auto length = encode_router_solicitation(option, out);
  ASSERT_TRUE(length);
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes);
}

TEST(NdpRedirect, DecodesCapturedRedirectWithItsQuotedPacket) {
  const auto fixture = load_icmpv6_fixture("redirect");
  auto redirect = decode_redirect(view_of(fixture.bytes));
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->target, parse_v6("fd00:1::3"));
  EXPECT_EQ(redirect->destination, parse_v6("fd00:1::3"));
  const auto options = collect(redirect->options);
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options[0].type, ndp_option_type::target_link_layer_address);
  EXPECT_EQ(options[1].type, ndp_option_type::redirected_header);
  auto quoted = decode_redirected_header(options[1]);
  ASSERT_TRUE(quoted);
  ASSERT_GE(quoted->size(), 40u);
  EXPECT_EQ(static_cast<unsigned>((*quoted)[0]) >> 4, 6u);
  EXPECT_EQ(static_cast<unsigned>((*quoted)[6]), 58u);  // the redirected echo request
  EXPECT_TRUE(same(quoted->subspan(24, 16), redirect->destination));

  // Rebuild: options from the decoded parts, message from the addresses.
  std::vector<std::byte> opts(256);
  auto tlla = encode_link_layer_option(ndp_option_type::target_link_layer_address, options[0].data, opts);
  ASSERT_TRUE(tlla);
  auto rh = encode_redirected_header(*quoted, icmpkit::MutableBytes(opts).subspan(*tlla));
  ASSERT_TRUE(rh);
  opts.resize(*tlla + *rh);
  std::vector<std::byte> out(512);
  auto length = encode_redirect(redirect->target, redirect->destination, opts, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes);
}

TEST(NdpRouterAdvertisement, DecodesHandBuiltRfcLayout) {
  const auto bytes = from_hex(hand_ra);
  auto message = decode_icmpv6(bytes);
  ASSERT_TRUE(message);
  const auto* ra = std::get_if<NdpRouterAdvertisement>(&*message);
  ASSERT_NE(ra, nullptr);
  EXPECT_EQ(ra->cur_hop_limit, 64u);
  EXPECT_TRUE(ra->managed);
  EXPECT_TRUE(ra->other);
  EXPECT_EQ(ra->router_lifetime, 1800u);
  EXPECT_EQ(ra->reachable_time, 30000u);
  EXPECT_EQ(ra->retrans_timer, 1000u);
  const auto options = collect(ra->options);
  ASSERT_EQ(options.size(), 4u);
  auto mtu = decode_mtu_option(options[1]);
  ASSERT_TRUE(mtu);
  EXPECT_EQ(*mtu, 1500u);
  auto prefix = decode_prefix_information(options[2]);
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->prefix_length, 64u);
  EXPECT_TRUE(prefix->on_link);
  EXPECT_TRUE(prefix->autonomous);
  EXPECT_FALSE(prefix->router_address);
  EXPECT_EQ(prefix->valid_lifetime, 2592000u);
  EXPECT_EQ(prefix->preferred_lifetime, 604800u);
  EXPECT_EQ(prefix->prefix, parse_v6("fd00:1::"));
  // Unknown options stay raw: type and bytes.
  EXPECT_EQ(options[3].type, 25u);
  EXPECT_EQ(options[3].bytes.size(), 24u);
  EXPECT_EQ(decode_prefix_information(options[3]).error(), errc::wrong_type);
  EXPECT_EQ(decode_mtu_option(options[0]).error(), errc::wrong_type);
  EXPECT_EQ(decode_link_layer_address(options[1]).error(), errc::wrong_type);
}

TEST(NdpRouterAdvertisement, BuildersReproduceHandBuiltRfcLayout) {
  const auto expected = from_hex(hand_ra);
  std::vector<std::byte> opts(128);
  std::size_t at = 0;
  auto put = [&](icmpkit::Result<std::size_t> r) {
    ASSERT_TRUE(r) << r.error().message();
    at += *r;
  };
  const auto ll = from_hex("0200 0000 0001");
  put(encode_link_layer_option(ndp_option_type::source_link_layer_address, ll, icmpkit::MutableBytes(opts).subspan(at)));
  put(encode_mtu_option(1500, icmpkit::MutableBytes(opts).subspan(at)));
  NdpPrefixInformation info;
  info.prefix_length = 64;
  info.on_link = info.autonomous = true;
  info.valid_lifetime = 2592000;
  info.preferred_lifetime = 604800;
  info.prefix = parse_v6("fd00:1::");
  put(encode_prefix_information(info, icmpkit::MutableBytes(opts).subspan(at)));
  const auto rdnss = from_hex("0000 0000 0e10 fd00 0001 0000 0000 0000 0000 0000 0053");
  put(encode_ndp_option(25, rdnss, icmpkit::MutableBytes(opts).subspan(at)));
  opts.resize(at);
  NdpRouterAdvertisement ra;
  ra.cur_hop_limit = 64;
  ra.managed = ra.other = true;
  ra.router_lifetime = 1800;
  ra.reachable_time = 30000;
  ra.retrans_timer = 1000;
  std::vector<std::byte> out(256);
  auto length = encode_router_advertisement(ra, opts, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  EXPECT_EQ(out, expected);
}

TEST(NdpOptions, ZeroLengthOptionIsBadLength) {
  auto bytes = load_icmpv6_fixture("neighbor_solicitation").bytes;
  bytes[25] = std::byte{0};
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
}

TEST(NdpOptions, OverrunningOptionIsBadLength) {
  auto bytes = load_icmpv6_fixture("neighbor_advertisement").bytes;
  bytes[25] = std::byte{2};  // 16 bytes claimed, 8 present
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
  bytes[25] = std::byte{255};
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
}

TEST(NdpOptions, SingleTrailingByteIsBadLength) {
  auto bytes = load_icmpv6_fixture("router_solicitation").bytes;
  bytes.push_back(std::byte{1});
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
}

TEST(NdpOptions, PrefixAndMtuOptionsOfWrongSizeAreBadLength) {
  const auto bytes = from_hex("0303 4000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0502 0000 0000 05dc 0000 0000 0000 0000");
  auto options = NdpOptions::parse(bytes);
  ASSERT_TRUE(options);
  const auto list = collect(*options);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(decode_prefix_information(list[0]).error(), errc::bad_length);
  EXPECT_EQ(decode_mtu_option(list[1]).error(), errc::bad_length);
}

TEST(NdpMessages, EveryTruncationOfTheCapturesIsPrecise) {
  struct Case {
    const char* name;
    std::size_t fixed;  // whole fixed part, header included
  };
  for (const Case c : {Case{"neighbor_solicitation", 24}, Case{"neighbor_advertisement", 24},
                       Case{"router_solicitation", 8}, Case{"redirect", 40}}) {
    const auto fixture = load_icmpv6_fixture(c.name);
    // A cut exactly between two options leaves a shorter valid message.
    std::vector<std::size_t> boundaries{c.fixed};
    auto whole = NdpOptions::parse(icmpkit::ConstBytes(fixture.bytes).subspan(c.fixed));
    ASSERT_TRUE(whole);
    for (const NdpOption option : *whole) boundaries.push_back(boundaries.back() + option.bytes.size());
    ASSERT_EQ(boundaries.back(), fixture.bytes.size());
    for (std::size_t length = icmp_header_size; length < fixture.bytes.size(); ++length) {
      auto message = decode_icmpv6(icmpkit::ConstBytes(fixture.bytes.data(), length));
      if (length < c.fixed) {
        EXPECT_EQ(message.error(), errc::truncated) << c.name << " at " << length;
      } else if (std::find(boundaries.begin(), boundaries.end(), length) != boundaries.end()) {
        EXPECT_TRUE(message) << c.name << " at " << length;
      } else {
        EXPECT_EQ(message.error(), errc::bad_length) << c.name << " at " << length;
      }
    }
  }
  const auto ra = from_hex(hand_ra);
  for (std::size_t length = icmp_header_size; length < 16; ++length) {
    EXPECT_EQ(decode_icmpv6(icmpkit::ConstBytes(ra.data(), length)).error(), errc::truncated);
  }
}

TEST(NdpBuilders, ReportSmallBuffersAndBadArguments) {
  std::vector<std::byte> small(7);
  EXPECT_EQ(encode_mtu_option(1280, small).error(), errc::buffer_too_small);
  EXPECT_EQ(encode_router_solicitation({}, small).error(), errc::buffer_too_small);
  std::vector<std::byte> out(64);
  EXPECT_EQ(encode_link_layer_option(3, from_hex("0200 0000 0001"), out).error(), errc::invalid_argument);
  NdpPrefixInformation bad;
  bad.prefix_length = 129;
  EXPECT_EQ(encode_prefix_information(bad, out).error(), errc::invalid_argument);
  std::vector<std::byte> huge(2100);
  std::vector<std::byte> big_out(4096);
  EXPECT_EQ(encode_ndp_option(99, huge, big_out).error(), errc::invalid_argument);
  // Padding: 3 data bytes + 2 = 5, padded to 8.
  auto length = encode_ndp_option(99, from_hex("aabb cc"), out);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, 8u);
  EXPECT_EQ(static_cast<unsigned>(out[1]), 1u);
  EXPECT_EQ(static_cast<unsigned>(out[7]), 0u);
}

TEST(NdpDecoders, RejectOtherTypes) {
  const auto fixture = load_icmpv6_fixture("echo_request");
  const auto view = view_of(fixture.bytes);
  EXPECT_EQ(decode_router_solicitation(view).error(), errc::wrong_type);
  EXPECT_EQ(decode_router_advertisement(view).error(), errc::wrong_type);
  EXPECT_EQ(decode_neighbor_solicitation(view).error(), errc::wrong_type);
  EXPECT_EQ(decode_neighbor_advertisement(view).error(), errc::wrong_type);
  EXPECT_EQ(decode_redirect(view).error(), errc::wrong_type);
}

}  // namespace
