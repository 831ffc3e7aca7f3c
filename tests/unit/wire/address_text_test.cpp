// IpAddress text: IPv4 is formatted by hand (not inet_ntop, which uses
// sprintf), so it is checked against inet_ntop over a spread of addresses,
// and parse/to_string round-trip.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdint>
#include <random>
#include <string>

#include "icmpkit/wire/address.hpp"

namespace wire = icmpkit::wire;

namespace {

std::string libc_text(const wire::Ipv4Address& a) {
  char buffer[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, a.data(), buffer, sizeof buffer);
  return buffer;
}

wire::Ipv4Address from_u32(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

TEST(IpAddressText, Ipv4MatchesInetNtop) {
  std::mt19937 rng(42);
  std::vector<std::uint32_t> values = {0u, 0xffffffffu, 0x7f000001u, 0x0a000100u, 0xc0a80001u, 0x01020304u,
                                       0x09090909u, 0x63636363u, 0x64646464u, 0xfe0a6400u};
  for (int i = 0; i < 100000; ++i) values.push_back(rng());
  for (const std::uint32_t v : values) {
    const auto a = from_u32(v);
    const std::string text = wire::IpAddress(a).to_string();
    ASSERT_EQ(text, libc_text(a)) << std::hex << v;
    const auto parsed = wire::IpAddress::parse(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    ASSERT_EQ(*parsed, wire::IpAddress(a)) << text;
  }
}

TEST(IpAddressText, Ipv6KeepsItsScope) {
  const auto parsed = wire::IpAddress::parse("fe80::1%7");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->to_string(), "fe80::1%7");
}

}  // namespace
