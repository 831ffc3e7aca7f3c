// BSD/macOS behaviour as pure functions (see icmpkit/sys/bsd.hpp for the
// facts and their sources).
#include "icmpkit/sys/bsd.hpp"

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::sys::bsd {
namespace {

std::uint8_t byte_at(ConstBytes bytes, std::size_t at) noexcept { return std::to_integer<std::uint8_t>(bytes[at]); }

bool is_v4_error_for_us(std::uint8_t type) noexcept {
  namespace t = wire::icmpv4_type;
  return type == t::destination_unreachable || type == t::source_quench || type == t::redirect ||
         type == t::time_exceeded || type == t::parameter_problem;
}

bool is_v6_error_for_us(std::uint8_t type) noexcept {
  namespace t = wire::icmpv6_type;
  return type == t::destination_unreachable || type == t::packet_too_big || type == t::time_exceeded ||
         type == t::parameter_problem;
}

/// The echo request quoted by an error message: v4 quotes the IPv4 header
/// (IHL from the quote) then at least 8 bytes (RFC 792); v6 quotes the IPv6
/// header (40 bytes, no extension headers expected from an echo) then data.
bool quotes_our_request(ConstBytes icmp, wire::Family family, wire::EchoId id) noexcept {
  constexpr std::size_t error_header = 8;
  if (icmp.size() < error_header) return false;
  const ConstBytes quote = icmp.subspan(error_header);
  std::size_t inner_offset = 0;
  if (family == wire::Family::v4) {
    if (quote.size() < 20) return false;
    if ((byte_at(quote, 0) >> 4) != 4) return false;
    inner_offset = std::size_t{byte_at(quote, 0) & 0x0fu} * 4;
    if (inner_offset < 20 || byte_at(quote, 9) != 1 /* ICMP */) return false;
  } else {
    if (quote.size() < 40) return false;
    if ((byte_at(quote, 0) >> 4) != 6) return false;
    if (byte_at(quote, 6) != 58 /* ICMPv6 */) return false;
    inner_offset = 40;
  }
  if (quote.size() < inner_offset + 8) return false;
  const ConstBytes inner = quote.subspan(inner_offset);
  const std::uint8_t request = family == wire::Family::v4 ? wire::icmpv4_type::echo_request
                                                          : wire::icmpv6_type::echo_request;
  return byte_at(inner, 0) == request && wire::detail::load_be16(inner, 4) == id.value();
}

}  // namespace

KernelDuties kernel_duties(wire::Family family, SocketKind kind) noexcept {
  (void)kind;  // BSD DGRAM ICMP sockets behave like raw ones apart from privilege.
  return {.rewrites_echo_id = false,
          .delivers_ip_header = family == wire::Family::v4,
          .computes_checksum = family == wire::Family::v6,
          .filters_to_own_replies = false};
}

Result<NormalisedDatagram> normalise_v4_datagram(ConstBytes delivered) noexcept {
  if (delivered.size() < 20) return errc::truncated;
  const std::uint8_t first = byte_at(delivered, 0);
  if ((first >> 4) != 4) return errc::bad_version;
  const std::size_t header_length = std::size_t{first & 0x0fu} * 4;
  if (header_length < 20) return errc::bad_length;
  // ip_len is deliberately ignored: macOS may have rewritten it in host
  // order without the header (ip_input), so the received size is the truth.
  if (delivered.size() < header_length + wire::icmp_header_size) return errc::truncated;
  NormalisedDatagram out;
  out.ip_header = delivered.first(header_length);
  out.icmp = delivered.subspan(header_length);
  out.ttl = wire::Ttl(byte_at(delivered, 8));
  out.tos = byte_at(delivered, 1);
  return out;
}

Result<ReceivedDatagram> to_received(wire::Family family, ConstBytes delivered,
                                     const wire::IpAddress& source) noexcept {
  ReceivedDatagram out;
  out.source = source;
  if (family == wire::Family::v6) {
    out.icmp = delivered;
    return out;
  }
  auto normalised = normalise_v4_datagram(delivered);
  if (!normalised) return unexpected(normalised.error());
  out.icmp = normalised->icmp;
  out.ip_header = normalised->ip_header;
  out.ttl = normalised->ttl;
  out.tos = normalised->tos;
  return out;
}

bool belongs_to_us(ConstBytes icmp, wire::Family family, wire::EchoId id) noexcept {
  if (icmp.size() < wire::icmp_header_size) return false;
  const std::uint8_t type = byte_at(icmp, 0);
  const std::uint8_t reply = family == wire::Family::v4 ? wire::icmpv4_type::echo_reply : wire::icmpv6_type::echo_reply;
  if (type == reply) return wire::detail::load_be16(icmp, 4) == id.value();
  const bool error = family == wire::Family::v4 ? is_v4_error_for_us(type) : is_v6_error_for_us(type);
  return error && quotes_our_request(icmp, family, id);
}

Result<void> fill_icmpv4_checksum(MutableBytes icmp) noexcept {
  if (icmp.size() < 4) return errc::truncated;
  wire::detail::store_be16(icmp, 2, 0);
  wire::detail::store_be16(icmp, 2, wire::internet_checksum(icmp));
  return {};
}

FilterWords bsd_filter_from_linux(const FilterWords& linux_words) noexcept {
  FilterWords out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = ~linux_words[i];
  return out;
}

FilterWords linux_filter_from_bsd(const FilterWords& bsd_words) noexcept { return bsd_filter_from_linux(bsd_words); }

bool filter_will_pass(const FilterWords& bsd_words, std::uint8_t type) noexcept {
  return (bsd_words[type >> 5] & (1u << (type & 31))) != 0;
}
void filter_set_pass(FilterWords& bsd_words, std::uint8_t type) noexcept { bsd_words[type >> 5] |= 1u << (type & 31); }
void filter_set_block(FilterWords& bsd_words, std::uint8_t type) noexcept {
  bsd_words[type >> 5] &= ~(1u << (type & 31));
}

}  // namespace icmpkit::sys::bsd
