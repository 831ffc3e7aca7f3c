// IcmpSocket::open() fallback logic, driven through the system-call seam:
// no privileges or network needed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "fake_kernel.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/socket.hpp"

namespace icmpkit {
namespace {

using sys::IcmpSocket;
using sys::OpenOptions;
using sys::SocketKind;
using sys::SocketMode;
using test::FakeKernel;

int base_type(int type) { return type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC); }

bool option_was_set(const test::FakeKernelState& state, int level, int name) {
  return std::any_of(state.option_calls.begin(), state.option_calls.end(),
                     [&](const test::OptionCall& c) { return c.level == level && c.name == name; });
}

TEST(SocketOpen, AutomaticPrefersPingSocket) {
  FakeKernel kernel;
  auto socket = IcmpSocket::open(wire::Family::v4);
  ASSERT_TRUE(socket) << socket.error().message();
  EXPECT_EQ(socket->kind(), SocketKind::dgram);
  ASSERT_EQ(kernel->socket_calls.size(), 1u);
  EXPECT_EQ(kernel->socket_calls[0].domain, AF_INET);
  EXPECT_EQ(base_type(kernel->socket_calls[0].type), SOCK_DGRAM);
  EXPECT_EQ(kernel->socket_calls[0].protocol, IPPROTO_ICMP);
  EXPECT_TRUE(kernel->socket_calls[0].type & SOCK_NONBLOCK);
  EXPECT_FALSE(socket->fallback_reason().has_value());
  EXPECT_TRUE(socket->duties().rewrites_echo_id);
}

TEST(SocketOpen, AutomaticFallsBackToRawOnEacces) {
  FakeKernel kernel;
  kernel->socket_errors = {EACCES, 0};
  auto socket = IcmpSocket::open(wire::Family::v6);
  ASSERT_TRUE(socket) << socket.error().message();
  EXPECT_EQ(socket->kind(), SocketKind::raw);
  ASSERT_EQ(kernel->socket_calls.size(), 2u);
  EXPECT_EQ(base_type(kernel->socket_calls[1].type), SOCK_RAW);
  EXPECT_EQ(kernel->socket_calls[1].protocol, IPPROTO_ICMPV6);
  ASSERT_TRUE(socket->fallback_reason().has_value());
  EXPECT_EQ(socket->fallback_reason()->error, std::error_code(EACCES, std::system_category()));
  EXPECT_NE(socket->fallback_reason()->reason.find("ping_group_range"), std::string_view::npos);
  // Raw v6 gets the ICMPv6 type filter (level 58, option 1).
  EXPECT_TRUE(option_was_set(*kernel, 58, 1));
}

TEST(SocketOpen, RawV4GetsTheIcmpTypeFilter) {
  FakeKernel kernel;
  auto socket = IcmpSocket::open(wire::Family::v4, OpenOptions{.mode = SocketMode::raw});
  ASSERT_TRUE(socket);
  // ICMP_FILTER (SOL_RAW, option 1): checked before the kernel clones a
  // packet for the socket, which the BPF program is not; no BPF is needed.
  EXPECT_TRUE(option_was_set(*kernel, SOL_RAW, 1));
  EXPECT_FALSE(option_was_set(*kernel, SOL_SOCKET, SO_ATTACH_FILTER));
  EXPECT_TRUE(socket->duties().delivers_ip_header);
  EXPECT_FALSE(socket->duties().computes_checksum);
}

TEST(SocketOpen, BothRefusedIsPermissionDeniedWithBothReasons) {
  FakeKernel kernel;
  kernel->socket_errors = {EACCES, EPERM};
  sys::OpenReport report;
  auto socket = IcmpSocket::open(wire::Family::v4, {}, &report);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), make_error_code(errc::permission_denied));
  ASSERT_TRUE(report.dgram && report.raw);
  EXPECT_EQ(report.dgram->error.value(), EACCES);
  EXPECT_EQ(report.raw->error.value(), EPERM);
  EXPECT_NE(report.raw->reason.find("CAP_NET_RAW"), std::string_view::npos);
  EXPECT_TRUE(kernel->closed.empty());
}

TEST(SocketOpen, DgramOnlyDoesNotTryRaw) {
  FakeKernel kernel;
  kernel->socket_errors = {EACCES};
  auto socket = IcmpSocket::open(wire::Family::v4, OpenOptions{.mode = SocketMode::dgram});
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), make_error_code(errc::permission_denied));
  EXPECT_EQ(kernel->socket_calls.size(), 1u);
}

TEST(SocketOpen, ResourceErrorsDoNotFallBack) {
  FakeKernel kernel;
  kernel->socket_errors = {EMFILE};
  auto socket = IcmpSocket::open(wire::Family::v4);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), std::error_code(EMFILE, std::system_category()));
  EXPECT_EQ(kernel->socket_calls.size(), 1u);
}

TEST(SocketOpen, KernelWithoutPingSocketsFallsBack) {
  FakeKernel kernel;
  kernel->socket_errors = {EPROTONOSUPPORT, 0};
  auto socket = IcmpSocket::open(wire::Family::v4);
  ASSERT_TRUE(socket);
  EXPECT_EQ(socket->kind(), SocketKind::raw);
}

TEST(SocketOpen, EintrIsRetried) {
  FakeKernel kernel;
  kernel->socket_errors = {EINTR, EINTR, 0};
  auto socket = IcmpSocket::open(wire::Family::v4);
  ASSERT_TRUE(socket);
  EXPECT_EQ(socket->kind(), SocketKind::dgram);
  EXPECT_EQ(kernel->socket_calls.size(), 3u);
}

TEST(SocketOpen, OptionFailureClosesSocketAndReportsIt) {
  FakeKernel kernel;
  kernel->setsockopt_errors = {ENOPROTOOPT};
  auto socket = IcmpSocket::open(wire::Family::v4);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), std::error_code(ENOPROTOOPT, std::system_category()));
  ASSERT_EQ(kernel->closed.size(), 1u);
  EXPECT_EQ(kernel->closed[0], 100);
}

TEST(SocketOpen, RequestedOptionsAreSetAndOthersNot) {
  FakeKernel kernel;
  auto socket = IcmpSocket::open(wire::Family::v4, OpenOptions{.receive_ttl = true,
                                                                .receive_tos = false,
                                                                .receive_timestamps = true,
                                                                .receive_errors = true,
                                                                .receive_pktinfo = false});
  ASSERT_TRUE(socket);
  EXPECT_TRUE(option_was_set(*kernel, IPPROTO_IP, IP_RECVTTL));
  EXPECT_TRUE(option_was_set(*kernel, IPPROTO_IP, IP_RECVERR));
  EXPECT_TRUE(option_was_set(*kernel, SOL_SOCKET, SO_TIMESTAMPNS));
  EXPECT_FALSE(option_was_set(*kernel, IPPROTO_IP, IP_RECVTOS));
  EXPECT_FALSE(option_was_set(*kernel, IPPROTO_IP, IP_PKTINFO));
  // A ping socket needs no kernel filter.
  EXPECT_FALSE(option_was_set(*kernel, SOL_SOCKET, SO_ATTACH_FILTER));
  EXPECT_FALSE(option_was_set(*kernel, SOL_RAW, 1));
}

TEST(SocketOpen, MoveTransfersOwnershipAndDestructorCloses) {
  FakeKernel kernel;
  {
    auto socket = IcmpSocket::open(wire::Family::v4);
    ASSERT_TRUE(socket);
    IcmpSocket moved = std::move(*socket);
    EXPECT_FALSE(socket->is_open());
    EXPECT_EQ(moved.native_handle(), 100);
  }
  EXPECT_EQ(kernel->closed, std::vector<int>{100});
}

TEST(SocketOpen, ReleaseGivesUpOwnership) {
  FakeKernel kernel;
  {
    auto socket = IcmpSocket::open(wire::Family::v4);
    ASSERT_TRUE(socket);
    EXPECT_EQ(socket->release(), 100);
  }
  EXPECT_TRUE(kernel->closed.empty());
}

TEST(SocketOptions, BindDeviceRejectsLongNames) {
  FakeKernel kernel;
  auto socket = IcmpSocket::adopt(5, wire::Family::v4, SocketKind::dgram);
  EXPECT_EQ(sys::bind_device(socket, "a-name-much-too-long-for-ifnamsiz").error(),
            make_error_code(errc::invalid_argument));
  EXPECT_TRUE(sys::bind_device(socket, "lo"));
  ASSERT_EQ(kernel->option_calls.size(), 1u);
  EXPECT_EQ(kernel->option_calls[0].value.size(), 3u);  // "lo" + NUL
  socket.release();
}

TEST(SocketOptions, FamilyAndKindSpecificOptionsRefuseOtherSockets) {
  FakeKernel kernel;
  const sys::SocketRef v4_dgram{5, wire::Family::v4, SocketKind::dgram};
  EXPECT_EQ(sys::attach_icmpv4_filter(v4_dgram).error(), make_error_code(errc::operation_not_supported));
  EXPECT_EQ(sys::set_icmpv6_filter(v4_dgram, sys::default_icmpv6_filter_words()).error(),
            make_error_code(errc::operation_not_supported));
  const auto v6 = wire::IpAddress::parse("::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(sys::bind_source(v4_dgram, *v6).error(), make_error_code(errc::address_family_not_supported));
  EXPECT_TRUE(kernel->option_calls.empty());
}

TEST(SocketOptions, DefaultIcmpv6FilterPassesRepliesAndErrorsOnly) {
  const auto words = sys::default_icmpv6_filter_words();
  auto blocked = [&](int type) { return (words[type >> 5] >> (type & 31)) & 1u; };
  for (int type : {1, 2, 3, 4, 129, 161}) EXPECT_FALSE(blocked(type)) << type;
  for (int type : {128, 133, 134, 135, 136, 137, 143, 160}) EXPECT_TRUE(blocked(type)) << type;
}

}  // namespace
}  // namespace icmpkit

#include "icmpkit/wire/icmpv6_filter.hpp"

namespace icmpkit {
namespace {

TEST(SocketOptions, ApplyIcmpv6FilterPassesLinuxWordsToKernel) {
  test::FakeKernel kernel;
  auto filter = wire::Icmpv6Filter::block_all();
  filter.set_pass(129);
  const sys::SocketRef raw_v6{5, wire::Family::v6, sys::SocketKind::raw};
  ASSERT_TRUE(sys::apply_icmpv6_filter(raw_v6, filter));
  ASSERT_EQ(kernel->option_calls.size(), 1u);
  const auto& call = kernel->option_calls[0];
  EXPECT_EQ(call.level, 58);
  EXPECT_EQ(call.name, 1);
  ASSERT_EQ(call.value.size(), 32u);
  std::array<std::uint32_t, 8> words{};
  std::memcpy(words.data(), call.value.data(), 32);
  EXPECT_EQ(words, filter.linux_words());
  EXPECT_EQ(words[129 >> 5] & (1u << (129 & 31)), 0u);  // Linux: clear bit = pass
  EXPECT_EQ(words[0], 0xFFFFFFFFu);
}

}  // namespace
}  // namespace icmpkit

namespace icmpkit {
namespace {

TEST(SocketOpen, DisabledFamilyIsReportedAsSuch) {
  test::FakeKernel kernel;
  kernel->socket_errors = {EAFNOSUPPORT, EAFNOSUPPORT};
  auto socket = sys::IcmpSocket::open(wire::Family::v6);
  EXPECT_EQ(socket.error(), make_error_code(errc::address_family_not_supported));
  EXPECT_EQ(kernel->socket_calls.size(), 2u);
}

TEST(SocketOpen, RawOnlyWithoutCapabilityIsPermissionDenied) {
  test::FakeKernel kernel;
  kernel->socket_errors = {EPERM};
  sys::OpenReport report;
  auto socket = sys::IcmpSocket::open(wire::Family::v4, {.mode = sys::SocketMode::raw}, &report);
  EXPECT_EQ(socket.error(), make_error_code(errc::permission_denied));
  EXPECT_FALSE(report.dgram.has_value());
  ASSERT_TRUE(report.raw.has_value());
  EXPECT_EQ(report.raw->error.value(), EPERM);
  ASSERT_EQ(kernel->socket_calls.size(), 1u);
  EXPECT_EQ(kernel->socket_calls[0].type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_RAW);
}

}  // namespace
}  // namespace icmpkit

namespace icmpkit {
namespace {

TEST(SocketOptions, ReceiveBufferFallsBackWhenForceIsRefused) {
  test::FakeKernel kernel;
  kernel->setsockopt_errors = {EPERM, 0};
  const sys::SocketRef socket{5, wire::Family::v4, sys::SocketKind::dgram};
  auto size = sys::set_receive_buffer(socket, 1 << 20);
  ASSERT_TRUE(size) << size.error().message();
  ASSERT_EQ(kernel->option_calls.size(), 2u);
  EXPECT_EQ(kernel->option_calls[0].name, SO_RCVBUFFORCE);
  EXPECT_EQ(kernel->option_calls[1].name, SO_RCVBUF);
  kernel->setsockopt_errors = {EPERM, ENOBUFS};
  EXPECT_EQ(sys::set_receive_buffer(socket, 1 << 20).error(), std::error_code(ENOBUFS, std::system_category()));
}

}  // namespace
}  // namespace icmpkit
