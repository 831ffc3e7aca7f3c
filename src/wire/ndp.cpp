// NDP decoders (RFC 4861). The option area is validated once in
// NdpOptions::parse so that iteration can assume well-formed lengths.
#include "icmpkit/wire/ndp.hpp"

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_be32;
using detail::load_u8;

namespace {

constexpr std::size_t option_size(ConstBytes at) noexcept { return std::size_t{static_cast<std::uint8_t>(at[1])} * 8; }

// Fixed part of each message after the 8-byte ICMP header.
constexpr std::size_t rs_fixed = 0;
constexpr std::size_t ra_fixed = 8;
constexpr std::size_t ns_fixed = 16;
constexpr std::size_t na_fixed = 16;
constexpr std::size_t redirect_fixed = 32;

Result<NdpOptions> options_after(const IcmpView& view, std::size_t fixed) noexcept {
  return NdpOptions::parse(view.body.subspan(fixed));
}

}  // namespace

NdpOption NdpOptions::iterator::operator*() const noexcept {
  const std::size_t size = option_size(rest_);
  NdpOption option;
  option.type = load_u8(rest_, 0);
  option.bytes = rest_.first(size);
  option.data = option.bytes.subspan(2);
  return option;
}

NdpOptions::iterator& NdpOptions::iterator::operator++() noexcept {
  rest_ = rest_.subspan(option_size(rest_));
  return *this;
}

std::optional<NdpOption> NdpOptions::find(std::uint8_t type) const noexcept {
  for (const NdpOption option : *this) {
    if (option.type == type) return option;
  }
  return std::nullopt;
}

Result<NdpOptions> NdpOptions::parse(ConstBytes area) noexcept {
  ConstBytes rest = area;
  while (!rest.empty()) {
    if (rest.size() < 2) return errc::bad_length;
    const std::size_t size = option_size(rest);
    if (size == 0 || size > rest.size()) return errc::bad_length;
    rest = rest.subspan(size);
  }
  return NdpOptions(area);
}

Result<ConstBytes> decode_link_layer_address(const NdpOption& option) noexcept {
  if (option.type != ndp_option_type::source_link_layer_address &&
      option.type != ndp_option_type::target_link_layer_address) {
    return errc::wrong_type;
  }
  return option.data;
}

Result<NdpPrefixInformation> decode_prefix_information(const NdpOption& option) noexcept {
  if (option.type != ndp_option_type::prefix_information) return errc::wrong_type;
  if (option.bytes.size() != 32) return errc::bad_length;
  const ConstBytes b = option.bytes;
  NdpPrefixInformation info;
  info.prefix_length = load_u8(b, 2);
  const auto flags = load_u8(b, 3);
  info.on_link = (flags & 0x80) != 0;
  info.autonomous = (flags & 0x40) != 0;
  info.router_address = (flags & 0x20) != 0;
  info.valid_lifetime = load_be32(b, 4);
  info.preferred_lifetime = load_be32(b, 8);
  info.prefix = detail::load_array<16>(b, 16);
  return info;
}

Result<std::uint32_t> decode_mtu_option(const NdpOption& option) noexcept {
  if (option.type != ndp_option_type::mtu) return errc::wrong_type;
  if (option.bytes.size() != 8) return errc::bad_length;
  return load_be32(option.bytes, 4);
}

Result<ConstBytes> decode_redirected_header(const NdpOption& option) noexcept {
  if (option.type != ndp_option_type::redirected_header) return errc::wrong_type;
  if (option.bytes.size() < 8) return errc::bad_length;
  return option.bytes.subspan(8);
}

Result<NdpRouterSolicitation> decode_router_solicitation(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::router_solicitation) return errc::wrong_type;
  auto options = options_after(view, rs_fixed);
  if (!options) return unexpected(options.error());
  return NdpRouterSolicitation{*options};
}

Result<NdpRouterAdvertisement> decode_router_advertisement(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::router_advertisement) return errc::wrong_type;
  if (view.body.size() < ra_fixed) return errc::truncated;
  NdpRouterAdvertisement ra;
  ra.cur_hop_limit = load_u8(view.rest, 0);
  ra.flags = load_u8(view.rest, 1);
  ra.managed = (ra.flags & 0x80) != 0;
  ra.other = (ra.flags & 0x40) != 0;
  ra.router_lifetime = load_be16(view.rest, 2);
  ra.reachable_time = load_be32(view.body, 0);
  ra.retrans_timer = load_be32(view.body, 4);
  auto options = options_after(view, ra_fixed);
  if (!options) return unexpected(options.error());
  ra.options = *options;
  return ra;
}

Result<NdpNeighborSolicitation> decode_neighbor_solicitation(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::neighbor_solicitation) return errc::wrong_type;
  if (view.body.size() < ns_fixed) return errc::truncated;
  NdpNeighborSolicitation ns;
  ns.target = detail::load_array<16>(view.body, 0);
  auto options = options_after(view, ns_fixed);
  if (!options) return unexpected(options.error());
  ns.options = *options;
  return ns;
}

Result<NdpNeighborAdvertisement> decode_neighbor_advertisement(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::neighbor_advertisement) return errc::wrong_type;
  if (view.body.size() < na_fixed) return errc::truncated;
  NdpNeighborAdvertisement na;
  const auto flags = load_u8(view.rest, 0);
  na.router = (flags & 0x80) != 0;
  na.solicited = (flags & 0x40) != 0;
  na.override_flag = (flags & 0x20) != 0;
  na.target = detail::load_array<16>(view.body, 0);
  auto options = options_after(view, na_fixed);
  if (!options) return unexpected(options.error());
  na.options = *options;
  return na;
}

Result<NdpRedirect> decode_redirect(const IcmpView& view) noexcept {
  if (view.family != Family::v6 || view.type != icmpv6_type::redirect) return errc::wrong_type;
  if (view.body.size() < redirect_fixed) return errc::truncated;
  NdpRedirect redirect;
  redirect.target = detail::load_array<16>(view.body, 0);
  redirect.destination = detail::load_array<16>(view.body, 16);
  auto options = options_after(view, redirect_fixed);
  if (!options) return unexpected(options.error());
  redirect.options = *options;
  return redirect;
}

}  // namespace icmpkit::wire
