// File: icmpkit/wire/address.hpp
//
// IpAddress: an IPv4 or IPv6 address (with IPv6 scope id) as plain bytes, the
// address type of every layer below net/ (net/ converts to asio::ip::address).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

class IpAddress {
 public:
  /// 0.0.0.0
  IpAddress() noexcept = default;
  explicit IpAddress(const Ipv4Address& v4) noexcept;
  explicit IpAddress(const Ipv6Address& v6, std::uint32_t scope_id = 0) noexcept;

  /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text, with optional "%scope"
  /// (numeric, or an interface name resolved by the caller beforehand).
  /// Errors: errc::invalid_argument.
  static Result<IpAddress> parse(std::string_view text) noexcept;

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::v4; }
  bool is_v6() const noexcept { return family_ == Family::v6; }

  /// The address bytes (4 or 16 of them).
  ConstBytes bytes() const noexcept { return ConstBytes(bytes_).first(is_v4() ? 4 : 16); }
  Ipv4Address v4() const noexcept;  ///< First 4 bytes; meaningful when is_v4().
  Ipv6Address v6() const noexcept;  ///< All 16 bytes; meaningful when is_v6().
  std::uint32_t scope_id() const noexcept { return scope_id_; }

  bool is_unspecified() const noexcept;
  bool is_loopback() const noexcept;

  std::string to_string() const;

  // By hand: the defaulted form compares the std::array<std::byte, 16> byte
  // by byte (libstdc++ uses memcmp only for integer elements), and every
  // reply is matched with one. The same fields, the same answer.
  friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    return a.family_ == b.family_ && a.scope_id_ == b.scope_id_ &&
           std::memcmp(a.bytes_.data(), b.bytes_.data(), a.bytes_.size()) == 0;
  }

 private:
  Family family_ = Family::v4;
  std::array<std::byte, 16> bytes_{};
  std::uint32_t scope_id_ = 0;
};

/// Hash for unordered containers keyed by address.
struct IpAddressHash {
  std::size_t operator()(const IpAddress& address) const noexcept;
};

/// Longest IPv4 dotted quad: "255.255.255.255".
inline constexpr std::size_t ipv4_text_max_size = 15;

/// Writes the dotted quad of `address` (as IpAddress::to_string) to `out`,
/// which has room for ipv4_text_max_size characters; returns the end. For
/// callers that format many addresses without a string each.
char* write_ipv4_text(char* out, const Ipv4Address& address) noexcept;

}  // namespace icmpkit::wire
