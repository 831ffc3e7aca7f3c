// Fuzzes decode_icmpv4 (icmpv4.hpp) with and without checksum verification,
// touches every view of the decoded message, and re-encodes it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "icmpkit/wire/icmpv4.hpp"
#include "touch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace icmpkit;
  using namespace icmpkit::wire;
  const ConstBytes message(reinterpret_cast<const std::byte*>(data), size);
  for (const bool verify : {false, true}) {
    DecodeOptions options;
    options.verify_checksum = verify;
    auto decoded = decode_icmpv4(message, options);
    if (!decoded) continue;
    std::visit([](const auto& m) { fuzz::touch_message(Family::v4, m); }, *decoded);
    fuzz::touch_value(icmpv4_type_of(*decoded));
    // Re-encoding reads every field and view of the message.
    static std::array<std::byte, 70000> out;
    (void)encode_icmpv4(*decoded, out);
  }
  return 0;
}
