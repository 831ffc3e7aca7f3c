// Fuzzes decode_quoted: byte 0 picks the family (even: IPv4, odd: IPv6), the
// rest is the original-datagram field of an ICMP error.
#include <cstddef>
#include <cstdint>

#include "icmpkit/wire/quoted.hpp"
#include "touch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace icmpkit;
  if (size == 0) return 0;
  const auto family = (data[0] & 1) != 0 ? wire::Family::v6 : wire::Family::v4;
  const ConstBytes quote(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  wire::ErrorBody body;
  body.original_datagram = quote;
  fuzz::exercise_error_body(family, body);
  if (auto q = wire::decode_quoted(family, quote)) {
    const std::size_t min_header = family == wire::Family::v4 ? 20 : 40;
    fuzz::require(q->ip_header.size() >= min_header, "quoted ip header size");
    fuzz::require(q->ip_header.data() == quote.data(), "quoted ip header starts the quote");
    fuzz::require(q->ip_header.size() + q->upper_layer.size() <= quote.size(), "quoted sizes add up");
    if (!std::holds_alternative<wire::QuotedOther>(q->probe)) fuzz::require(q->upper_layer.size() >= 8, "typed probe needs 8 bytes");
    fuzz::touch_value(q->probe);
  }
  return 0;
}
