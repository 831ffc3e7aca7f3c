#include <gtest/gtest.h>

#include "icmpkit/net/address.hpp"

namespace icmpkit::net {
namespace {

TEST(NetAddress, ToAsioKeepsV4Bytes) {
  const auto address = *wire::IpAddress::parse("192.0.2.17");
  const auto converted = to_asio(address);
  ASSERT_TRUE(converted.is_v4());
  EXPECT_EQ(converted.to_string(), "192.0.2.17");
}

TEST(NetAddress, ToAsioKeepsV6BytesAndScope) {
  const auto address = *wire::IpAddress::parse("fe80::1:2%7");
  const auto converted = to_asio(address);
  ASSERT_TRUE(converted.is_v6());
  EXPECT_EQ(converted.to_v6().scope_id(), 7U);
  EXPECT_EQ(asio::ip::address_v6(converted.to_v6().to_bytes()).to_string(), "fe80::1:2");
}

TEST(NetAddress, FromAsioParsesWhatAsioParsed) {
  for (const char* text : {"127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "2001:db8::ff00:42:8329",
                           "::ffff:192.0.2.1"}) {
    const auto from_text = *wire::IpAddress::parse(text);
    EXPECT_EQ(from_asio(asio::ip::make_address(text)), from_text) << text;
  }
}

TEST(NetAddress, V4MappedStaysIpv6) {
  const auto converted = from_asio(asio::ip::make_address("::ffff:10.1.2.3"));
  EXPECT_TRUE(converted.is_v6());
}

TEST(NetAddress, RoundTripKeepsScope) {
  asio::ip::address_v6 original = asio::ip::make_address_v6("fe80::abcd");
  original.scope_id(42);
  const auto back = to_asio(from_asio(original));
  EXPECT_EQ(back, asio::ip::address(original));
  EXPECT_EQ(from_asio(original).scope_id(), 42U);
}

}  // namespace
}  // namespace icmpkit::net
