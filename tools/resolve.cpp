#include "resolve.hpp"

#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace icmpkit::tools {
namespace {

std::string_view family_label(wire::Family family) { return family == wire::Family::v4 ? "IPv4" : "IPv6"; }

// IpAddress::parse takes numeric scopes only, so "%lo" is mapped to its index here.
std::optional<std::string> with_numeric_scope(std::string_view host, std::string& error) {
  const auto percent = host.find('%');
  if (percent == std::string_view::npos) return std::string(host);
  const std::string scope(host.substr(percent + 1));
  if (!scope.empty() && scope.find_first_not_of("0123456789") == std::string::npos) return std::string(host);
  const unsigned index = if_nametoindex(scope.c_str());
  if (index == 0) {
    error = fmt::format("unknown interface '{}' in scope of '{}'", scope, host);
    return std::nullopt;
  }
  return fmt::format("{}%{}", host.substr(0, percent), index);
}

// A literal's family checked against the one asked for.
Resolved from_literal(std::string_view host, const wire::IpAddress& literal, std::optional<wire::Family> family) {
  Resolved out;
  if (family && literal.family() != *family) {
    out.error = fmt::format("'{}' is an {} address but {} was asked for (-{})", host, family_label(literal.family()),
                            family_label(*family), *family == wire::Family::v4 ? '4' : '6');
    return out;
  }
  out.address = literal;
  return out;
}

}  // namespace

Resolved resolve_host(std::string_view host, std::optional<wire::Family> family) {
  Resolved out;
  if (host.empty()) {
    out.error = "empty host name";
    return out;
  }
  // Literals without a scope, one per line of a long -f list, straight to the
  // parser; with_numeric_scope would only copy them.
  if (host.find('%') == std::string_view::npos) {
    if (auto literal = wire::IpAddress::parse(host)) return from_literal(host, *literal, family);
  } else {
    const auto numeric = with_numeric_scope(host, out.error);
    if (!numeric) return out;
    if (auto literal = wire::IpAddress::parse(*numeric)) return from_literal(host, *literal, family);
  }
  // Something that looks like an address literal but did not parse is a typo,
  // not a host name to send to DNS.
  if (host.find(':') != std::string_view::npos) {
    out.error = fmt::format("'{}' is not a valid IPv6 address", host);
    return out;
  }
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    out.error = fmt::format("'{}' is not a valid IPv4 address", host);
    return out;
  }

  addrinfo hints{};
  hints.ai_family = !family ? AF_UNSPEC : (*family == wire::Family::v4 ? AF_INET : AF_INET6);
  hints.ai_socktype = SOCK_RAW;
  addrinfo* list = nullptr;
  const std::string name(host);
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    out.error = fmt::format("cannot resolve host '{}': {}", host, gai_strerror(rc));
    return out;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(list, &freeaddrinfo);
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, ai->ai_addr, sizeof sin);
      wire::Ipv4Address bytes{};
      std::memcpy(bytes.data(), &sin.sin_addr, bytes.size());
      out.address = wire::IpAddress(bytes);
      return out;
    }
    if (ai->ai_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, ai->ai_addr, sizeof sin6);
      wire::Ipv6Address bytes{};
      std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
      out.address = wire::IpAddress(bytes, sin6.sin6_scope_id);
      return out;
    }
  }
  out.error = fmt::format("host '{}' has no {} address", host,
                          family ? family_label(*family) : std::string_view("IP"));
  return out;
}

}  // namespace icmpkit::tools
