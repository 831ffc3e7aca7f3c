// Fuzzes the RFC 4884 extension parser, its typed object decoders and the
// RFC 4884 §5 compatibility search, and rebuilds every parsed structure.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "icmpkit/wire/extensions.hpp"
#include "touch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace icmpkit;
  using namespace icmpkit::wire;
  const ConstBytes bytes(reinterpret_cast<const std::byte*>(data), size);
  if (auto s = parse_extensions(bytes)) {
    fuzz::exercise_extensions(*s);
    // Rebuilding object by object gives the same bytes (and checksum when there was one).
    std::array<std::byte, 4096> out{};
    if (bytes.size() <= out.size()) {
      ExtensionBuilder builder(out);
      for (const auto& object : *s) builder.add_object(object.class_num, object.c_type, object.payload);
      auto n = builder.finish(s->checksum != 0);
      fuzz::require(n.has_value() && *n == bytes.size(), "extension rebuild length");
      // The reserved 12 bits are not encodable; compare the rest.
      fuzz::require(std::equal(out.begin() + 4, out.begin() + static_cast<std::ptrdiff_t>(*n), bytes.begin() + 4),
                    "extension rebuild objects");
    }
  }
  if (auto compat = parse_extensions_compat(bytes)) fuzz::exercise_extensions(*compat);
  return 0;
}
