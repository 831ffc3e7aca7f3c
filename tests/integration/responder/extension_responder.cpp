// File: tests/integration/responder/extension_responder.cpp
//
// icmpkit_extension_responder: a test-lab program that plays an MPLS router
// for traceroute. Linux routers never add RFC 4884 extensions to their ICMP
// errors, so one namespace of the trace lab drops expiring packets with nft
// (`ip ttl 1 drop` in prerouting, so the kernel sends nothing) and this
// program answers them instead: it sees each frame on an AF_PACKET socket
// (taps run before netfilter) and sends a Time Exceeded (ICMPv4 11/0 or
// ICMPv6 3/0) quoting the probe, with an RFC 4884 extension structure that
// holds an RFC 4950 MPLS label stack and an RFC 5837 interface information
// object, from a raw socket bound to the address of the interface the probe
// came in on (so each ingress link shows as its own hop address).
//
// Usage: icmpkit_extension_responder --iface NAME [--iface NAME...]
//                                    [--lifetime SECONDS] [--count N]
// Prints "ready" once listening. Exits after the lifetime (default 30 s),
// after answering N probes, or when standard input reaches end of file.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/builder.hpp"
#include "icmpkit/wire/ethernet.hpp"
#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/icmpv6.hpp"
#include "icmpkit/wire/ipv4.hpp"
#include "icmpkit/wire/ipv6.hpp"

namespace {

using namespace icmpkit;
using namespace icmpkit::wire;

// What the extension objects say; the tests assert these values.
constexpr std::uint32_t top_label = 16001;
constexpr std::uint32_t bottom_label = 24002;
constexpr const char* interface_name = "eth-mpls0";
constexpr std::uint32_t interface_mtu = 1500;
// RFC 4884 §5.1: the original datagram is padded/cut to 128 bytes.
constexpr std::size_t quote_length = 128;

struct Ingress {
  std::string name;
  int if_index = 0;
  std::optional<in_addr> v4;
  std::optional<in6_addr> v6;
  int v4_socket = -1;
  int v6_socket = -1;
};

void fail(const char* what) {
  std::fprintf(stderr, "extension_responder: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

void find_addresses(std::vector<Ingress>& ingress) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) fail("getifaddrs");
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    for (auto& in : ingress) {
      if (in.name != it->ifa_name) continue;
      if (it->ifa_addr->sa_family == AF_INET) {
        in.v4 = reinterpret_cast<const sockaddr_in*>(it->ifa_addr)->sin_addr;
      } else if (it->ifa_addr->sa_family == AF_INET6) {
        const auto& a6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr)->sin6_addr;
        if (!IN6_IS_ADDR_LINKLOCAL(&a6)) in.v6 = a6;
      }
    }
  }
  ::freeifaddrs(list);
}

int bound_raw_socket(int family, const void* address) {
  const int fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC, family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
  if (fd < 0) fail("raw socket");
  // Replies only: nothing is read from these sockets.
  int zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof zero);
  if (family == AF_INET) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    std::memcpy(&local.sin_addr, address, 4);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) fail("bind v4");
  } else {
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    std::memcpy(&local.sin6_addr, address, 16);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) fail("bind v6");
  }
  return fd;
}

// The extension structure for a probe that came in on `in`.
std::size_t build_extensions(const Ingress& in, Family family, MutableBytes out) {
  const std::array<MplsLabelEntry, 2> labels = {{{top_label, 0, false, 1}, {bottom_label, 0, true, 1}}};
  InterfaceInformationFields info;
  info.role = InterfaceRole::incoming;
  info.if_index = static_cast<std::uint32_t>(in.if_index);
  if (family == Family::v4 && in.v4) {
    Ipv4Address a{};
    std::memcpy(a.data(), &*in.v4, 4);
    info.address = IpAddress(a);
  } else if (family == Family::v6 && in.v6) {
    Ipv6Address a{};
    std::memcpy(a.data(), &*in.v6, 16);
    info.address = IpAddress(a);
  }
  info.name = std::string_view(interface_name);
  info.mtu = interface_mtu;
  ExtensionBuilder builder(out);
  builder.add_mpls_label_stack(labels).add_interface_information(info);
  const auto size = builder.finish();
  if (!size) {
    std::fprintf(stderr, "extension_responder: extensions: %s\n", size.error().message().c_str());
    std::exit(2);
  }
  return *size;
}

bool is_icmp_error(std::uint8_t protocol, ConstBytes payload, bool v6) {
  if (payload.empty()) return false;
  const auto type = static_cast<std::uint8_t>(payload[0]);
  if (!v6) return protocol == 1 && type != 8 && type != 0 && type != 13 && type != 14;
  return protocol == 58 && type < 128;
}

// Answers one IPv4 probe; returns true when a reply was sent.
bool answer_v4(const Ingress& in, ConstBytes packet) {
  const auto ip = parse_ipv4(packet, LengthCheck::strict);
  if (!ip || ip->ttl != 1 || !in.v4 || in.v4_socket < 0) return false;
  if ((static_cast<unsigned>(ip->destination[0]) & 0xf0) == 0xe0) return false;  // multicast
  if (is_icmp_error(ip->protocol, ip->payload, false)) return false;
  if (ip->is_fragment() && ip->fragment_offset != 0) return false;  // RFC 1812: first fragment only
  const std::size_t datagram = std::min<std::size_t>(ip->header_length() + ip->payload.size(), packet.size());
  const ConstBytes quote = packet.first(std::min(datagram, quote_length));
  std::array<std::byte, 256> extensions{};
  const std::size_t ext_size = build_extensions(in, Family::v4, extensions);
  std::array<std::byte, 1024> message{};
  const auto size = encode_icmp_error(Family::v4, icmpv4_type::time_exceeded, 0, {}, quote,
                                      ConstBytes(extensions).first(ext_size), message);
  if (!size) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, ip->source.data(), 4);
  return ::sendto(in.v4_socket, message.data(), *size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
         static_cast<ssize_t>(*size);
}

bool answer_v6(const Ingress& in, ConstBytes packet) {
  const auto ip = parse_ipv6(packet, LengthCheck::strict);
  if (!ip || ip->hop_limit != 1 || !in.v6 || in.v6_socket < 0) return false;
  if (static_cast<unsigned>(ip->destination[0]) == 0xff) return false;  // multicast (MLD, ND)
  if (static_cast<unsigned>(ip->source[0]) == 0xfe) return false;       // link-local sources
  if (is_icmp_error(ip->next_header, ip->payload, true)) return false;
  const std::size_t datagram = std::min<std::size_t>(ipv6_header_size + ip->payload.size(), packet.size());
  const ConstBytes quote = packet.first(std::min(datagram, quote_length));
  std::array<std::byte, 256> extensions{};
  const std::size_t ext_size = build_extensions(in, Family::v6, extensions);
  std::array<std::byte, 1024> message{};
  // The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
  const auto size = encode_icmpv6_time_exceeded(0, quote, message, ConstBytes(extensions).first(ext_size));
  if (!size) return false;
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(&to.sin6_addr, ip->source.data(), 16);
  return ::sendto(in.v6_socket, message.data(), *size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
         static_cast<ssize_t>(*size);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Ingress> ingress;
  long lifetime_seconds = 30;
  long max_count = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--iface" && i + 1 < argc) {
      ingress.push_back({argv[++i], 0, std::nullopt, std::nullopt, -1, -1});
    } else if (arg == "--lifetime" && i + 1 < argc) {
      lifetime_seconds = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--count" && i + 1 < argc) {
      max_count = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s --iface NAME [--iface NAME...] [--lifetime S] [--count N]\n", argv[0]);
      return 2;
    }
  }
  if (ingress.empty() || lifetime_seconds <= 0 || lifetime_seconds > 600) {
    std::fprintf(stderr, "extension_responder: need --iface and a lifetime of 1..600 s\n");
    return 2;
  }
  for (auto& in : ingress) {
    in.if_index = static_cast<int>(::if_nametoindex(in.name.c_str()));
    if (in.if_index == 0) fail(in.name.c_str());
  }
  find_addresses(ingress);
  for (auto& in : ingress) {
    if (in.v4) in.v4_socket = bound_raw_socket(AF_INET, &*in.v4);
    if (in.v6) in.v6_socket = bound_raw_socket(AF_INET6, &*in.v6);
  }

  const int packet_fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (packet_fd < 0) fail("AF_PACKET socket");

  std::printf("ready\n");
  std::fflush(stdout);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_seconds);
  long answered = 0;
  std::array<std::byte, 65536> frame{};
  while (max_count < 0 || answered < max_count) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd fds[2] = {{packet_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000))) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (fds[1].revents != 0) {
      char byte;
      if (::read(STDIN_FILENO, &byte, 1) <= 0) break;  // the fixture closed our stdin
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_ll from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(packet_fd, frame.data(), frame.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    const Ingress* in = nullptr;
    for (const auto& candidate : ingress) {
      if (candidate.if_index == from.sll_ifindex) in = &candidate;
    }
    if (in == nullptr) continue;
    const auto ethernet = parse_ethernet(ConstBytes(frame).first(static_cast<std::size_t>(n)));
    if (!ethernet) continue;
    bool sent = false;
    if (ethernet->ethertype == ethertype::ipv4) sent = answer_v4(*in, ethernet->payload);
    if (ethernet->ethertype == ethertype::ipv6) sent = answer_v6(*in, ethernet->payload);
    if (sent) ++answered;
  }
  return 0;
}
