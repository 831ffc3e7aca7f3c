// The BSD/macOS normalisation functions, fed datagrams shaped as those
// kernels deliver them. A BSD IPv4 ICMP socket (DGRAM or RAW) hands over the
// whole IP packet, so the captured IP packets of captures.hpp are exactly
// what rip_input would queue (macOS additionally rewrites ip_len in host
// order without the header, emulated below). Untested on real BSD/macOS.
#include <gtest/gtest.h>

#include <vector>

#include "captures.hpp"
#include "icmpkit/sys/bsd.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit {
namespace {

using test_captures::bytes;

std::uint16_t reply_id() { return wire::detail::load_be16(bytes(test_captures::lo_v4_echo_reply), 24); }

TEST(BsdNormalise, StripsIpv4HeaderAndTakesTtl) {
  const auto delivered = bytes(test_captures::lo_v4_echo_reply);
  auto datagram = sys::bsd::normalise_v4_datagram(delivered);
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->ip_header.size(), 20u);
  EXPECT_EQ(datagram->icmp.size(), delivered.size() - 20);
  EXPECT_EQ(datagram->icmp.data(), delivered.data() + 20);
  EXPECT_EQ(datagram->ttl, wire::Ttl(64));
  EXPECT_EQ(datagram->tos, 0);
}

TEST(BsdNormalise, IgnoresMacosHostOrderIpLen) {
  auto packet = std::vector<std::byte>(bytes(test_captures::lo_v4_echo_reply).begin(),
                                       bytes(test_captures::lo_v4_echo_reply).end());
  // macOS ip_input: ip_len in host (little-endian) order, header length removed.
  const auto payload = static_cast<std::uint16_t>(packet.size() - 20);
  packet[2] = static_cast<std::byte>(payload & 0xff);
  packet[3] = static_cast<std::byte>(payload >> 8);
  auto datagram = sys::bsd::normalise_v4_datagram(packet);
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->icmp.size(), payload);
}

TEST(BsdNormalise, RejectsMalformedPrecisely) {
  const auto reply = bytes(test_captures::lo_v4_echo_reply);
  EXPECT_EQ(sys::bsd::normalise_v4_datagram(reply.first(19)).error(), make_error_code(errc::truncated));
  EXPECT_EQ(sys::bsd::normalise_v4_datagram(reply.first(24)).error(), make_error_code(errc::truncated));
  std::vector<std::byte> packet(reply.begin(), reply.end());
  packet[0] = std::byte{0x43};
  EXPECT_EQ(sys::bsd::normalise_v4_datagram(packet).error(), make_error_code(errc::bad_length));
  packet[0] = std::byte{0x60};
  EXPECT_EQ(sys::bsd::normalise_v4_datagram(packet).error(), make_error_code(errc::bad_version));
  packet[0] = std::byte{0x4f};  // 60-byte header: fits, but no ICMP header after it
  EXPECT_EQ(sys::bsd::normalise_v4_datagram(std::span(packet).first(64)).error(), make_error_code(errc::truncated));
}

TEST(BsdOwnership, EchoReplyMatchesOnlyItsIdentifier) {
  const auto icmp = bytes(test_captures::lo_v4_echo_reply).subspan(20);
  EXPECT_TRUE(sys::bsd::belongs_to_us(icmp, wire::Family::v4, wire::EchoId(reply_id())));
  EXPECT_FALSE(sys::bsd::belongs_to_us(icmp, wire::Family::v4, wire::EchoId(reply_id() ^ 1)));
}

TEST(BsdOwnership, OwnRequestLoopedBackIsNotOurs) {
  // An unfiltered BSD socket also sees the requests we send to ourselves.
  const auto request = bytes(test_captures::lo_v4_echo_request).subspan(20);
  const std::uint16_t id = wire::detail::load_be16(request, 4);
  EXPECT_FALSE(sys::bsd::belongs_to_us(request, wire::Family::v4, wire::EchoId(id)));
}

TEST(BsdOwnership, ErrorQuotingOurRequestIsOurs) {
  const auto icmp = bytes(test_captures::veth_v4_host_unreachable).subspan(20);
  const auto quoted_request = bytes(test_captures::veth_v4_echo_request).subspan(20);
  const std::uint16_t id = wire::detail::load_be16(quoted_request, 4);
  EXPECT_TRUE(sys::bsd::belongs_to_us(icmp, wire::Family::v4, wire::EchoId(id)));
  EXPECT_FALSE(sys::bsd::belongs_to_us(icmp, wire::Family::v4, wire::EchoId(id + 1)));
  EXPECT_FALSE(sys::bsd::belongs_to_us(icmp.first(8 + 20 + 6), wire::Family::v4, wire::EchoId(id)));
}

TEST(BsdOwnership, Icmpv6ErrorQuotingOurRequestIsOurs) {
  const auto icmp = bytes(test_captures::veth_v6_admin_prohibited).subspan(40);
  const auto request = bytes(test_captures::veth_v6_echo_request).subspan(40);
  const std::uint16_t id = wire::detail::load_be16(request, 4);
  EXPECT_TRUE(sys::bsd::belongs_to_us(icmp, wire::Family::v6, wire::EchoId(id)));
  EXPECT_FALSE(sys::bsd::belongs_to_us(icmp, wire::Family::v6, wire::EchoId(id + 1)));
  EXPECT_FALSE(sys::bsd::belongs_to_us(request, wire::Family::v6, wire::EchoId(id)));
}

TEST(BsdChecksum, SenderComputesCapturedChecksum) {
  auto icmp = std::vector<std::byte>(bytes(test_captures::lo_v4_echo_request).begin() + 20,
                                     bytes(test_captures::lo_v4_echo_request).end());
  const std::uint16_t captured = wire::detail::load_be16(icmp, 2);
  icmp[2] = icmp[3] = std::byte{0xAA};
  ASSERT_TRUE(sys::bsd::fill_icmpv4_checksum(icmp));
  EXPECT_EQ(wire::detail::load_be16(icmp, 2), captured);
  std::array<std::byte, 3> tiny{};
  EXPECT_EQ(sys::bsd::fill_icmpv4_checksum(tiny).error(), make_error_code(errc::truncated));
}

TEST(BsdFilter, OptionNumberAndPassBitMeaning) {
  EXPECT_EQ(sys::bsd::icmp6_filter_option, 18);
  EXPECT_EQ(sys::bsd::ipproto_icmpv6, 58);
  sys::bsd::FilterWords words{};  // ICMP6_FILTER_SETBLOCKALL
  EXPECT_FALSE(sys::bsd::filter_will_pass(words, 129));
  sys::bsd::filter_set_pass(words, 129);
  EXPECT_TRUE(sys::bsd::filter_will_pass(words, 129));
  EXPECT_EQ(words[129 >> 5], 1u << (129 & 31));
  sys::bsd::filter_set_block(words, 129);
  EXPECT_FALSE(sys::bsd::filter_will_pass(words, 129));
}

TEST(BsdFilter, ConversionInvertsLinuxBlockBits) {
  sys::bsd::FilterWords linux_words;
  linux_words.fill(0xFFFFFFFFu);
  linux_words[129 >> 5] &= ~(1u << (129 & 31));  // Linux: pass 129 only
  const auto bsd_words = sys::bsd::bsd_filter_from_linux(linux_words);
  for (int type = 0; type < 256; ++type) {
    EXPECT_EQ(sys::bsd::filter_will_pass(bsd_words, static_cast<std::uint8_t>(type)), type == 129) << type;
  }
  EXPECT_EQ(sys::bsd::linux_filter_from_bsd(bsd_words), linux_words);
}

TEST(BsdDuties, NothingIsDoneForUsExceptIcmpv6Checksum) {
  for (auto kind : {sys::SocketKind::dgram, sys::SocketKind::raw}) {
    const auto v4 = sys::bsd::kernel_duties(wire::Family::v4, kind);
    EXPECT_FALSE(v4.rewrites_echo_id);
    EXPECT_TRUE(v4.delivers_ip_header);
    EXPECT_FALSE(v4.computes_checksum);
    EXPECT_FALSE(v4.filters_to_own_replies);
    const auto v6 = sys::bsd::kernel_duties(wire::Family::v6, kind);
    EXPECT_FALSE(v6.delivers_ip_header);
    EXPECT_TRUE(v6.computes_checksum);
  }
}

}  // namespace
}  // namespace icmpkit

#include "icmpkit/wire/icmpv6_filter.hpp"

namespace icmpkit {
namespace {

TEST(BsdFilter, AgreesWithWireIcmpv6Filter) {
  auto filter = wire::Icmpv6Filter::block_all();
  filter.set_pass(1);
  filter.set_pass(129);
  EXPECT_EQ(sys::bsd::bsd_filter_from_linux(filter.linux_words()), filter.bsd_words());
  EXPECT_EQ(sys::bsd::icmp6_filter_option, wire::icmpv6_filter_option::bsd_name);
}

}  // namespace
}  // namespace icmpkit

namespace icmpkit {
namespace {

TEST(BsdReceive, V4DatagramBecomesTheSameShapeAsOnLinux) {
  const auto delivered = test_captures::bytes(test_captures::lo_v4_echo_reply);
  const auto source = *wire::IpAddress::parse("127.0.0.1");
  auto datagram = sys::bsd::to_received(wire::Family::v4, delivered, source);
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->source, source);
  EXPECT_EQ(datagram->icmp.size(), delivered.size() - 20);
  EXPECT_EQ(std::to_integer<int>(datagram->icmp[0]), 0);
  EXPECT_EQ(datagram->ip_header.size(), 20u);
  EXPECT_EQ(datagram->ttl, wire::Ttl(64));
  EXPECT_FALSE(datagram->kernel_timestamp.has_value());
  EXPECT_EQ(sys::bsd::to_received(wire::Family::v4, delivered.first(10), source).error(),
            make_error_code(errc::truncated));
}

TEST(BsdReceive, V6DatagramPassesUnchanged) {
  const auto icmp = test_captures::bytes(test_captures::veth_v6_admin_prohibited).subspan(40);
  auto datagram = sys::bsd::to_received(wire::Family::v6, icmp, *wire::IpAddress::parse("fd77::2"));
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->icmp.data(), icmp.data());
  EXPECT_EQ(datagram->icmp.size(), icmp.size());
  EXPECT_TRUE(datagram->ip_header.empty());
}

}  // namespace
}  // namespace icmpkit
