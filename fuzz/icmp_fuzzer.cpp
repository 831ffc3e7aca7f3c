// Fuzzes the family-independent ICMP view (icmp.hpp): byte 0 picks the
// family, the rest is one ICMP message.
#include <cstddef>
#include <cstdint>

#include "icmpkit/wire/icmp.hpp"
#include "touch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace icmpkit;
  using namespace icmpkit::wire;
  if (size == 0) return 0;
  const auto family = (data[0] & 1) != 0 ? Family::v6 : Family::v4;
  const ConstBytes message(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  auto view = parse_icmp(family, message);
  if (!view) return 0;
  fuzz::touch(view->body);
  fuzz::touch(view->bytes);
  fuzz::touch_value(view->rest_u32());
  fuzz::touch_value(kind_of(family, view->type));
  fuzz::touch(type_name(family, view->type));
  fuzz::touch_value(verify_icmpv4_checksum(message));
  fuzz::check_inside(view->body, message, "icmp body");
  if (auto echo = decode_echo(*view)) {
    fuzz::touch(echo->data);
    fuzz::check_inside(echo->data, message, "echo data");
  }
  if (auto body = split_error_body(*view)) {
    fuzz::check_inside(body->original_datagram, view->body, "original datagram");
    fuzz::check_inside(body->extensions, view->body, "extensions");
    fuzz::exercise_error_body(family, *body);
  }
  return 0;
}
