// SO_RXQ_OVFL (OpenOptions::receive_drop_count, ReceivedDatagram::dropped)
// and SO_MEMINFO (receive_drops): through the system-call seam, and once
// against the real kernel by overrunning a tiny receive buffer on loopback.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "fake_kernel.hpp"
#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit {
namespace {

using test::FakeKernel;

const sys::SocketRef ping_v4{7, wire::Family::v4, sys::SocketKind::dgram};
constexpr int so_rxq_ovfl = 40;
constexpr std::array<std::byte, 8> echo_reply{std::byte{0}, std::byte{0}, std::byte{0xf7}, std::byte{0xfe},
                                              std::byte{0},  std::byte{1}, std::byte{0},    std::byte{0}};

// Fills a msghdr as the kernel does for a datagram, with a drop-count
// control message when `dropped` is set.
std::ptrdiff_t fill(msghdr& message, std::optional<std::uint32_t> dropped) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(0x7f000001);
  std::memcpy(message.msg_name, &sin, sizeof sin);
  message.msg_namelen = sizeof sin;
  std::size_t used = 0;
  if (dropped) {
    auto* cmsg = static_cast<cmsghdr*>(message.msg_control);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = so_rxq_ovfl;
    cmsg->cmsg_len = CMSG_LEN(sizeof(std::uint32_t));
    std::memcpy(CMSG_DATA(cmsg), &*dropped, sizeof(std::uint32_t));
    used = CMSG_SPACE(sizeof(std::uint32_t));
  }
  message.msg_controllen = used;
  std::memcpy(message.msg_iov[0].iov_base, echo_reply.data(), echo_reply.size());
  return static_cast<std::ptrdiff_t>(echo_reply.size());
}

TEST(DropCount, ReceiveParsesKernelDropCounter) {
  FakeKernel kernel;
  kernel->on_recvmsg = [](msghdr& message) { return fill(message, 1234u); };
  std::array<std::byte, 256> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto datagram = sys::receive(ping_v4, buffer, control);
  ASSERT_TRUE(datagram) << datagram.error().message();
  ASSERT_TRUE(datagram->dropped);
  EXPECT_EQ(*datagram->dropped, 1234u);
}

TEST(DropCount, AbsentControlMessageMeansNoDropReported) {
  FakeKernel kernel;
  kernel->on_recvmsg = [](msghdr& message) { return fill(message, std::nullopt); };
  std::array<std::byte, 256> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto datagram = sys::receive(ping_v4, buffer, control);
  ASSERT_TRUE(datagram);
  EXPECT_FALSE(datagram->dropped);
}

// recvmmsg through the seam: each message carries its own count.
int fake_recvmmsg(int, void* messages, unsigned count, int, void*) {
  auto* m = static_cast<mmsghdr*>(messages);
  if (count < 2) return -1;
  m[0].msg_len = static_cast<unsigned>(fill(m[0].msg_hdr, std::nullopt));
  m[1].msg_len = static_cast<unsigned>(fill(m[1].msg_hdr, 7u));
  return 2;
}

TEST(DropCount, BatchReceiveParsesCounterPerDatagram) {
  FakeKernel kernel;
  auto calls = test::fake_calls();
  calls.recvmmsg = fake_recvmmsg;
  sys::detail::ScopedSystemCalls scope(calls);
  std::array<std::array<std::byte, 256>, 4> buffers{};
  std::array<std::array<std::byte, sys::recommended_control_size>, 4> controls{};
  std::array<sys::ReceiveSlot, 4> slots;
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = sys::ReceiveSlot(buffers[i], controls[i]);
  auto count = sys::receive_batch(ping_v4, slots);
  ASSERT_TRUE(count) << count.error().message();
  ASSERT_EQ(*count, 2u);
  ASSERT_TRUE(slots[0].datagram());
  EXPECT_FALSE(slots[0].datagram()->dropped);
  ASSERT_TRUE(slots[1].datagram());
  ASSERT_TRUE(slots[1].datagram()->dropped);
  EXPECT_EQ(*slots[1].datagram()->dropped, 7u);
}

bool has_option(const test::FakeKernelState& state, int level, int name) {
  for (const auto& call : state.option_calls) {
    if (call.level == level && call.name == name) return true;
  }
  return false;
}

TEST(DropCount, OpenEnablesRxqOvflByDefaultAndNotWhenOff) {
  {
    FakeKernel kernel;
    auto socket = sys::IcmpSocket::open(wire::Family::v4, {});
    ASSERT_TRUE(socket) << socket.error().message();
    EXPECT_TRUE(has_option(*kernel, SOL_SOCKET, SO_RXQ_OVFL));
    (void)socket->release();
  }
  {
    FakeKernel kernel;
    sys::OpenOptions options;
    options.receive_drop_count = false;
    auto socket = sys::IcmpSocket::open(wire::Family::v4, options);
    ASSERT_TRUE(socket);
    EXPECT_FALSE(has_option(*kernel, SOL_SOCKET, SO_RXQ_OVFL));
    (void)socket->release();
  }
}

TEST(DropCount, OpenFailsWhenRxqOvflIsRefused) {
  FakeKernel kernel;
  sys::OpenOptions options;
  options.receive_ttl = options.receive_tos = options.receive_timestamps = false;
  options.receive_errors = options.receive_pktinfo = false;
  options.mode = sys::SocketMode::dgram;
  kernel->setsockopt_errors = {ENOPROTOOPT};
  auto socket = sys::IcmpSocket::open(wire::Family::v4, options);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), std::error_code(ENOPROTOOPT, std::system_category()));
  ASSERT_FALSE(kernel->option_calls.empty());
  EXPECT_EQ(kernel->option_calls.front().name, SO_RXQ_OVFL);  // the refused call
  EXPECT_FALSE(kernel->closed.empty());                       // and the socket was not leaked
}

int meminfo_getsockopt(int, int level, int name, void* value, std::uint32_t* length) {
  if (level != SOL_SOCKET || name != 55) return -1;
  std::uint32_t info[9] = {1, 2, 3, 4, 5, 6, 7, 8, 4242};
  const std::uint32_t n = std::min<std::uint32_t>(*length, sizeof info);
  std::memcpy(value, info, n);
  *length = n;
  return 0;
}

int short_meminfo_getsockopt(int, int, int, void*, std::uint32_t* length) {
  *length = 8 * sizeof(std::uint32_t);  // a kernel without SK_MEMINFO_DROPS
  return 0;
}

TEST(DropCount, ReceiveDropsReadsMeminfoDrops) {
  FakeKernel kernel;
  auto calls = test::fake_calls();
  calls.getsockopt = meminfo_getsockopt;
  {
    sys::detail::ScopedSystemCalls scope(calls);
    auto drops = sys::receive_drops(ping_v4);
    ASSERT_TRUE(drops) << drops.error().message();
    EXPECT_EQ(*drops, 4242u);
  }
  calls.getsockopt = short_meminfo_getsockopt;
  sys::detail::ScopedSystemCalls scope(calls);
  EXPECT_EQ(sys::receive_drops(ping_v4).error(), errc::operation_not_supported);
}

// The real kernel: a receive buffer far too small for 200 replies to
// 127.0.0.1 that nobody reads. The count must show up both ways.
TEST(DropCount, RealKernelReportsOverrunOfTinyBuffer) {
  auto socket = sys::IcmpSocket::open(wire::Family::v4, {});
  if (!socket) GTEST_SKIP() << "needs a ping socket or CAP_NET_RAW: " << socket.error().message();
  ASSERT_TRUE(sys::set_receive_buffer(*socket, 1));  // the kernel's minimum (a few KB)
  std::array<std::byte, 64> request{};
  std::array<std::byte, 56> data{};
  for (std::uint16_t seq = 0; seq < 200; ++seq) {
    auto n = wire::encode_echo(wire::Family::v4, false, wire::EchoId(0x3b3b), wire::EchoSeq(seq), data, request);
    ASSERT_TRUE(n);
    auto sent = sys::send_to(*socket, ConstBytes(request).first(*n), *wire::IpAddress::parse("127.0.0.1"));
    ASSERT_TRUE(sent) << sent.error().message();
  }
  usleep(20000);
  auto drops = sys::receive_drops(*socket);
  ASSERT_TRUE(drops) << drops.error().message();
  EXPECT_GT(*drops, 0u);
  // Queued replies carry the count only once it is non-zero: the first one
  // queued may predate the overrun, so read them all and keep the highest.
  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  std::uint32_t seen = 0;
  std::size_t ours = 0;
  for (int i = 0; i < 4000; ++i) {
    auto datagram = sys::receive(*socket, buffer, control);
    if (!datagram) break;
    if (datagram->dropped) seen = std::max(seen, *datagram->dropped);
    // A raw socket also sees other programs' replies on loopback.
    auto view = wire::parse_icmp(wire::Family::v4, datagram->icmp);
    if (!view) continue;
    auto echo = wire::decode_echo(*view);
    if (echo && echo->is_reply && (socket->kind() == sys::SocketKind::dgram || echo->id == wire::EchoId(0x3b3b))) ++ours;
  }
  EXPECT_GT(ours, 0u);
  EXPECT_LT(ours, 200u);  // the rest were dropped, and counted above
  EXPECT_LE(seen, *drops);
}

}  // namespace
}  // namespace icmpkit
