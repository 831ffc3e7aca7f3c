// NDP builders (RFC 4861 §4). Checksums stay zero: the kernel fills them.
#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/ndp.hpp"

namespace icmpkit::wire {

using detail::store_be16;
using detail::store_be32;
using detail::store_u8;

namespace {

constexpr std::size_t max_message = 65535;

// Writes the 8-byte ICMP header with a zero checksum and the 4 "rest" bytes.
void put_header(MutableBytes out, std::uint8_t type, std::uint32_t rest) noexcept {
  store_u8(out, 0, type);
  store_u8(out, 1, 0);
  store_be16(out, 2, 0);
  store_be32(out, 4, rest);
}

void put_address(MutableBytes out, std::size_t at, const Ipv6Address& address) noexcept {
  std::copy(address.begin(), address.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
}

// Header + fixed part already in `fixed` bytes; appends options.
Result<std::size_t> finish(std::size_t fixed, ConstBytes options, MutableBytes out) noexcept {
  const std::size_t length = fixed + options.size();
  std::copy(options.begin(), options.end(), out.begin() + static_cast<std::ptrdiff_t>(fixed));
  return length;
}

Result<void> check_room(std::size_t fixed, ConstBytes options, MutableBytes out) noexcept {
  if (fixed + options.size() > max_message) return errc::payload_too_large;
  if (out.size() < fixed + options.size()) return errc::buffer_too_small;
  return {};
}

}  // namespace

Result<std::size_t> encode_ndp_option(std::uint8_t type, ConstBytes data, MutableBytes out) noexcept {
  const std::size_t size = (data.size() + 2 + 7) / 8 * 8;
  if (size > 255 * 8) return errc::invalid_argument;
  if (out.size() < size) return errc::buffer_too_small;
  store_u8(out, 0, type);
  store_u8(out, 1, static_cast<std::uint8_t>(size / 8));
  std::copy(data.begin(), data.end(), out.begin() + 2);
  std::fill(out.begin() + 2 + static_cast<std::ptrdiff_t>(data.size()), out.begin() + static_cast<std::ptrdiff_t>(size),
            std::byte{0});
  return size;
}

Result<std::size_t> encode_link_layer_option(std::uint8_t type, ConstBytes link_layer_address,
                                             MutableBytes out) noexcept {
  if (type != ndp_option_type::source_link_layer_address && type != ndp_option_type::target_link_layer_address) {
    return errc::invalid_argument;
  }
  return encode_ndp_option(type, link_layer_address, out);
}

Result<std::size_t> encode_prefix_information(const NdpPrefixInformation& info, MutableBytes out) noexcept {
  if (info.prefix_length > 128) return errc::invalid_argument;
  if (out.size() < 32) return errc::buffer_too_small;
  store_u8(out, 0, ndp_option_type::prefix_information);
  store_u8(out, 1, 4);
  store_u8(out, 2, info.prefix_length);
  store_u8(out, 3,
           static_cast<std::uint8_t>((info.on_link ? 0x80 : 0) | (info.autonomous ? 0x40 : 0) |
                                     (info.router_address ? 0x20 : 0)));
  store_be32(out, 4, info.valid_lifetime);
  store_be32(out, 8, info.preferred_lifetime);
  store_be32(out, 12, 0);
  put_address(out, 16, info.prefix);
  return std::size_t{32};
}

Result<std::size_t> encode_mtu_option(std::uint32_t mtu, MutableBytes out) noexcept {
  if (out.size() < 8) return errc::buffer_too_small;
  store_u8(out, 0, ndp_option_type::mtu);
  store_u8(out, 1, 1);
  store_be16(out, 2, 0);
  store_be32(out, 4, mtu);
  return std::size_t{8};
}

Result<std::size_t> encode_redirected_header(ConstBytes ip_packet, MutableBytes out) noexcept {
  const std::size_t size = (8 + ip_packet.size() + 7) / 8 * 8;
  if (size > 255 * 8) return errc::invalid_argument;
  if (out.size() < size) return errc::buffer_too_small;
  store_u8(out, 0, ndp_option_type::redirected_header);
  store_u8(out, 1, static_cast<std::uint8_t>(size / 8));
  std::fill(out.begin() + 2, out.begin() + static_cast<std::ptrdiff_t>(size), std::byte{0});
  std::copy(ip_packet.begin(), ip_packet.end(), out.begin() + 8);
  return size;
}

Result<std::size_t> encode_router_solicitation(ConstBytes options, MutableBytes out) noexcept {
  if (auto room = check_room(8, options, out); !room) return unexpected(room.error());
  put_header(out, icmpv6_type::router_solicitation, 0);
  return finish(8, options, out);
}

Result<std::size_t> encode_router_advertisement(const NdpRouterAdvertisement& ra, ConstBytes options,
                                                MutableBytes out) noexcept {
  if (auto room = check_room(16, options, out); !room) return unexpected(room.error());
  const auto flags =
      static_cast<std::uint8_t>(ra.flags | (ra.managed ? 0x80 : 0) | (ra.other ? 0x40 : 0));
  put_header(out, icmpv6_type::router_advertisement,
             (std::uint32_t{ra.cur_hop_limit} << 24) | (std::uint32_t{flags} << 16) | ra.router_lifetime);
  store_be32(out, 8, ra.reachable_time);
  store_be32(out, 12, ra.retrans_timer);
  return finish(16, options, out);
}

Result<std::size_t> encode_neighbor_solicitation(const Ipv6Address& target, ConstBytes options,
                                                 MutableBytes out) noexcept {
  if (auto room = check_room(24, options, out); !room) return unexpected(room.error());
  put_header(out, icmpv6_type::neighbor_solicitation, 0);
  put_address(out, 8, target);
  return finish(24, options, out);
}

Result<std::size_t> encode_neighbor_advertisement(const NdpNeighborAdvertisement& na, ConstBytes options,
                                                  MutableBytes out) noexcept {
  if (auto room = check_room(24, options, out); !room) return unexpected(room.error());
  const std::uint32_t flags = (na.router ? 0x80000000u : 0) | (na.solicited ? 0x40000000u : 0) |
                              (na.override_flag ? 0x20000000u : 0);
  put_header(out, icmpv6_type::neighbor_advertisement, flags);
  put_address(out, 8, na.target);
  return finish(24, options, out);
}

Result<std::size_t> encode_redirect(const Ipv6Address& target, const Ipv6Address& destination,
                                    ConstBytes options, MutableBytes out) noexcept {
  if (auto room = check_room(40, options, out); !room) return unexpected(room.error());
  put_header(out, icmpv6_type::redirect, 0);
  put_address(out, 8, target);
  put_address(out, 24, destination);
  return finish(40, options, out);
}

}  // namespace icmpkit::wire
