// File: icmpkit/net/resolve.hpp
//
// Host name resolution for the ping tools: Asio's resolver (getaddrinfo),
// filtered and ordered by an address-family preference (ping -4 / -6), with
// the choice of the first address or every address (fping -A / -m). Numeric
// addresses (IPv4 dotted quad, IPv6 with %scope) skip the resolver.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>

#include "icmpkit/net/address.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::net {

/// Which families a name may resolve to, and in which order.
enum class FamilyPreference : unsigned char {
  any,          ///< Resolver order (getaddrinfo's RFC 6724 sort).
  v4_only,      ///< ping -4
  v6_only,      ///< ping -6
  prefer_v4,    ///< Both, IPv4 first.
  prefer_v6,    ///< Both, IPv6 first.
};

struct ResolveOptions {
  FamilyPreference family = FamilyPreference::any;
  bool all_addresses = false;  ///< Every address (deduplicated) instead of the first.
};

/// Orders and filters resolver output per `options` (duplicates removed;
/// only the first kept unless all_addresses). Pure; exposed for tests.
std::vector<wire::IpAddress> select_addresses(std::vector<wire::IpAddress> candidates, const ResolveOptions& options);

/// Parses `host` as a numeric address; nullopt if it is a name.
std::optional<wire::IpAddress> parse_numeric_host(std::string_view host) noexcept;

/// Resolves `host` synchronously.
/// Errors: asio::error::host_not_found (also when no address of the wanted
/// family exists), other resolver errors (asio::error::netdb_errors).
std::vector<wire::IpAddress> resolve(std::string_view host, const ResolveOptions& options, std::error_code& ec);
std::vector<wire::IpAddress> resolve(std::string_view host, const ResolveOptions& options = {});

namespace detail {
struct ResolveOp {
  std::shared_ptr<asio::ip::udp::resolver> resolver;
  std::string host;
  ResolveOptions options;
  bool started = false;

  template <class Self>
  void operator()(Self& self) {
    if (auto numeric = parse_numeric_host(host)) {
      auto picked = select_addresses({*numeric}, options);
      std::error_code ec = picked.empty() ? std::error_code(asio::error::host_not_found) : std::error_code{};
      // Complete through a post: no handler runs inside the initiating call.
      auto executor = resolver->get_executor();
      asio::post(executor, [self = std::move(self), ec, picked = std::move(picked)]() mutable {
        self.complete(ec, std::move(picked));
      });
      return;
    }
    auto r = resolver;
    r->async_resolve(host, "", std::move(self));
  }
  template <class Self>
  void operator()(Self& self, std::error_code ec, asio::ip::udp::resolver::results_type results) {
    std::vector<wire::IpAddress> found;
    if (!ec) {
      for (const auto& entry : results) found.push_back(from_asio(entry.endpoint().address()));
      found = select_addresses(std::move(found), options);
      if (found.empty()) ec = asio::error::host_not_found;
    }
    self.complete(ec, std::move(found));
  }
};
}  // namespace detail

/// Resolves `host` asynchronously on `executor`.
/// Completion: void(std::error_code, std::vector<wire::IpAddress>) (non-empty
/// on success). Errors: as resolve().
template <class CompletionToken>
auto async_resolve(const asio::any_io_executor& executor, std::string host, const ResolveOptions& options,
                   CompletionToken&& token) {
  auto resolver = std::make_shared<asio::ip::udp::resolver>(executor);
  return asio::async_compose<CompletionToken, void(std::error_code, std::vector<wire::IpAddress>)>(
      detail::ResolveOp{resolver, std::move(host), options}, token, executor);
}

}  // namespace icmpkit::net
