#include "icmpkit/wire/checksum.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using icmpkit::wire::internet_checksum;

// The plain RFC 1071 §4.1 loop: big-endian 16-bit words, odd byte padded.
std::uint16_t reference_checksum(const std::vector<std::byte>& data) {
  std::uint64_t sum = 0;  // 64 bits: a megabyte of 0xff words overflows 32
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += (static_cast<std::uint64_t>(data[i]) << 8) | static_cast<std::uint64_t>(data[i + 1]);
  }
  if (i < data.size()) sum += static_cast<std::uint64_t>(data[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(Checksum, Rfc1071WorkedExample) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (complement 220d).
  const auto data = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(internet_checksum(data), 0x220d);
}

TEST(Checksum, MatchesReferenceOnRandomDataOfEveryLengthUpTo2000) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t length = 0; length <= 2000; ++length) {
    std::vector<std::byte> data(length);
    for (auto& b : data) b = static_cast<std::byte>(byte(rng));
    ASSERT_EQ(internet_checksum(data), reference_checksum(data)) << "length " << length;
  }
}

TEST(Checksum, MatchesReferenceOnUnalignedViews) {
  std::mt19937 rng(7);
  std::vector<std::byte> data(4099);
  for (auto& b : data) b = static_cast<std::byte>(rng() & 0xff);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    std::vector<std::byte> copy(data.begin() + offset, data.end());
    EXPECT_EQ(internet_checksum(std::span<const std::byte>(data).subspan(offset)), reference_checksum(copy));
  }
}

TEST(Checksum, AllOnesDataDoesNotOverflowAccumulator) {
  std::vector<std::byte> data(1 << 20, std::byte{0xff});
  EXPECT_EQ(internet_checksum(data), reference_checksum(data));
}

TEST(Checksum, BufferWithItsChecksumSumsToZero) {
  auto data = bytes({0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 0x61});
  const auto sum = internet_checksum(data);
  data[2] = static_cast<std::byte>(sum >> 8);
  data[3] = static_cast<std::byte>(sum & 0xff);
  EXPECT_EQ(internet_checksum(data), 0);
}

}  // namespace
