// MLD decoders (RFC 2710, RFC 3810). Counts from the wire are checked against
// the message length before any view is built.
#include "icmpkit/wire/mld.hpp"

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_u8;

namespace {

constexpr std::size_t mldv1_size = 24;       // whole message
constexpr std::size_t mldv2_query_min = 28;  // whole message, no sources
constexpr std::size_t record_header = 20;    // type, aux len, source count, address

std::size_t record_size(ConstBytes at) noexcept {
  return record_header + std::size_t{load_be16(at, 2)} * 16 + std::size_t{load_u8(at, 1)} * 4;
}

}  // namespace

Ipv6Address Ipv6AddressList::iterator::operator*() const noexcept { return detail::load_array<16>(rest_, 0); }

Ipv6Address Ipv6AddressList::operator[](std::size_t i) const noexcept {
  return detail::load_array<16>(bytes_, i * 16);
}

std::chrono::milliseconds Mldv2Query::max_response_delay() const noexcept {
  if (max_response_code < 0x8000) return std::chrono::milliseconds(max_response_code);
  const std::uint32_t mant = max_response_code & 0x0fffu;
  const std::uint32_t exp = (max_response_code >> 12) & 0x7u;
  return std::chrono::milliseconds((mant | 0x1000u) << (exp + 3));
}

std::chrono::seconds Mldv2Query::query_interval() const noexcept {
  if (qqic < 0x80) return std::chrono::seconds(qqic);
  const std::uint32_t mant = qqic & 0x0fu;
  const std::uint32_t exp = (qqic >> 4) & 0x7u;
  return std::chrono::seconds((mant | 0x10u) << (exp + 3));
}

Mldv2Record Mldv2Records::iterator::operator*() const noexcept {
  Mldv2Record record;
  record.type = load_u8(rest_, 0);
  const std::size_t sources = std::size_t{load_be16(rest_, 2)} * 16;
  const std::size_t aux = std::size_t{load_u8(rest_, 1)} * 4;
  record.multicast_address = detail::load_array<16>(rest_, 4);
  record.sources = Ipv6AddressList(rest_.subspan(record_header, sources));
  record.auxiliary_data = rest_.subspan(record_header + sources, aux);
  return record;
}

Mldv2Records::iterator& Mldv2Records::iterator::operator++() noexcept {
  rest_ = rest_.subspan(record_size(rest_));
  --remaining_;
  return *this;
}

Result<Mldv2Records> Mldv2Records::parse(ConstBytes area, std::size_t count) noexcept {
  ConstBytes rest = area;
  // Walks at most `count` records, and each consumes 20 bytes or more, so the
  // loop is bounded by the buffer whatever the count claims.
  for (std::size_t i = 0; i < count; ++i) {
    if (rest.size() < record_header) return errc::bad_length;
    const std::size_t size = record_size(rest);
    if (size > rest.size()) return errc::bad_length;
    rest = rest.subspan(size);
  }
  return Mldv2Records(area.first(area.size() - rest.size()), count);
}

Result<MldMessage> decode_mld(const IcmpView& view) noexcept {
  if (view.family != Family::v6) return errc::wrong_type;
  if (view.type != icmpv6_type::mld_query && view.type != icmpv6_type::mld_report &&
      view.type != icmpv6_type::mld_done) {
    return errc::wrong_type;
  }
  if (view.bytes.size() < mldv1_size) return errc::truncated;
  if (view.type == icmpv6_type::mld_query && view.bytes.size() != mldv1_size) return errc::wrong_type;
  MldMessage mld;
  mld.type = view.type;
  mld.max_response_delay = load_be16(view.rest, 0);
  mld.multicast_address = detail::load_array<16>(view.body, 0);
  return mld;
}

Result<Mldv2Query> decode_mldv2_query(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::mld_query) return errc::wrong_type;
  const std::size_t size = view.bytes.size();
  if (size < mldv1_size) return errc::truncated;
  if (size == mldv1_size) return errc::wrong_type;
  if (size < mldv2_query_min) return errc::bad_length;  // RFC 3810 §8.1: neither version
  Mldv2Query query;
  query.max_response_code = load_be16(view.rest, 0);
  query.multicast_address = detail::load_array<16>(view.body, 0);
  const auto flags = load_u8(view.body, 16);
  query.suppress_router_processing = (flags & 0x08) != 0;
  query.robustness = flags & 0x07;
  query.qqic = load_u8(view.body, 17);
  const std::size_t sources = std::size_t{load_be16(view.body, 18)} * 16;
  if (sources > size - mldv2_query_min) return errc::bad_length;
  query.sources = Ipv6AddressList(view.bytes.subspan(mldv2_query_min, sources));
  return query;
}

Result<Mldv2Report> decode_mldv2_report(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::mldv2_report) return errc::wrong_type;
  const std::size_t count = load_be16(view.rest, 2);
  auto records = Mldv2Records::parse(view.body, count);
  if (!records) return unexpected(records.error());
  Mldv2Report report;
  report.records = *records;
  std::size_t used = 0;
  for (const Mldv2Record record : report.records) {
    used += record_header + record.sources.bytes().size() + record.auxiliary_data.size();
  }
  report.trailing = view.body.subspan(used);
  return report;
}

}  // namespace icmpkit::wire
