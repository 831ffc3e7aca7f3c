// File: icmpkit/wire/detail/bytes.hpp
//
// Big-endian loads and stores on byte spans. Callers check bounds first;
// these helpers assert them in debug builds and never read past the span.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace icmpkit::wire::detail {

inline std::uint8_t load_u8(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at < b.size());
  return static_cast<std::uint8_t>(b[at]);
}

// The multi-byte forms copy the bytes whole and swap them on a little-endian
// machine: GCC does not merge byte-by-byte stores, and the engine writes a
// header per probe (the byte-wise store_be64 cost about 96 instructions).
template <class T>
inline T to_big_endian(T v) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(v));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(v));
  } else {
    return static_cast<T>(__builtin_bswap64(v));
  }
}

template <class T>
inline T load_be(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at + sizeof(T) <= b.size());
  T v;
  std::memcpy(&v, b.data() + at, sizeof v);
  return to_big_endian(v);  // the same swap turns big-endian into native
}

template <class T>
inline void store_be(std::span<std::byte> b, std::size_t at, T v) noexcept {
  assert(at + sizeof(T) <= b.size());
  v = to_big_endian(v);
  std::memcpy(b.data() + at, &v, sizeof v);
}

inline std::uint16_t load_be16(std::span<const std::byte> b, std::size_t at) noexcept {
  return load_be<std::uint16_t>(b, at);
}
inline std::uint32_t load_be32(std::span<const std::byte> b, std::size_t at) noexcept {
  return load_be<std::uint32_t>(b, at);
}
inline std::uint64_t load_be64(std::span<const std::byte> b, std::size_t at) noexcept {
  return load_be<std::uint64_t>(b, at);
}

inline void store_u8(std::span<std::byte> b, std::size_t at, std::uint8_t v) noexcept {
  assert(at < b.size());
  b[at] = std::byte{v};
}

inline void store_be16(std::span<std::byte> b, std::size_t at, std::uint16_t v) noexcept { store_be(b, at, v); }
inline void store_be32(std::span<std::byte> b, std::size_t at, std::uint32_t v) noexcept { store_be(b, at, v); }
inline void store_be64(std::span<std::byte> b, std::size_t at, std::uint64_t v) noexcept { store_be(b, at, v); }

/// Copy a fixed-size array out of a span (bounds checked by caller).
template <std::size_t N>
std::array<std::byte, N> load_array(std::span<const std::byte> b, std::size_t at) noexcept {
  assert(at + N <= b.size());
  std::array<std::byte, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = b[at + i];
  return out;
}

}  // namespace icmpkit::wire::detail
