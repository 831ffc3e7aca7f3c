// sys::tcp_port_filter run by the BPF interpreter over TCP segments as the
// kernel hands them to a raw socket: IPv4 from the IP header on (with and
// without options), IPv6 from the TCP header on.
#include "icmpkit/sys/raw_ip_socket.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace icmpkit::sys {
namespace {

std::vector<std::byte> tcp_header(std::uint16_t source_port, std::uint16_t destination_port) {
  std::vector<std::byte> h(20, std::byte{0});
  h[0] = std::byte(source_port >> 8);
  h[1] = std::byte(source_port & 0xff);
  h[2] = std::byte(destination_port >> 8);
  h[3] = std::byte(destination_port & 0xff);
  h[12] = std::byte{0x50};
  h[13] = std::byte{0x12};  // SYN-ACK
  return h;
}

std::vector<std::byte> ipv4_packet(std::size_t header_length, const std::vector<std::byte>& tcp) {
  std::vector<std::byte> p(header_length, std::byte{0});
  p[0] = std::byte(0x40 | (header_length / 4));
  p[9] = std::byte{6};
  p.insert(p.end(), tcp.begin(), tcp.end());
  return p;
}

TEST(TcpPortFilter, Ipv4PassesOnlyTheReservedDestinationPort) {
  const auto program = tcp_port_filter(wire::Family::v4, 40000);
  EXPECT_NE(run_bpf(program.view(), ipv4_packet(20, tcp_header(80, 40000))), 0u);
  EXPECT_NE(run_bpf(program.view(), ipv4_packet(24, tcp_header(80, 40000))), 0u);  // IP options
  EXPECT_EQ(run_bpf(program.view(), ipv4_packet(20, tcp_header(40000, 80))), 0u);  // our port as source
  EXPECT_EQ(run_bpf(program.view(), ipv4_packet(20, tcp_header(80, 40001))), 0u);
}

TEST(TcpPortFilter, Ipv6SeesTheTcpHeaderFirst) {
  const auto program = tcp_port_filter(wire::Family::v6, 40000);
  EXPECT_NE(run_bpf(program.view(), tcp_header(443, 40000)), 0u);
  EXPECT_EQ(run_bpf(program.view(), tcp_header(443, 22)), 0u);
  EXPECT_EQ(run_bpf(program.view(), std::vector<std::byte>(2, std::byte{0})), 0u);  // too short: dropped
}

}  // namespace
}  // namespace icmpkit::sys
