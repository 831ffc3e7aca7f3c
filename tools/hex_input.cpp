#include "hex_input.hpp"

#include <fmt/format.h>

namespace icmpkit::tools {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-' || c == ',' ||
         c == '.';
}

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

}  // namespace

HexParse parse_hex(std::string_view text) {
  HexParse out;
  std::size_t digits = 0;
  int high = -1;
  bool group_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      group_start = true;
      continue;
    }
    if (is_separator(c)) {
      group_start = true;
      continue;
    }
    // "0x" only counts as a prefix at the start of a group, so "0x45" is one
    // byte while the digits "0" "x" inside a group are still an error.
    if (group_start && c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      group_start = false;
      continue;
    }
    group_start = false;
    const int value = hex_value(c);
    if (value < 0) {
      out.error = fmt::format("invalid hex character {} at offset {}", printable(c), i);
      out.bytes.clear();
      return out;
    }
    ++digits;
    if (high < 0) {
      high = value;
    } else {
      out.bytes.push_back(static_cast<std::byte>(high << 4 | value));
      high = -1;
    }
  }
  if (digits == 0) {
    out.error = "no hex digits given";
  } else if (high >= 0) {
    out.error = fmt::format("odd number of hex digits ({}): the last byte is incomplete", digits);
    out.bytes.clear();
  }
  return out;
}

std::string to_hex(const std::byte* data, std::size_t size, std::string_view separator) {
  std::string out;
  out.reserve(size * (2 + separator.size()));
  for (std::size_t i = 0; i < size; ++i) {
    if (i != 0) out += separator;
    out += fmt::format("{:02x}", static_cast<unsigned>(data[i]));
  }
  return out;
}

}  // namespace icmpkit::tools
