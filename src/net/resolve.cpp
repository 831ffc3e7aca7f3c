// Name resolution for the ping tools: getaddrinfo through Asio, then the
// family preference applied here so -4/-6 behave the same for names and
// numeric addresses.
#include "icmpkit/net/resolve.hpp"

#include <algorithm>

#include <asio/error.hpp>
#include <asio/io_context.hpp>

namespace icmpkit::net {

std::optional<wire::IpAddress> parse_numeric_host(std::string_view host) noexcept {
  auto parsed = wire::IpAddress::parse(host);
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::vector<wire::IpAddress> select_addresses(std::vector<wire::IpAddress> candidates, const ResolveOptions& options) {
  std::vector<wire::IpAddress> unique;
  for (auto& a : candidates) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  switch (options.family) {
    case FamilyPreference::any:
      break;
    case FamilyPreference::v4_only:
      std::erase_if(unique, [](const wire::IpAddress& a) { return !a.is_v4(); });
      break;
    case FamilyPreference::v6_only:
      std::erase_if(unique, [](const wire::IpAddress& a) { return !a.is_v6(); });
      break;
    case FamilyPreference::prefer_v4:
      std::stable_partition(unique.begin(), unique.end(), [](const wire::IpAddress& a) { return a.is_v4(); });
      break;
    case FamilyPreference::prefer_v6:
      std::stable_partition(unique.begin(), unique.end(), [](const wire::IpAddress& a) { return a.is_v6(); });
      break;
  }
  if (!options.all_addresses && unique.size() > 1) unique.resize(1);
  return unique;
}

std::vector<wire::IpAddress> resolve(std::string_view host, const ResolveOptions& options, std::error_code& ec) {
  ec.clear();
  std::vector<wire::IpAddress> found;
  if (auto numeric = parse_numeric_host(host)) {
    found.push_back(*numeric);
  } else {
    asio::io_context context;
    asio::ip::udp::resolver resolver(context);
    auto results = resolver.resolve(std::string(host), "", ec);
    if (ec) return {};
    for (const auto& entry : results) found.push_back(from_asio(entry.endpoint().address()));
  }
  found = select_addresses(std::move(found), options);
  if (found.empty()) ec = asio::error::host_not_found;
  return found;
}

std::vector<wire::IpAddress> resolve(std::string_view host, const ResolveOptions& options) {
  std::error_code ec;
  auto found = resolve(host, options, ec);
  if (ec) throw std::system_error(ec, "resolve");
  return found;
}

}  // namespace icmpkit::net
