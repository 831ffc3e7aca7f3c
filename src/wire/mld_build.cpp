// MLD builders (RFC 2710 §3, RFC 3810 §5). Checksums stay zero.
#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/mld.hpp"

namespace icmpkit::wire {

using detail::store_be16;
using detail::store_u8;

namespace {

void put_address(MutableBytes out, std::size_t at, const Ipv6Address& address) noexcept {
  std::copy(address.begin(), address.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
}

}  // namespace

std::uint16_t mldv2_max_response_code(std::chrono::milliseconds delay) noexcept {
  const auto ms = delay.count();
  if (ms <= 0) return 0;
  if (ms < 0x8000) return static_cast<std::uint16_t>(ms);
  for (unsigned exp = 0; exp < 8; ++exp) {
    const auto mant = static_cast<std::uint64_t>(ms) >> (exp + 3);
    if (mant < 0x2000) return static_cast<std::uint16_t>(0x8000u | (exp << 12) | (mant & 0x0fffu));
  }
  return 0xffff;  // largest representable delay
}

std::uint8_t mldv2_qqic(std::chrono::seconds interval) noexcept {
  const auto s = interval.count();
  if (s <= 0) return 0;
  if (s < 0x80) return static_cast<std::uint8_t>(s);
  for (unsigned exp = 0; exp < 8; ++exp) {
    const auto mant = static_cast<std::uint64_t>(s) >> (exp + 3);
    if (mant < 0x20) return static_cast<std::uint8_t>(0x80u | (exp << 4) | (mant & 0x0fu));
  }
  return 0xff;
}

Result<std::size_t> encode_mld(std::uint8_t type, std::uint16_t max_response_delay,
                               const Ipv6Address& multicast_address, MutableBytes out) noexcept {
  if (type != icmpv6_type::mld_query && type != icmpv6_type::mld_report && type != icmpv6_type::mld_done) {
    return errc::invalid_argument;
  }
  if (out.size() < 24) return errc::buffer_too_small;
  store_u8(out, 0, type);
  store_u8(out, 1, 0);
  store_be16(out, 2, 0);
  store_be16(out, 4, max_response_delay);
  store_be16(out, 6, 0);
  put_address(out, 8, multicast_address);
  return std::size_t{24};
}

Result<std::size_t> encode_mldv2_query(const Mldv2Query& query, std::span<const Ipv6Address> sources,
                                       MutableBytes out) noexcept {
  if (query.robustness > 7 || sources.size() > 0xffff) return errc::invalid_argument;
  const std::size_t length = 28 + sources.size() * 16;
  if (length > 65535) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  store_u8(out, 0, icmpv6_type::mld_query);
  store_u8(out, 1, 0);
  store_be16(out, 2, 0);
  store_be16(out, 4, query.max_response_code);
  store_be16(out, 6, 0);
  put_address(out, 8, query.multicast_address);
  store_u8(out, 24, static_cast<std::uint8_t>((query.suppress_router_processing ? 0x08 : 0) | query.robustness));
  store_u8(out, 25, query.qqic);
  store_be16(out, 26, static_cast<std::uint16_t>(sources.size()));
  for (std::size_t i = 0; i < sources.size(); ++i) put_address(out, 28 + i * 16, sources[i]);
  return length;
}

Result<std::size_t> encode_mldv2_report(std::span<const Mldv2RecordSpec> records, MutableBytes out) noexcept {
  if (records.size() > 0xffff) return errc::invalid_argument;
  std::size_t length = 8;
  for (const auto& record : records) {
    if (record.sources.size() > 0xffff || record.auxiliary_data.size() % 4 != 0 ||
        record.auxiliary_data.size() / 4 > 0xff) {
      return errc::invalid_argument;
    }
    length += 20 + record.sources.size() * 16 + record.auxiliary_data.size();
    if (length > 65535) return errc::payload_too_large;
  }
  if (out.size() < length) return errc::buffer_too_small;
  store_u8(out, 0, icmpv6_type::mldv2_report);
  store_u8(out, 1, 0);
  store_be16(out, 2, 0);
  store_be16(out, 4, 0);
  store_be16(out, 6, static_cast<std::uint16_t>(records.size()));
  std::size_t at = 8;
  for (const auto& record : records) {
    store_u8(out, at, record.type);
    store_u8(out, at + 1, static_cast<std::uint8_t>(record.auxiliary_data.size() / 4));
    store_be16(out, at + 2, static_cast<std::uint16_t>(record.sources.size()));
    put_address(out, at + 4, record.multicast_address);
    at += 20;
    for (const auto& source : record.sources) {
      put_address(out, at, source);
      at += 16;
    }
    std::copy(record.auxiliary_data.begin(), record.auxiliary_data.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    at += record.auxiliary_data.size();
  }
  return length;
}

}  // namespace icmpkit::wire
