#include "targets.hpp"

#include <array>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {
namespace {

// Addresses as 128-bit integers (IPv4 in the low 32 bits) so that one loop
// serves both families. __extension__ keeps -Wpedantic quiet about __int128.
__extension__ typedef unsigned __int128 Uint128;

Uint128 to_integer(const wire::IpAddress& address) {
  Uint128 value = 0;
  for (std::byte b : address.bytes()) value = (value << 8) | static_cast<std::uint8_t>(b);
  return value;
}

wire::IpAddress from_integer(wire::Family family, Uint128 value) {
  if (family == wire::Family::v4) {
    wire::Ipv4Address bytes{};
    for (std::size_t i = bytes.size(); i-- > 0;) {
      bytes[i] = static_cast<std::byte>(static_cast<std::uint8_t>(value & 0xff));
      value >>= 8;
    }
    return wire::IpAddress(bytes);
  }
  wire::Ipv6Address bytes{};
  for (std::size_t i = bytes.size(); i-- > 0;) {
    bytes[i] = static_cast<std::byte>(static_cast<std::uint8_t>(value & 0xff));
    value >>= 8;
  }
  return wire::IpAddress(bytes);
}

std::optional<wire::IpAddress> parse_address(std::string_view text, std::string_view what, std::string& error) {
  auto parsed = wire::IpAddress::parse(text);
  if (!parsed) {
    error = fmt::format("{} '{}' is not an IPv4 or IPv6 address", what, text);
    return std::nullopt;
  }
  if (parsed->scope_id() != 0) {
    error = fmt::format("{} '{}': a generated list takes no %scope", what, text);
    return std::nullopt;
  }
  return *parsed;
}

// Lists [first, last] (inclusive); the caller has checked the count.
TargetList list_span(wire::Family family, Uint128 first, Uint128 last) {
  TargetList out;
  out.targets.reserve(static_cast<std::size_t>(last - first + 1));
  for (Uint128 v = first;; ++v) {
    out.targets.push_back(from_integer(family, v).to_string());
    if (v == last) break;
  }
  return out;
}

std::string too_many(std::string_view what, Uint128 count, std::size_t limit) {
  // count may exceed 64 bits (an IPv6 /0): say "more than" instead of printing it.
  if (count > static_cast<Uint128>(UINT64_MAX)) {
    return fmt::format("{} covers more than {} addresses; at most {} can be generated", what, UINT64_MAX, limit);
  }
  return fmt::format("{} covers {} addresses; at most {} can be generated", what, static_cast<std::uint64_t>(count),
                     limit);
}

}  // namespace

TargetList expand_cidr(std::string_view cidr, std::size_t limit) {
  TargetList out;
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    out.error = fmt::format("'{}' is not a CIDR block (ADDRESS/LENGTH)", cidr);
    return out;
  }
  const auto address = parse_address(cidr.substr(0, slash), "-g", out.error);
  if (!address) return out;
  const std::string_view length_text = cidr.substr(slash + 1);
  const unsigned bits = address->is_v4() ? 32 : 128;
  unsigned length = 0;
  if (length_text.empty() || length_text.size() > 3 ||
      length_text.find_first_not_of("0123456789") != std::string_view::npos) {
    out.error = fmt::format("'{}': prefix length '{}' is not a number", cidr, length_text);
    return out;
  }
  for (char c : length_text) length = length * 10 + static_cast<unsigned>(c - '0');
  if (length > bits) {
    out.error = fmt::format("'{}': prefix length {} is longer than {} bits", cidr, length, bits);
    return out;
  }
  const unsigned host_bits = bits - length;
  const Uint128 host_mask = host_bits == 128 ? ~Uint128{0} : (Uint128{1} << host_bits) - 1;
  const Uint128 network = to_integer(*address) & ~host_mask;
  Uint128 first = network;
  Uint128 last = network | host_mask;
  if (address->is_v4() && length < 31) {
    ++first;  // network address
    --last;   // broadcast address
  }
  const Uint128 count = last - first + 1;  // wraps to 0 only for ::/0
  if (count > limit || (count == 0 && host_bits == 128)) {
    out.error = too_many(fmt::format("-g {}", cidr), count == 0 ? ~Uint128{0} : count, limit);
    return out;
  }
  return list_span(address->family(), first, last);
}

TargetList expand_range(std::string_view first_text, std::string_view last_text, std::size_t limit) {
  TargetList out;
  const auto first = parse_address(first_text, "-g start", out.error);
  if (!first) return out;
  const auto last = parse_address(last_text, "-g end", out.error);
  if (!last) return out;
  if (first->family() != last->family()) {
    out.error = fmt::format("-g {} {}: start and end are of different address families", first_text, last_text);
    return out;
  }
  const Uint128 a = to_integer(*first);
  const Uint128 b = to_integer(*last);
  if (b < a) {
    out.error = fmt::format("-g {} {}: the end address is before the start address", first_text, last_text);
    return out;
  }
  const Uint128 count = b - a + 1;
  if (count > limit || count == 0) {
    out.error = too_many(fmt::format("-g {} {}", first_text, last_text), count == 0 ? ~Uint128{0} : count, limit);
    return out;
  }
  return list_span(first->family(), a, b);
}

TargetList generate_targets(const std::vector<std::string>& arguments, std::size_t limit) {
  TargetList out;
  if (arguments.empty()) {
    out.error = "-g needs a CIDR block (ADDRESS/LENGTH) or a START and END address";
    return out;
  }
  const bool any_cidr = arguments[0].find('/') != std::string::npos;
  if (arguments.size() == 2 && !any_cidr && arguments[1].find('/') == std::string::npos) {
    return expand_range(arguments[0], arguments[1], limit);
  }
  for (const auto& argument : arguments) {
    if (argument.find('/') == std::string::npos) {
      out.error = fmt::format("-g takes one CIDR block, several CIDR blocks, or START END; '{}' is none of them",
                              argument);
      out.targets.clear();
      return out;
    }
    if (out.targets.size() >= limit) {
      out.error = fmt::format("-g: more than {} targets in all", limit);
      out.targets.clear();
      return out;
    }
    auto part = expand_cidr(argument, limit - out.targets.size());
    if (!part.ok()) {
      out.targets.clear();
      out.error = std::move(part.error);
      return out;
    }
    out.targets.insert(out.targets.end(), std::make_move_iterator(part.targets.begin()),
                       std::make_move_iterator(part.targets.end()));
  }
  return out;
}

TargetList read_targets(std::istream& in, std::string_view source) {
  TargetList out;
  std::string line;
  while (std::getline(in, line)) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    auto end = line.find_first_of(" \t\r#", begin);
    if (end == std::string::npos) end = line.size();
    out.targets.push_back(line.substr(begin, end - begin));
  }
  if (in.bad()) {
    out.error = fmt::format("cannot read targets from {}", source);
    out.targets.clear();
  }
  return out;
}

bool is_numeric_address(std::string_view text) {
  const auto percent = text.find('%');
  return static_cast<bool>(wire::IpAddress::parse(text.substr(0, percent)));
}

}  // namespace icmpkit::tools
