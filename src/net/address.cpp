#include "icmpkit/net/address.hpp"

#include <algorithm>

namespace icmpkit::net {

asio::ip::address to_asio(const wire::IpAddress& address) {
  if (address.is_v4()) {
    asio::ip::address_v4::bytes_type bytes{};
    const auto v4 = address.v4();
    std::transform(v4.begin(), v4.end(), bytes.begin(),
                   [](std::byte b) { return static_cast<unsigned char>(b); });
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes{};
  const auto v6 = address.v6();
  std::transform(v6.begin(), v6.end(), bytes.begin(),
                 [](std::byte b) { return static_cast<unsigned char>(b); });
  return asio::ip::address_v6(bytes, address.scope_id());
}

wire::IpAddress from_asio(const asio::ip::address& address) noexcept {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    wire::Ipv4Address v4{};
    std::transform(bytes.begin(), bytes.end(), v4.begin(), [](unsigned char b) { return std::byte{b}; });
    return wire::IpAddress(v4);
  }
  const auto v6addr = address.to_v6();
  const auto bytes = v6addr.to_bytes();
  wire::Ipv6Address v6{};
  std::transform(bytes.begin(), bytes.end(), v6.begin(), [](unsigned char b) { return std::byte{b}; });
  return wire::IpAddress(v6, static_cast<std::uint32_t>(v6addr.scope_id()));
}

}  // namespace icmpkit::net
