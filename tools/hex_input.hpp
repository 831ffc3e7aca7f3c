// Hex text typed on the command line or piped in (`icmpkit decode`, `send
// --hex`, `--rest`): digits with optional separators, as tcpdump -x, Wireshark
// "copy as hex" and our tests/data/*.hex fixtures print them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace icmpkit::tools {

/// Bytes parsed from hex text, or a message naming what was wrong.
struct HexParse {
  std::vector<std::byte> bytes;
  std::string error;  ///< Empty on success.
  bool ok() const noexcept { return error.empty(); }
};

/// Parses hex digits. Whitespace, ':', '-', ',' and '.' separate; "0x" may
/// prefix a group; '#' starts a comment that runs to the end of the line.
/// Errors (in HexParse::error): a non-hex character (with its offset), an odd
/// number of digits, no digits at all.
HexParse parse_hex(std::string_view text);

/// Lower-case hex of `bytes`, `separator` between bytes ("" for none).
std::string to_hex(const std::byte* data, std::size_t size, std::string_view separator = "");

}  // namespace icmpkit::tools
