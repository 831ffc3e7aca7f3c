#include "icmpkit/wire/checksum.hpp"

#include <cstring>

namespace icmpkit::wire {
namespace {

std::uint16_t fold(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint16_t byte_swap16(std::uint16_t v) noexcept { return static_cast<std::uint16_t>((v << 8) | (v >> 8)); }

}  // namespace

// Sums 8 bytes at a time into a 64-bit accumulator in host order and fixes the
// byte order once at the end: one's-complement addition is byte-order
// independent (RFC 1071 §2(B)), so this gives the same result as summing
// big-endian 16-bit words one by one, several times faster on large buffers.
std::uint16_t ones_complement_sum(ConstBytes data, std::uint32_t initial) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  std::uint64_t acc = 0;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    acc += word >> 32;
    acc += word & 0xffffffffu;
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    std::uint16_t half;
    std::memcpy(&half, p, 2);
    acc += half;
    p += 2;
    n -= 2;
  }
  std::uint16_t native = fold(acc);
  // Convert the native-order sum to a big-endian word sum.
  std::uint16_t big = native;
  {
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    if (first == 1) big = byte_swap16(native);  // little-endian host
  }
  std::uint64_t total = static_cast<std::uint64_t>(big) + initial;
  if (n == 1) total += static_cast<std::uint64_t>(static_cast<std::uint8_t>(*p)) << 8;
  return fold(total);
}

std::uint16_t internet_checksum(ConstBytes data, std::uint32_t initial) noexcept {
  return static_cast<std::uint16_t>(~ones_complement_sum(data, initial));
}

std::uint32_t ipv6_pseudo_header_sum(const Ipv6Address& source, const Ipv6Address& destination,
                                     std::uint32_t upper_length, std::uint8_t next_header) noexcept {
  std::uint32_t sum = ones_complement_sum(source);
  sum = ones_complement_sum(destination, sum);
  sum += upper_length >> 16;
  sum += upper_length & 0xffff;
  sum += next_header;
  return fold(sum);
}

std::uint32_t ipv4_pseudo_header_sum(const Ipv4Address& source, const Ipv4Address& destination,
                                     std::uint16_t upper_length, std::uint8_t protocol) noexcept {
  std::uint32_t sum = ones_complement_sum(source);
  sum = ones_complement_sum(destination, sum);
  sum += upper_length;
  sum += protocol;
  return fold(sum);
}

}  // namespace icmpkit::wire
