// Loads the hex packet fixtures under tests/data (one packet per file, '#'
// comment lines saying how it was made, then whitespace-separated hex bytes)
// and peels captured Ethernet frames down to the layer a test needs.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "icmpkit/wire/ethernet.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"

namespace icmpkit::test {

inline std::vector<std::byte> load_hex_fixture(const std::string& relative) {
  const std::string path = std::string(ICMPKIT_TEST_DATA_DIR) + "/" + relative;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<std::byte> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) out.push_back(static_cast<std::byte>(std::stoul(word, nullptr, 16)));
  }
  EXPECT_FALSE(out.empty()) << path << " holds no bytes";
  return out;
}

/// The IP packet inside a captured Ethernet frame.
inline ConstBytes ip_of_frame(ConstBytes frame) {
  auto eth = wire::parse_ethernet(frame);
  EXPECT_TRUE(eth.has_value());
  return eth ? eth->payload : ConstBytes{};
}

/// The ICMP message inside a captured Ethernet frame (IPv4 or IPv6, no extension headers).
inline ConstBytes icmp_of_frame(ConstBytes frame) {
  const ConstBytes ip = ip_of_frame(frame);
  if (!ip.empty() && (static_cast<unsigned>(ip[0]) >> 4) == 4) {
    auto v4 = wire::parse_ipv4(ip);
    EXPECT_TRUE(v4.has_value());
    return v4 ? v4->payload : ConstBytes{};
  }
  auto v6 = wire::parse_ipv6(ip);
  EXPECT_TRUE(v6.has_value());
  return v6 ? v6->payload : ConstBytes{};
}

inline std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

}  // namespace icmpkit::test
