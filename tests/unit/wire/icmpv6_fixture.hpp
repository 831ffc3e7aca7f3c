// Loads the one-packet ICMPv6 fixtures of tests/data/icmpv6 (captured in a
// namespace lab by make_fixtures.sh): comment lines, "src"/"dst" addresses,
// then the ICMPv6 message as hex.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit_test {

struct Icmpv6Fixture {
  std::string name;
  icmpkit::wire::Ipv6Address source{};
  icmpkit::wire::Ipv6Address destination{};
  std::vector<std::byte> bytes;
};

inline std::filesystem::path icmpv6_fixture_dir() { return std::filesystem::path(ICMPKIT_TEST_DATA_DIR) / "icmpv6"; }

inline icmpkit::wire::Ipv6Address parse_v6(const std::string& text) {
  auto address = icmpkit::wire::IpAddress::parse(text);
  EXPECT_TRUE(address && address->is_v6()) << text;
  return address ? address->v6() : icmpkit::wire::Ipv6Address{};
}

inline Icmpv6Fixture load_icmpv6_fixture(const std::string& name) {
  Icmpv6Fixture fixture;
  fixture.name = name;
  std::ifstream in(icmpv6_fixture_dir() / (name + ".hex"));
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::string line;
  std::string hex;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("src ", 0) == 0) {
      fixture.source = parse_v6(line.substr(4));
    } else if (line.rfind("dst ", 0) == 0) {
      fixture.destination = parse_v6(line.substr(4));
    } else {
      for (char c : line) {
        if (c != ' ') hex.push_back(c);
      }
    }
  }
  EXPECT_EQ(hex.size() % 2, 0u) << name;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    fixture.bytes.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return fixture;
}

/// Every fixture name in the directory.
inline std::vector<std::string> all_icmpv6_fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(icmpv6_fixture_dir())) {
    if (entry.path().extension() == ".hex") names.push_back(entry.path().stem().string());
  }
  return names;
}

inline std::vector<std::byte> from_hex(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ' ') hex.push_back(c);
  }
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

/// The fixture with its checksum field zeroed, as our builders emit it.
inline std::vector<std::byte> without_checksum(std::vector<std::byte> bytes) {
  if (bytes.size() >= 4) bytes[2] = bytes[3] = std::byte{0};
  return bytes;
}

}  // namespace icmpkit_test
