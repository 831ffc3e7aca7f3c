// IpAddress text: IPv4 is formatted by hand (not inet_ntop, which uses
// sprintf), so it is checked against inet_ntop over a spread of addresses,
// and parse/to_string round-trip.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <array>
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

// write_ipv4_text copies whole three-character digit groups and lets later
// characters overwrite the spare ones: it must still stay inside
// ipv4_text_max_size, whatever the octets' lengths.
TEST(IpAddressText, WriteIpv4TextStaysWithinItsMaximumSize) {
  const std::uint8_t lengths[] = {0, 9, 10, 99, 100, 255};  // 1, 1, 2, 2, 3, 3 digits
  for (auto a : lengths) {
    for (auto b : lengths) {
      for (auto c : lengths) {
        for (auto d : lengths) {
          const wire::Ipv4Address address{std::byte{a}, std::byte{b}, std::byte{c}, std::byte{d}};
          std::array<char, wire::ipv4_text_max_size + 8> buffer;
          buffer.fill('#');
          char* end = wire::write_ipv4_text(buffer.data(), address);
          const std::string expected = libc_text(address);
          ASSERT_EQ(std::string(buffer.data(), end), expected);
          for (std::size_t i = wire::ipv4_text_max_size; i < buffer.size(); ++i) {
            ASSERT_EQ(buffer[i], '#') << expected << " wrote past " << wire::ipv4_text_max_size << " characters";
          }
        }
      }
    }
  }
}

TEST(IpAddressText, Ipv6KeepsItsScope) {
  const auto parsed = wire::IpAddress::parse("fe80::1%7");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->to_string(), "fe80::1%7");
}

}  // namespace
