// Big-endian loads and stores (wire/detail/bytes.hpp): network byte order
// whatever the machine's, at any offset, touching nothing outside their
// bytes. They copy whole words and swap, so the order is checked byte by byte.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire::detail {
namespace {

std::array<std::byte, 12> filled(std::uint8_t value) {
  std::array<std::byte, 12> b;
  b.fill(std::byte{value});
  return b;
}

TEST(BigEndianBytes, StoresPutTheMostSignificantByteFirst) {
  auto b = filled(0xee);
  store_be16(b, 1, 0x0102);
  store_be32(b, 3, 0x03040506u);
  EXPECT_EQ(b[0], std::byte{0xee});
  EXPECT_EQ(b[1], std::byte{0x01});
  EXPECT_EQ(b[2], std::byte{0x02});
  EXPECT_EQ(b[3], std::byte{0x03});
  EXPECT_EQ(b[6], std::byte{0x06});
  EXPECT_EQ(b[7], std::byte{0xee}) << "a store wrote past its bytes";

  auto c = filled(0xee);
  store_be64(c, 3, 0x1122334455667788ull);  // an odd offset
  const std::uint8_t want[] = {0xee, 0xee, 0xee, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xee};
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i], std::byte{want[i]}) << "byte " << i;
}

TEST(BigEndianBytes, LoadsReadNetworkOrderAtAnyOffset) {
  const std::array<std::byte, 9> b{std::byte{0x00}, std::byte{0x81}, std::byte{0x82}, std::byte{0x83},
                                   std::byte{0x84}, std::byte{0x85}, std::byte{0x86}, std::byte{0x87},
                                   std::byte{0x88}};
  EXPECT_EQ(load_be16(b, 1), 0x8182);
  EXPECT_EQ(load_be32(b, 1), 0x81828384u);
  EXPECT_EQ(load_be64(b, 1), 0x8182838485868788ull);
  EXPECT_EQ(load_be16(b, 7), 0x8788);
}

TEST(BigEndianBytes, StoreThenLoadGivesTheValueBack) {
  auto b = filled(0);
  for (std::uint64_t v : {0ull, 1ull, 0xffffffffffffffffull, 0x0123456789abcdefull, 0x8000000000000001ull}) {
    store_be64(b, 2, v);
    EXPECT_EQ(load_be64(b, 2), v);
    store_be32(b, 5, static_cast<std::uint32_t>(v));
    EXPECT_EQ(load_be32(b, 5), static_cast<std::uint32_t>(v));
    store_be16(b, 9, static_cast<std::uint16_t>(v));
    EXPECT_EQ(load_be16(b, 9), static_cast<std::uint16_t>(v));
  }
}

}  // namespace
}  // namespace icmpkit::wire::detail
