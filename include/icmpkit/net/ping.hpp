// File: icmpkit/net/ping.hpp
//
// One-shot synchronous ping (RFC 792 / RFC 4443 echo) for programs without an
// event loop: resolve, open a socket, ping, return the outcomes. Also the
// DHCP server's "is this address in use?" check (RFC 2131 §4.4.1). Each call
// runs its own io_context and Pinger, so it costs a socket per call: for many
// targets use net::Pinger.
#pragma once
#include <chrono>
#include <string_view>
#include <system_error>

#include "icmpkit/net/ping_result.hpp"
#include "icmpkit/net/resolve.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::net {

/// How the one-shot calls resolve and open.
struct PingCallOptions {
  FamilyPreference family = FamilyPreference::any;
  sys::SocketMode mode = sys::SocketMode::automatic;
};

/// Pings `host_or_address` (the first address it resolves to) and waits for
/// every probe's outcome. Blocks for about count * interval + timeout.
/// Errors (thrown as std::system_error / set in `ec`): resolver errors
/// (asio::error::host_not_found ...), socket errors (errc::permission_denied
/// when neither a ping socket nor a raw socket may be opened),
/// errc::invalid_argument for bad options. Probe failures are outcomes.
PingResult ping(std::string_view host_or_address, const PingOptions& options = {},
                const PingCallOptions& call = {});
PingResult ping(std::string_view host_or_address, const PingOptions& options, const PingCallOptions& call,
                std::error_code& ec);
PingResult ping(std::string_view host_or_address, const PingOptions& options, std::error_code& ec);

/// True when `address` answers an echo request within `timeout` (two probes
/// are sent half the timeout apart). Errors: as ping().
bool is_address_in_use(const wire::IpAddress& address, std::chrono::nanoseconds timeout,
                       sys::SocketMode mode, std::error_code& ec);
bool is_address_in_use(const wire::IpAddress& address,
                       std::chrono::nanoseconds timeout = std::chrono::milliseconds(500),
                       sys::SocketMode mode = sys::SocketMode::automatic);

}  // namespace icmpkit::net

namespace icmpkit {
using net::is_address_in_use;
using net::ping;
}  // namespace icmpkit
