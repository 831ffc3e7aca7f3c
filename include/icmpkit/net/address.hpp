// File: icmpkit/net/address.hpp
//
// Conversions between icmpkit's plain-bytes address (wire::IpAddress, used by
// every layer below net/) and asio::ip::address, so Asio users can hand
// resolver results straight to an icmp socket. IPv6 scope ids are kept.
#pragma once

#include <asio/ip/address.hpp>

#include "icmpkit/wire/address.hpp"

namespace icmpkit::net {

/// wire::IpAddress -> asio::ip::address (v4 or v6 with its scope id). Never fails.
asio::ip::address to_asio(const wire::IpAddress& address);

/// asio::ip::address -> wire::IpAddress. A v4-mapped IPv6 address stays IPv6
/// (the caller decides which socket family to use). Never fails.
wire::IpAddress from_asio(const asio::ip::address& address) noexcept;

}  // namespace icmpkit::net
