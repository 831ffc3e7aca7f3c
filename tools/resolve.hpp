// Turning the HOST / --source arguments into an address: literal first, then
// getaddrinfo, with the error text a user can act on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// An address, or the reason there is none.
struct Resolved {
  wire::IpAddress address;
  std::string error;  ///< Empty on success.
  bool ok() const noexcept { return error.empty(); }
};

/// Resolves `host` (literal IPv4/IPv6, "fe80::1%eth0", or a name) to one
/// address of `family` if given, else the first getaddrinfo answer (which
/// follows RFC 6724 / gai.conf order).
/// Errors (in Resolved::error): unknown interface in a scope, a literal of the
/// other family, getaddrinfo's gai_strerror text.
Resolved resolve_host(std::string_view host, std::optional<wire::Family> family);

}  // namespace icmpkit::tools
