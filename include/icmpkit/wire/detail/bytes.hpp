// File: icmpkit/wire/detail/bytes.hpp
//
// Big-endian loads and stores on byte spans. Callers check bounds first;
// these helpers assert them in debug builds and never read past the span.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

namespace icmpkit::wire::detail {

inline std::uint8_t load_u8(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at < b.size());
  return static_cast<std::uint8_t>(b[at]);
}

inline std::uint16_t load_be16(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at + 2 <= b.size());
  return static_cast<std::uint16_t>((static_cast<unsigned>(b[at]) << 8) | static_cast<unsigned>(b[at + 1]));
}

inline std::uint32_t load_be32(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at + 4 <= b.size());
  return (static_cast<std::uint32_t>(b[at]) << 24) | (static_cast<std::uint32_t>(b[at + 1]) << 16) |
         (static_cast<std::uint32_t>(b[at + 2]) << 8) | static_cast<std::uint32_t>(b[at + 3]);
}

inline std::uint64_t load_be64(std::span<const std::byte> b, std::size_t at) noexcept {
  return (static_cast<std::uint64_t>(load_be32(b, at)) << 32) | load_be32(b, at + 4);
}

inline void store_u8(std::span<std::byte> b, std::size_t at, std::uint8_t v) noexcept {
  assert(at < b.size());
  b[at] = std::byte{v};
}

inline void store_be16(std::span<std::byte> b, std::size_t at, std::uint16_t v) noexcept {
  assert(at + 2 <= b.size());
  b[at] = std::byte(v >> 8);
  b[at + 1] = std::byte(v & 0xff);
}

inline void store_be32(std::span<std::byte> b, std::size_t at, std::uint32_t v) noexcept {
  assert(at + 4 <= b.size());
  b[at] = std::byte(v >> 24);
  b[at + 1] = std::byte((v >> 16) & 0xff);
  b[at + 2] = std::byte((v >> 8) & 0xff);
  b[at + 3] = std::byte(v & 0xff);
}

inline void store_be64(std::span<std::byte> b, std::size_t at, std::uint64_t v) noexcept {
  store_be32(b, at, static_cast<std::uint32_t>(v >> 32));
  store_be32(b, at + 4, static_cast<std::uint32_t>(v));
}

/// Copy a fixed-size array out of a span (bounds checked by caller).
template <std::size_t N>
std::array<std::byte, N> load_array(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at + N <= b.size());
  std::array<std::byte, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = b[at + i];
  return out;
}

}  // namespace icmpkit::wire::detail
