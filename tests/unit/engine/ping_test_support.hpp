// Helpers shared by the ping engine's unit tests (simulated clock, no
// sockets): numbered IPv4 targets, the configuration and options of a
// one-probe sweep, and the echo reply a ping socket would deliver.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/checksum.hpp"

namespace icmpkit::engine::test {

/// Target number `i` as 10.x.y.z (distinct for i below 2^24).
inline wire::IpAddress v4_index(std::uint32_t i) {
  wire::Ipv4Address a{std::byte{10}, std::byte(i >> 16), std::byte(i >> 8), std::byte(i)};
  return wire::IpAddress(a);
}

/// An engine as a ping socket drives it: a fixed cookie, the identifier not
/// matched (the kernel rewrites it), records kept `linger` after they end.
inline EngineConfig sweep_config(std::chrono::nanoseconds linger = std::chrono::seconds(10)) {
  EngineConfig c;
  c.cookie = 0x0123456789abcdefULL;
  c.match_echo_id = false;
  c.linger = linger;
  return c;
}

/// One probe waiting up to `timeout`.
inline PingOptions one_probe(std::chrono::nanoseconds timeout = std::chrono::seconds(1)) {
  PingOptions o;
  o.count = 1;
  o.timeout = timeout;
  return o;
}

/// The IPv4 echo reply to `request` (type 0, checksum redone; a ping
/// socket's identifier is not checked).
inline std::vector<std::byte> reply_to(std::vector<std::byte> request) {
  request[0] = std::byte{0};
  wire::set_icmpv4_checksum(request);
  return request;
}

}  // namespace icmpkit::engine::test
