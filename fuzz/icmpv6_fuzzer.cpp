// Fuzzes decode_icmpv6 (icmpv6.hpp) and touches every view of the decoded message.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "icmpkit/wire/icmpv6.hpp"
#include "touch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace icmpkit;
  using namespace icmpkit::wire;
  const ConstBytes message(reinterpret_cast<const std::byte*>(data), size);
  auto decoded = decode_icmpv6(message);
  if (!decoded) return 0;
  std::visit([](const auto& m) { fuzz::touch_message(Family::v6, m); }, *decoded);
  return 0;
}
