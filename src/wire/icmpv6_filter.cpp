#include "icmpkit/wire/icmpv6_filter.hpp"

namespace icmpkit::wire {

namespace {
constexpr std::uint32_t bit(std::uint8_t type) noexcept { return 1u << (type & 31u); }
}  // namespace

Icmpv6Filter Icmpv6Filter::pass_all() noexcept { return Icmpv6Filter{}; }

Icmpv6Filter Icmpv6Filter::block_all() noexcept {
  Icmpv6Filter filter;
  filter.pass_.fill(0);
  return filter;
}

void Icmpv6Filter::set_pass(std::uint8_t type) noexcept { pass_[type >> 5] |= bit(type); }
void Icmpv6Filter::set_block(std::uint8_t type) noexcept { pass_[type >> 5] &= ~bit(type); }
bool Icmpv6Filter::will_pass(std::uint8_t type) const noexcept { return (pass_[type >> 5] & bit(type)) != 0; }
bool Icmpv6Filter::will_block(std::uint8_t type) const noexcept { return !will_pass(type); }

std::array<std::uint32_t, 8> Icmpv6Filter::linux_words() const noexcept {
  std::array<std::uint32_t, 8> words{};
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = ~pass_[i];
  return words;
}

std::array<std::uint32_t, 8> Icmpv6Filter::bsd_words() const noexcept { return pass_; }

Icmpv6Filter Icmpv6Filter::from_linux_words(const std::array<std::uint32_t, 8>& words) noexcept {
  Icmpv6Filter filter;
  for (std::size_t i = 0; i < words.size(); ++i) filter.pass_[i] = ~words[i];
  return filter;
}

Icmpv6Filter Icmpv6Filter::from_bsd_words(const std::array<std::uint32_t, 8>& words) noexcept {
  Icmpv6Filter filter;
  filter.pass_ = words;
  return filter;
}

}  // namespace icmpkit::wire
