// The one-shot synchronous calls: a private io_context and Pinger per call.
#include "icmpkit/net/ping.hpp"

#include <asio/io_context.hpp>

#include "icmpkit/net/pinger.hpp"

namespace icmpkit::net {

namespace {
ResolveOptions resolve_options(const PingCallOptions& call) {
  ResolveOptions r;
  r.family = call.family;
  return r;
}
}  // namespace

PingResult ping(std::string_view host_or_address, const PingOptions& options, const PingCallOptions& call,
                std::error_code& ec) {
  auto addresses = resolve(host_or_address, resolve_options(call), ec);
  if (ec) return {};
  asio::io_context context;
  PingerOptions pinger_options;
  pinger_options.mode = call.mode;
  PingResult out;
  out.address = addresses.front();
  {
    Pinger pinger(context, pinger_options);
    pinger.async_ping(addresses.front(), options, [&](std::error_code e, PingResult result) {
      ec = e;
      out = std::move(result);
    });
    context.run();
  }
  return out;
}

PingResult ping(std::string_view host_or_address, const PingOptions& options, std::error_code& ec) {
  return ping(host_or_address, options, PingCallOptions{}, ec);
}

PingResult ping(std::string_view host_or_address, const PingOptions& options, const PingCallOptions& call) {
  std::error_code ec;
  auto result = ping(host_or_address, options, call, ec);
  if (ec) throw std::system_error(ec, "ping");
  return result;
}

bool is_address_in_use(const wire::IpAddress& address, std::chrono::nanoseconds timeout, sys::SocketMode mode,
                       std::error_code& ec) {
  asio::io_context context;
  PingerOptions pinger_options;
  pinger_options.mode = mode;
  bool in_use = false;
  {
    Pinger pinger(context, pinger_options);
    pinger.async_is_address_in_use(address, timeout, [&](std::error_code e, bool used) {
      ec = e;
      in_use = used;
    });
    context.run();
  }
  return in_use;
}

bool is_address_in_use(const wire::IpAddress& address, std::chrono::nanoseconds timeout, sys::SocketMode mode) {
  std::error_code ec;
  auto used = is_address_in_use(address, timeout, mode, ec);
  if (ec) throw std::system_error(ec, "is_address_in_use");
  return used;
}

}  // namespace icmpkit::net
