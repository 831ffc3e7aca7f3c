#include "ping_common.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "targets.hpp"

namespace icmpkit::tools {

sys::SocketMode parse_socket_mode(std::string_view mode) {
  if (mode == "dgram") return sys::SocketMode::dgram;
  if (mode == "raw") return sys::SocketMode::raw;
  return sys::SocketMode::automatic;
}

bool is_numeric_host(std::string_view host) { return is_numeric_address(host); }

SourceBinding source_for(std::string_view text, wire::Family family) {
  SourceBinding out;
  if (auto literal = wire::IpAddress::parse(text)) {
    if (literal->family() != family) {
      out.error = fmt::format("'{}' is an {} address but the target is {}", text, literal->is_v4() ? "IPv4" : "IPv6",
                              family == wire::Family::v4 ? "IPv4" : "IPv6");
      return out;
    }
    out.address = *literal;
    return out;
  }
  // Not an address: an interface, whose address becomes the source (the
  // Pinger binds addresses, not devices).
  const std::string name(text);
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) {
    out.error = fmt::format("unknown interface '{}'", text);
    return out;
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    out.error = fmt::format("cannot list the addresses of '{}': {}", text, std::strerror(errno));
    return out;
  }
  bool found = false;
  for (const ifaddrs* ifa = list; ifa != nullptr && !found; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || name != ifa->ifa_name) continue;
    if (family == wire::Family::v4 && ifa->ifa_addr->sa_family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, ifa->ifa_addr, sizeof sin);
      wire::Ipv4Address bytes{};
      std::memcpy(bytes.data(), &sin.sin_addr, bytes.size());
      out.address = wire::IpAddress(bytes);
      found = true;
    } else if (family == wire::Family::v6 && ifa->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, ifa->ifa_addr, sizeof sin6);
      wire::Ipv6Address bytes{};
      std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
      out.address = wire::IpAddress(bytes, sin6.sin6_scope_id);
      found = true;
    }
  }
  freeifaddrs(list);
  if (!found) {
    out.error = fmt::format("interface '{}' has no {} address", text, family == wire::Family::v4 ? "IPv4" : "IPv6");
    return out;
  }
  out.interface_name = name;
  return out;
}

std::string open_failure_message(wire::Family family, const std::error_code& ec) {
  const std::string fam = family == wire::Family::v4 ? "ICMP" : "ICMPv6";
  std::string message = fmt::format("cannot open an {} socket: {}", fam, ec.message());
  if (ec == make_error_code(errc::permission_denied)) {
    // Open again only to say why each kind was refused.
    sys::OpenReport report;
    (void)sys::IcmpSocket::open(family, {}, &report);
    if (report.dgram) {
      message += fmt::format("; ping socket: {}", report.dgram->error.message());
      if (!report.dgram->reason.empty()) message += fmt::format(" ({})", report.dgram->reason);
    }
    if (report.raw) {
      message += fmt::format("; raw socket: {}", report.raw->error.message());
      if (!report.raw->reason.empty()) message += fmt::format(" ({})", report.raw->reason);
    }
  }
  if (message.find("icmpkit doctor") == std::string::npos) message += ". Run 'icmpkit doctor' to see why and how to fix it";
  return message;
}

std::string kernel_drop_warning(std::string_view command, std::uint64_t drops, std::size_t receive_buffer) {
  if (drops == 0) return {};
  return fmt::format(
      "icmpkit {}: warning: the kernel dropped {} received packet{} (socket receive buffer of {} bytes full); "
      "replies among them count as lost",
      command, drops, drops == 1 ? "" : "s", receive_buffer);
}

}  // namespace icmpkit::tools
