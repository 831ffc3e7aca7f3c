// File: icmpkit/wire/types.hpp
//
// Strong types for wire quantities (echo identifier, echo sequence, TTL) and
// RFC 1982 serial-number comparison for 16-bit sequences that wrap.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>

namespace icmpkit {

/// Bytes in: every decoder takes a view of the caller's buffer.
using ConstBytes = std::span<const std::byte>;
/// Bytes out: every encoder writes into a caller-provided buffer.
using MutableBytes = std::span<std::byte>;

namespace wire {

/// Raw address bytes in network order.
using Ipv4Address = std::array<std::byte, 4>;
using Ipv6Address = std::array<std::byte, 16>;

/// Which ICMP: ICMP for IPv4 (RFC 792) or ICMPv6 (RFC 4443).
enum class Family : std::uint8_t { v4, v6 };

/// A 16-bit strong integer; explicit in and out, no arithmetic by accident.
template <class Tag>
class Strong16 {
 public:
  constexpr Strong16() noexcept = default;
  constexpr explicit Strong16(std::uint16_t value) noexcept : value_(value) {}
  constexpr std::uint16_t value() const noexcept { return value_; }
  friend constexpr bool operator==(Strong16, Strong16) noexcept = default;

 private:
  std::uint16_t value_ = 0;
};

struct EchoIdTag {};
/// ICMP echo identifier. On Linux ping sockets the kernel owns it.
using EchoId = Strong16<EchoIdTag>;

/// ICMP echo sequence number: 16 bits that wrap, compared by RFC 1982.
class EchoSeq : public Strong16<struct EchoSeqTag> {
 public:
  using Strong16::Strong16;
  constexpr EchoSeq next() const noexcept { return EchoSeq(static_cast<std::uint16_t>(value() + 1)); }
};

/// RFC 1982 serial-number "a is before b" for 16-bit sequences. Undefined
/// (returns false both ways) when the two are exactly 2^15 apart.
constexpr bool serial_less(EchoSeq a, EchoSeq b) noexcept {
  const auto diff = static_cast<std::uint16_t>(b.value() - a.value());
  return diff != 0 && diff < 0x8000;
}

/// IPv4 time to live or IPv6 hop limit.
class Ttl {
 public:
  constexpr Ttl() noexcept = default;
  constexpr explicit Ttl(std::uint8_t value) noexcept : value_(value) {}
  constexpr std::uint8_t value() const noexcept { return value_; }
  friend constexpr auto operator<=>(Ttl, Ttl) noexcept = default;

 private:
  std::uint8_t value_ = 0;
};

}  // namespace wire
}  // namespace icmpkit
