// Type names for both families. Names follow the IANA registries, lower-case
// and hyphenated, so they are easy to type on the command line.
#include <charconv>

#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::wire {
namespace {

struct TypeName {
  std::uint8_t type;
  std::string_view name;
};

constexpr TypeName icmpv4_names[] = {
    {0, "echo-reply"},
    {3, "destination-unreachable"},
    {4, "source-quench"},
    {5, "redirect"},
    {8, "echo-request"},
    {9, "router-advertisement"},
    {10, "router-solicitation"},
    {11, "time-exceeded"},
    {12, "parameter-problem"},
    {13, "timestamp-request"},
    {14, "timestamp-reply"},
    {15, "information-request"},
    {16, "information-reply"},
    {17, "address-mask-request"},
    {18, "address-mask-reply"},
    {42, "extended-echo-request"},
    {43, "extended-echo-reply"},
};

constexpr TypeName icmpv6_names[] = {
    {1, "destination-unreachable"},
    {2, "packet-too-big"},
    {3, "time-exceeded"},
    {4, "parameter-problem"},
    {128, "echo-request"},
    {129, "echo-reply"},
    {130, "mld-query"},
    {131, "mld-report"},
    {132, "mld-done"},
    {133, "router-solicitation"},
    {134, "router-advertisement"},
    {135, "neighbor-solicitation"},
    {136, "neighbor-advertisement"},
    {137, "redirect"},
    {139, "node-information-query"},
    {140, "node-information-reply"},
    {143, "mldv2-report"},
    {160, "extended-echo-request"},
    {161, "extended-echo-reply"},
};

std::span<const TypeName> table(Family family) noexcept {
  if (family == Family::v4) return icmpv4_names;
  return icmpv6_names;
}

}  // namespace

std::string_view type_name(Family family, std::uint8_t type) noexcept {
  for (const auto& entry : table(family)) {
    if (entry.type == type) return entry.name;
  }
  return {};
}

std::optional<std::uint8_t> type_from_name(Family family, std::string_view name) noexcept {
  for (const auto& entry : table(family)) {
    if (entry.name == name) return entry.type;
  }
  unsigned value = 0;
  const auto* end = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(name.data(), end, value);
  if (ec == std::errc{} && ptr == end && !name.empty() && value <= 255) return static_cast<std::uint8_t>(value);
  return std::nullopt;
}

}  // namespace icmpkit::wire
