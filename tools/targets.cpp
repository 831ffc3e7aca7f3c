#include "targets.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>

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

// A block or range of addresses, checked and within the limit.
struct Span {
  wire::Family family;
  Uint128 first, last;  // inclusive
};

void visit_span(const Span& span, const std::function<void(const wire::IpAddress&)>& visit) {
  for (Uint128 v = span.first;; ++v) {
    visit(from_integer(span.family, v));
    if (v == span.last) break;
  }
}

// The text form of generated addresses, for the functions that return strings.
TargetList list_spans(const std::vector<Span>& spans) {
  TargetList out;
  std::size_t count = 0;
  for (const auto& span : spans) count += static_cast<std::size_t>(span.last - span.first + 1);
  out.targets.reserve(count);
  for (const auto& span : spans) {
    visit_span(span, [&](const wire::IpAddress& address) { out.targets.push_back(address.to_string()); });
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

namespace {

// -g ADDRESS/LENGTH: the span, or the error.
std::optional<Span> cidr_span(std::string_view cidr, std::size_t limit, std::string& error) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    error = fmt::format("'{}' is not a CIDR block (ADDRESS/LENGTH)", cidr);
    return std::nullopt;
  }
  const auto address = parse_address(cidr.substr(0, slash), "-g", error);
  if (!address) return std::nullopt;
  const std::string_view length_text = cidr.substr(slash + 1);
  const unsigned bits = address->is_v4() ? 32 : 128;
  unsigned length = 0;
  if (length_text.empty() || length_text.size() > 3 ||
      length_text.find_first_not_of("0123456789") != std::string_view::npos) {
    error = fmt::format("'{}': prefix length '{}' is not a number", cidr, length_text);
    return std::nullopt;
  }
  for (char c : length_text) length = length * 10 + static_cast<unsigned>(c - '0');
  if (length > bits) {
    error = fmt::format("'{}': prefix length {} is longer than {} bits", cidr, length, bits);
    return std::nullopt;
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
    error = too_many(fmt::format("-g {}", cidr), count == 0 ? ~Uint128{0} : count, limit);
    return std::nullopt;
  }
  return Span{address->family(), first, last};
}

// -g START END: the span, or the error.
std::optional<Span> range_span(std::string_view first_text, std::string_view last_text, std::size_t limit,
                               std::string& error) {
  const auto first = parse_address(first_text, "-g start", error);
  if (!first) return std::nullopt;
  const auto last = parse_address(last_text, "-g end", error);
  if (!last) return std::nullopt;
  if (first->family() != last->family()) {
    error = fmt::format("-g {} {}: start and end are of different address families", first_text, last_text);
    return std::nullopt;
  }
  const Uint128 a = to_integer(*first);
  const Uint128 b = to_integer(*last);
  if (b < a) {
    error = fmt::format("-g {} {}: the end address is before the start address", first_text, last_text);
    return std::nullopt;
  }
  const Uint128 count = b - a + 1;
  if (count > limit || count == 0) {
    error = too_many(fmt::format("-g {} {}", first_text, last_text), count == 0 ? ~Uint128{0} : count, limit);
    return std::nullopt;
  }
  return Span{first->family(), a, b};
}

// Every span of -g's arguments, checked together against the limit.
std::vector<Span> generated_spans(const std::vector<std::string>& arguments, std::size_t limit, std::string& error) {
  std::vector<Span> spans;
  if (arguments.empty()) {
    error = "-g needs a CIDR block (ADDRESS/LENGTH) or a START and END address";
    return spans;
  }
  const bool any_cidr = arguments[0].find('/') != std::string::npos;
  if (arguments.size() == 2 && !any_cidr && arguments[1].find('/') == std::string::npos) {
    if (auto span = range_span(arguments[0], arguments[1], limit, error)) spans.push_back(*span);
    return spans;
  }
  std::size_t count = 0;
  for (const auto& argument : arguments) {
    if (argument.find('/') == std::string::npos) {
      error = fmt::format("-g takes one CIDR block, several CIDR blocks, or START END; '{}' is none of them",
                          argument);
      return {};
    }
    if (count >= limit) {
      error = fmt::format("-g: more than {} targets in all", limit);
      return {};
    }
    auto span = cidr_span(argument, limit - count, error);
    if (!span) return {};
    count += static_cast<std::size_t>(span->last - span->first + 1);
    spans.push_back(*span);
  }
  return spans;
}

}  // namespace

TargetList expand_cidr(std::string_view cidr, std::size_t limit) {
  TargetList out;
  if (auto span = cidr_span(cidr, limit, out.error)) return list_spans({*span});
  return out;
}

TargetList expand_range(std::string_view first_text, std::string_view last_text, std::size_t limit) {
  TargetList out;
  if (auto span = range_span(first_text, last_text, limit, out.error)) return list_spans({*span});
  return out;
}

TargetList generate_targets(const std::vector<std::string>& arguments, std::size_t limit) {
  TargetList out;
  auto spans = generated_spans(arguments, limit, out.error);
  if (!out.ok()) return out;
  return list_spans(spans);
}

std::string for_each_generated(const std::vector<std::string>& arguments, std::size_t limit,
                               const std::function<void(const wire::IpAddress&)>& visit) {
  std::string error;
  const auto spans = generated_spans(arguments, limit, error);
  if (!error.empty()) return error;
  for (const auto& span : spans) visit_span(span, visit);
  return error;
}

namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

// One line of a target list: its first word, unless the line is blank or a
// comment. By hand rather than find_first_of, which runs memchr over the set
// for every character: a list has a million lines.
void visit_line(std::string_view line, const std::function<void(std::string_view)>& visit) {
  std::size_t begin = 0;
  while (begin < line.size() && is_blank(line[begin])) ++begin;
  if (begin == line.size() || line[begin] == '#') return;
  std::size_t end = begin + 1;
  while (end < line.size() && !is_blank(line[end]) && line[end] != '#') ++end;
  visit(line.substr(begin, end - begin));
}

}  // namespace

std::string for_each_listed(std::istream& in, std::string_view source,
                            const std::function<void(std::string_view)>& visit) {
  // Blocks of 64 KiB split into lines in place, instead of std::getline's
  // copy of every line: the lines are the same ('\n' ends one, a last line
  // without it counts), and a line longer than the block grows the buffer.
  std::string buffer(std::size_t{1} << 16, '\0');
  std::size_t kept = 0;  // the start of a line whose end is not read yet
  for (;;) {
    if (kept == buffer.size()) buffer.resize(buffer.size() * 2);
    in.read(buffer.data() + kept, static_cast<std::streamsize>(buffer.size() - kept));
    const std::string_view data(buffer.data(), kept + static_cast<std::size_t>(in.gcount()));
    std::size_t start = 0;
    for (std::size_t newline; (newline = data.find('\n', start)) != std::string_view::npos; start = newline + 1) {
      visit_line(data.substr(start, newline - start), visit);
    }
    kept = data.size() - start;
    if (!in) {
      if (in.bad()) break;
      if (kept != 0) visit_line(data.substr(start), visit);
      return {};
    }
    std::memmove(buffer.data(), buffer.data() + start, kept);
  }
  return fmt::format("cannot read targets from {}", source);
}

TargetList read_targets(std::istream& in, std::string_view source) {
  TargetList out;
  out.error = for_each_listed(in, source, [&](std::string_view word) { out.targets.emplace_back(word); });
  if (!out.ok()) out.targets.clear();
  return out;
}

bool is_numeric_address(std::string_view text) {
  const auto percent = text.find('%');
  return static_cast<bool>(wire::IpAddress::parse(text.substr(0, percent)));
}

void TargetTable::add(const wire::IpAddress& address, std::string_view text) {
  Record record;
  if (address.is_v4()) {
    const auto bytes = address.v4();
    // Without a string per address: a table of a million would otherwise make
    // one for each to learn its width or compare it with the text it was given.
    char canonical[wire::ipv4_text_max_size];
    const std::string_view canonical_text(canonical, static_cast<std::size_t>(wire::write_ipv4_text(canonical, bytes) - canonical));
    if (!text.empty() && text != canonical_text) record.text = keep_text(text);
    width_ = std::max(width_, text.empty() ? canonical_text.size() : text.size());
    std::memcpy(&record.address, bytes.data(), sizeof record.address);
    record.kind = Kind::v4;
  } else {
    const std::string canonical = address.to_string();
    if (!text.empty() && text != canonical) record.text = keep_text(text);
    width_ = std::max(width_, text.empty() ? canonical.size() : text.size());
    if (v6_.size() >= no_text) throw std::length_error("too many IPv6 targets");
    record.address = static_cast<std::uint32_t>(v6_.size());
    v6_.push_back(address);
    record.kind = Kind::v6;
  }
  append(record);
}

void TargetTable::add_unresolved(std::string_view name, std::string error) {
  Record record;
  record.text = keep_text(name);
  width_ = std::max(width_, name.size());
  unresolved_.push_back({records_.size(), std::move(error)});
  append(record);
}

void TargetTable::append(const Record& record) {
  if (records_.size() >= no_text) throw std::length_error("more than 2^32 - 1 targets");
  records_.push_back(record);
}

std::uint32_t TargetTable::keep_text(std::string_view text) {
  // Offsets are 32-bit: 4 GiB of names is far beyond any target list.
  const std::size_t offset = arena_.size();
  if (offset + sizeof(std::uint32_t) + text.size() >= no_text) throw std::length_error("target names exceed 4 GiB");
  const auto length = static_cast<std::uint32_t>(text.size());
  arena_.append(reinterpret_cast<const char*>(&length), sizeof length);
  arena_.append(text);
  return static_cast<std::uint32_t>(offset);
}

wire::IpAddress TargetTable::address(std::size_t i) const noexcept {
  const Record& record = records_[i];
  if (record.kind == Kind::v6) return v6_[record.address];
  wire::Ipv4Address bytes{};
  std::memcpy(bytes.data(), &record.address, bytes.size());
  return wire::IpAddress(bytes);
}

std::string_view TargetTable::text(std::size_t i) const noexcept {
  const Record& record = records_[i];
  if (record.text == no_text) return {};
  std::uint32_t length = 0;
  std::memcpy(&length, arena_.data() + record.text, sizeof length);
  return std::string_view(arena_).substr(record.text + sizeof length, length);
}

std::string TargetTable::shown(std::size_t i) const {
  ShownBuffer buffer;
  return std::string(shown(i, buffer));
}

std::string_view TargetTable::shown(std::size_t i, ShownBuffer& buffer) const {
  const auto kept = text(i);
  if (!kept.empty() || !has_address(i)) return kept;
  const Record& record = records_[i];
  if (record.kind == Kind::v4) {
    wire::Ipv4Address bytes{};
    std::memcpy(bytes.data(), &record.address, bytes.size());
    return std::string_view(buffer.data(),
                            static_cast<std::size_t>(wire::write_ipv4_text(buffer.data(), bytes) - buffer.data()));
  }
  const std::string v6 = v6_[record.address].to_string();  // inet_ntop; at most 45 + 1 + 10 characters
  const std::size_t size = std::min(v6.size(), buffer.size());
  std::copy_n(v6.data(), size, buffer.data());
  return std::string_view(buffer.data(), size);
}

void TargetTable::clear() noexcept {
  records_.clear();
  v6_.clear();
  arena_.clear();
  arena_.shrink_to_fit();
  unresolved_.clear();
  width_ = 0;
}

}  // namespace icmpkit::tools
