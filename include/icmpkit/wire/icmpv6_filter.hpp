// File: icmpkit/wire/icmpv6_filter.hpp
//
// The ICMPv6 type filter of raw ICMPv6 sockets (RFC 3542 §3.2) as pure data:
// one pass/block bit per type, converted to the struct icmp6_filter words each
// OS wants. Linux and the BSDs (macOS included) use the same layout (word
// type >> 5, bit 1 << (type & 31), host byte order) but opposite meanings:
// on Linux a set bit BLOCKS the type, on BSD a set bit PASSES it. No OS calls
// here: sys/linux and sys/bsd apply the words with setsockopt.
#pragma once

#include <array>
#include <cstdint>

namespace icmpkit::wire {

/// setsockopt numbers for the filter, as plain integers so every platform
/// layer can use them without the other OS's headers.
namespace icmpv6_filter_option {
/// Linux: setsockopt(fd, SOL_ICMPV6 (58), ICMPV6_FILTER (1), …); glibc spells
/// them IPPROTO_ICMPV6 and ICMP6_FILTER with the same values.
inline constexpr int linux_level = 58;
inline constexpr int linux_name = 1;
/// FreeBSD, NetBSD, OpenBSD, macOS: setsockopt(fd, IPPROTO_ICMPV6 (58), ICMP6_FILTER (18), …).
inline constexpr int bsd_level = 58;
inline constexpr int bsd_name = 18;
}  // namespace icmpv6_filter_option

/// Which of the 256 ICMPv6 types a raw socket delivers. Default: pass all
/// (what a new raw ICMPv6 socket does). Not thread-safe to mutate concurrently.
class Icmpv6Filter {
 public:
  Icmpv6Filter() noexcept = default;

  static Icmpv6Filter pass_all() noexcept;
  static Icmpv6Filter block_all() noexcept;

  void set_pass(std::uint8_t type) noexcept;
  void set_block(std::uint8_t type) noexcept;
  bool will_pass(std::uint8_t type) const noexcept;
  bool will_block(std::uint8_t type) const noexcept;

  /// struct icmp6_filter words as Linux wants them: bit set = BLOCK
  /// (option ICMPV6_FILTER = 1 at level SOL_ICMPV6 = 58).
  std::array<std::uint32_t, 8> linux_words() const noexcept;
  /// struct icmp6_filter words as BSD/macOS want them: bit set = PASS
  /// (option ICMP6_FILTER = 18 at level IPPROTO_ICMPV6 = 58).
  std::array<std::uint32_t, 8> bsd_words() const noexcept;
  static Icmpv6Filter from_linux_words(const std::array<std::uint32_t, 8>& words) noexcept;
  static Icmpv6Filter from_bsd_words(const std::array<std::uint32_t, 8>& words) noexcept;

  friend bool operator==(const Icmpv6Filter&, const Icmpv6Filter&) noexcept = default;

 private:
  /// Bit set = pass, in the shared word/bit layout.
  std::array<std::uint32_t, 8> pass_{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
                                     0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
};

}  // namespace icmpkit::wire
