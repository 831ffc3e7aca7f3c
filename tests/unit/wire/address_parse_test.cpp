// IpAddress::parse reads IPv4 by hand (not inet_pton, which needs a C string
// copy per call), so it must accept and reject exactly what inet_pton does:
// checked here on hand-picked edge cases, on every mutation of a few valid
// addresses, and on a million random strings over the dotted-quad alphabet.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/wire/address.hpp"

namespace wire = icmpkit::wire;

namespace {

// What parse did before it read IPv4 itself: inet_pton on a NUL-terminated
// copy, IPv4 unless the text has a ':'.
std::optional<wire::IpAddress> libc_parse(std::string_view text) {
  char buffer[64];
  if (text.empty() || text.size() >= sizeof buffer || text.find(':') != std::string_view::npos) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  wire::Ipv4Address v4{};
  if (inet_pton(AF_INET, buffer, v4.data()) != 1) return std::nullopt;
  return wire::IpAddress(v4);
}

void expect_like_inet_pton(std::string_view text) {
  const auto expected = libc_parse(text);
  const auto parsed = wire::IpAddress::parse(text);
  ASSERT_EQ(parsed.has_value(), expected.has_value()) << '"' << std::string(text) << '"';
  if (expected) {
    ASSERT_EQ(*parsed, *expected) << '"' << std::string(text) << '"';
  }
}

TEST(IpAddressParse, Ipv4EdgeCasesMatchInetPton) {
  using namespace std::string_view_literals;
  const std::vector<std::string_view> cases = {
      "0.0.0.0", "255.255.255.255", "127.0.0.1", "1.2.3.4", "10.0.0.1",
      // leading zeros, too large, missing or extra parts
      "01.2.3.4", "1.02.3.4", "1.2.3.04", "00.0.0.0", "0.0.0.00", "256.0.0.0", "1.2.3.256", "1.2.3.2550",
      "999.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2..3.4", "....", "1.2.3.",
      // shorthand forms inet_aton takes and inet_pton does not
      "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1",
      // junk around the address
      " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "1.2.3.4/24", "1.2.3.4%1", "1.2.3.4#", "+1.2.3.4", "-1.2.3.4",
      "1.2.3.4a", "a.b.c.d", "１.2.3.4",
      // a NUL ends the text, as it did for inet_pton
      "1.2.3.4\0junk"sv, "1.2.3\0.4"sv, "\0"sv, "1.2.3.4\0"sv,
      // long texts
      "1.2.3.0000000000000000000000000000000000000000000000000000000000004",
      "000000000000000000000000000000000000000000000000000000000000001.2.3.4"};
  for (const auto text : cases) expect_like_inet_pton(text);
}

TEST(IpAddressParse, Ipv4MutationsMatchInetPton) {
  const std::string alphabet = std::string("0123456789.:% x/") + '\0';
  for (const std::string base : {"1.2.3.4", "192.168.100.200", "0.0.0.0", "255.255.255.255", "10.1.10.100"}) {
    for (std::size_t i = 0; i <= base.size(); ++i) {
      for (const char c : alphabet) {
        std::string inserted = base;
        inserted.insert(i, 1, c);
        expect_like_inet_pton(inserted);
        if (i < base.size()) {
          std::string replaced = base;
          replaced[i] = c;
          expect_like_inet_pton(replaced);
          std::string erased = base;
          erased.erase(i, 1);
          expect_like_inet_pton(erased);
        }
      }
    }
  }
}

TEST(IpAddressParse, RandomDottedTextMatchesInetPton) {
  std::mt19937 rng(3);
  const std::string alphabet = "00112233445566778899....";
  std::size_t accepted = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    std::string text(rng() % 20, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    if (rng() % 8 == 0 && !text.empty()) text[rng() % text.size()] = static_cast<char>(rng() % 256);
    expect_like_inet_pton(text);
    if (libc_parse(text)) ++accepted;
  }
  EXPECT_GT(accepted, 1000u);  // the accepting branch was exercised too
}

TEST(IpAddressParse, EveryOctetValueParses) {
  for (unsigned v = 0; v < 256; ++v) {
    const std::string n = std::to_string(v);
    expect_like_inet_pton(n + ".0.0.0");
    expect_like_inet_pton("0." + n + ".0.0");
    expect_like_inet_pton("0.0.0." + n);
    expect_like_inet_pton("0.0.0." + std::to_string(v + 256));
  }
}

TEST(IpAddressParse, Ipv6AndScopesStillParse) {
  EXPECT_EQ(wire::IpAddress::parse("::1")->to_string(), "::1");
  EXPECT_EQ(wire::IpAddress::parse("::ffff:1.2.3.4")->to_string(), "::ffff:1.2.3.4");
  EXPECT_EQ(wire::IpAddress::parse("fe80::1%2")->scope_id(), 2u);
  EXPECT_FALSE(wire::IpAddress::parse("fe80::1%eth0").has_value());
  EXPECT_FALSE(wire::IpAddress::parse("1.2.3.4%2").has_value());
  EXPECT_FALSE(wire::IpAddress::parse("").has_value());
}

}  // namespace
