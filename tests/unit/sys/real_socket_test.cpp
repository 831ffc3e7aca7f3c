// Real sockets in a network-namespace lab (lab.hpp): loopback echo through
// ping and raw sockets with TTL, timestamps and pktinfo; the kernel filters;
// the error queue of a ping socket; the one-shot send failure after a queued
// ICMP error; batches; an unprivileged open after dropping root. Packets go
// only to loopback and to the lab's own namespace b. Skipped without root.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <set>
#include <vector>

#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/bpf.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/privileges.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "lab.hpp"

namespace icmpkit {
namespace {

using namespace std::chrono_literals;
using sys::IcmpSocket;
using sys::SocketKind;
using sys::SocketMode;

wire::IpAddress address(const char* text) { return *wire::IpAddress::parse(text); }

class RealSocket : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = test::NamespaceLab::create(why_not_).release(); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_) GTEST_SKIP() << why_not_;
  }

  static IcmpSocket open(wire::Family family, SocketMode mode, sys::OpenOptions options = {}) {
    options.mode = mode;
    auto socket = IcmpSocket::open(family, options);
    EXPECT_TRUE(socket) << socket.error().message();
    return socket ? std::move(*socket) : IcmpSocket();
  }

  static std::vector<std::byte> echo_request(wire::Family family, std::uint16_t id, std::uint16_t seq) {
    std::vector<std::byte> out(64);
    const std::array<std::byte, 8> data{std::byte{'i'}, std::byte{'k'}, std::byte{'D'}, std::byte{'-'},
                                        std::byte{'s'}, std::byte{'y'}, std::byte{'s'}, std::byte{0}};
    auto n = wire::encode_echo(family, false, wire::EchoId(id), wire::EchoSeq(seq), data, out);
    EXPECT_TRUE(n);
    out.resize(n ? *n : 0);
    return out;
  }

  static bool wait_for(int fd, short events, std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & events);
  }

  /// Receives datagrams for up to `timeout`, returning the ICMP types seen.
  static std::vector<int> drain_types(const IcmpSocket& socket, std::chrono::milliseconds timeout) {
    std::vector<int> types;
    std::array<std::byte, 2048> buffer{};
    std::array<std::byte, sys::recommended_control_size> control{};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int i = 0; i < 100 && std::chrono::steady_clock::now() < deadline; ++i) {
      if (!wait_for(socket.native_handle(), POLLIN, 100ms)) continue;
      auto datagram = sys::receive(socket, buffer, control);
      if (datagram && !datagram->icmp.empty()) types.push_back(std::to_integer<int>(datagram->icmp[0]));
    }
    return types;
  }

  static inline test::NamespaceLab* lab_ = nullptr;
  static inline std::string why_not_;
};

void expect_loopback_reply(IcmpSocket& socket, const char* target, std::uint8_t reply_type) {
  const auto family = socket.family();
  std::uint16_t id = 0x4b44;
  if (socket.kind() == SocketKind::dgram) {
    auto kernel_id = socket.ensure_echo_id();
    ASSERT_TRUE(kernel_id) << kernel_id.error().message();
    id = kernel_id->value();
    EXPECT_NE(id, 0);
  } else {
    EXPECT_FALSE(socket.local_echo_id().has_value());
  }
  std::vector<std::byte> request(64);
  const std::array<std::byte, 4> data{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  auto n = wire::encode_echo(family, false, wire::EchoId(id), wire::EchoSeq(7), data, request);
  ASSERT_TRUE(n);
  request.resize(*n);
  const auto before = std::chrono::system_clock::now();
  auto sent = sys::send_to(socket, request, address(target));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(sent->bytes, request.size());

  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  for (int attempt = 0; attempt < 20; ++attempt) {
    pollfd p{socket.native_handle(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 2000), 1) << "no datagram within 2 s";
    auto datagram = sys::receive(socket, buffer, control);
    ASSERT_TRUE(datagram) << datagram.error().message();
    if (datagram->icmp.size() < 8 || std::to_integer<std::uint8_t>(datagram->icmp[0]) != reply_type) continue;
    if (wire::detail::load_be16(datagram->icmp, 4) != id) continue;
    EXPECT_EQ(wire::detail::load_be16(datagram->icmp, 6), 7);
    EXPECT_EQ(datagram->source, address(target));
    ASSERT_TRUE(datagram->ttl.has_value());
    EXPECT_EQ(datagram->ttl->value(), 64);
    ASSERT_TRUE(datagram->destination.has_value());
    EXPECT_EQ(*datagram->destination, address(target));
    EXPECT_EQ(datagram->interface_index, ::if_nametoindex("lo"));
    ASSERT_TRUE(datagram->kernel_timestamp.has_value());
    const auto stamp = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(*datagram->kernel_timestamp));
    EXPECT_GE(stamp, before - 1s);
    EXPECT_LE(stamp, std::chrono::system_clock::now() + 1s);
    EXPECT_EQ(datagram->ip_header.size(), socket.duties().delivers_ip_header ? 20u : 0u);
    EXPECT_FALSE(datagram->truncated);
    return;
  }
  FAIL() << "no echo reply with our identifier";
}

TEST_F(RealSocket, PingSocketV4EchoOnLoopback) {
  auto socket = open(wire::Family::v4, SocketMode::dgram);
  ASSERT_TRUE(socket.is_open());
  EXPECT_EQ(socket.kind(), SocketKind::dgram);
  expect_loopback_reply(socket, "127.0.0.1", 0);
}

TEST_F(RealSocket, PingSocketV6EchoOnLoopback) {
  auto socket = open(wire::Family::v6, SocketMode::dgram);
  ASSERT_TRUE(socket.is_open());
  expect_loopback_reply(socket, "::1", 129);
}

TEST_F(RealSocket, RawSocketV4SeesItsOwnReply) {
  auto socket = open(wire::Family::v4, SocketMode::raw);
  ASSERT_TRUE(socket.is_open());
  EXPECT_EQ(socket.kind(), SocketKind::raw);
  expect_loopback_reply(socket, "127.0.0.1", 0);
}

TEST_F(RealSocket, RawSocketV6SeesItsOwnReply) {
  auto socket = open(wire::Family::v6, SocketMode::raw);
  ASSERT_TRUE(socket.is_open());
  expect_loopback_reply(socket, "::1", 129);
}

TEST_F(RealSocket, AutomaticPrefersPingSocketAndFallsBackWhenRangeClosed) {
  auto socket = open(wire::Family::v4, SocketMode::automatic);
  EXPECT_EQ(socket.kind(), SocketKind::dgram);
  ASSERT_TRUE(lab_->set_ping_group_range("1 0"));
  auto fallback = IcmpSocket::open(wire::Family::v4);
  ASSERT_TRUE(lab_->set_ping_group_range("0 2147483647"));
  ASSERT_TRUE(fallback) << fallback.error().message();
  EXPECT_EQ(fallback->kind(), SocketKind::raw);
  ASSERT_TRUE(fallback->fallback_reason().has_value());
  EXPECT_EQ(fallback->fallback_reason()->error, std::error_code(EACCES, std::system_category()));
  // And the doctor's explanation of that state.
  ASSERT_TRUE(lab_->set_ping_group_range("1 0"));
  const auto diagnosis = sys::diagnose(wire::Family::v4);
  ASSERT_TRUE(lab_->set_ping_group_range("0 2147483647"));
  EXPECT_FALSE(diagnosis.dgram.opened);
  EXPECT_EQ(diagnosis.dgram.error.value(), EACCES);
  ASSERT_TRUE(diagnosis.ping_group_range.has_value());
  EXPECT_TRUE(diagnosis.ping_group_range->is_closed());
  EXPECT_TRUE(diagnosis.raw.opened);
  EXPECT_EQ(diagnosis.automatic_result(), SocketKind::raw);
}

TEST_F(RealSocket, KernelFilterKeepsOtherIcmpTypesOut) {
  auto filtered = open(wire::Family::v4, SocketMode::raw);
  auto unfiltered = open(wire::Family::v4, SocketMode::raw, {.install_kernel_filter = false});
  ASSERT_TRUE(filtered.is_open() && unfiltered.is_open());
  // A timestamp request (13) to loopback: the kernel answers with 14.
  std::array<std::byte, 20> timestamp{std::byte{13}};
  wire::detail::store_be16(timestamp, 4, 0x4b44);
  wire::set_icmpv4_checksum(timestamp);
  ASSERT_TRUE(sys::send_to(unfiltered, timestamp, address("127.0.0.1")));
  const auto request = echo_request(wire::Family::v4, 0x4b45, 1);
  ASSERT_TRUE(sys::send_to(unfiltered, request, address("127.0.0.1")));
  const auto seen_unfiltered = drain_types(unfiltered, 500ms);
  const auto seen_filtered = drain_types(filtered, 200ms);
  const std::multiset<int> all(seen_unfiltered.begin(), seen_unfiltered.end());
  EXPECT_EQ(all.count(13), 1u);
  EXPECT_EQ(all.count(14), 1u) << "the kernel did not answer the timestamp request";
  EXPECT_EQ(all.count(8), 1u);
  EXPECT_EQ(all.count(0), 1u);
  EXPECT_EQ(seen_filtered, std::vector<int>{0});
}

TEST_F(RealSocket, BpfIdentifierFilterDropsOtherIdentifiers) {
  auto socket = open(wire::Family::v4, SocketMode::raw);
  ASSERT_TRUE(sys::attach_icmpv4_filter(socket, wire::EchoId(0x1111)));
  ASSERT_TRUE(sys::send_to(socket, echo_request(wire::Family::v4, 0x2222, 1), address("127.0.0.1")));
  ASSERT_TRUE(sys::send_to(socket, echo_request(wire::Family::v4, 0x1111, 2), address("127.0.0.1")));
  EXPECT_EQ(drain_types(socket, 400ms), std::vector<int>{0});
}

TEST_F(RealSocket, OpenGivesRawIpv4TheKernelTypeMask) {
  auto socket = open(wire::Family::v4, SocketMode::raw);  // open() installs the filter
  std::uint32_t mask = 0;
  socklen_t size = sizeof mask;
  constexpr int icmp_filter_option = 1;  // ICMP_FILTER, <linux/icmp.h>
  ASSERT_EQ(::getsockopt(socket.native_handle(), SOL_RAW, icmp_filter_option, &mask, &size), 0) << std::strerror(errno);
  EXPECT_EQ(mask, sys::icmpv4_blocked_types_mask());
  // And replies still come through both filters.
  ASSERT_TRUE(sys::send_to(socket, echo_request(wire::Family::v4, 0x3333, 1), address("127.0.0.1")));
  EXPECT_EQ(drain_types(socket, 400ms), std::vector<int>{0});
}

TEST_F(RealSocket, Icmpv6FilterKeepsRequestsOut) {
  auto filtered = open(wire::Family::v6, SocketMode::raw);
  auto unfiltered = open(wire::Family::v6, SocketMode::raw, {.install_kernel_filter = false});
  ASSERT_TRUE(sys::send_to(unfiltered, echo_request(wire::Family::v6, 0x4b46, 1), address("::1")));
  const auto seen_unfiltered = drain_types(unfiltered, 400ms);
  const auto seen_filtered = drain_types(filtered, 200ms);
  const std::multiset<int> all(seen_unfiltered.begin(), seen_unfiltered.end());
  EXPECT_EQ(all.count(128), 1u);
  EXPECT_EQ(all.count(129), 1u);
  EXPECT_EQ(seen_filtered, std::vector<int>{129});
}

struct ErrorCase {
  wire::Family family;
  const char* target;
  std::uint8_t type, code;
  int error_number;
  std::uint8_t probe_type;
};

void expect_error_queue_record(const IcmpSocket& socket, const ErrorCase& c, std::uint16_t id, std::uint16_t seq) {
  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto record = sys::receive_error(socket, buffer, control);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->origin, c.family == wire::Family::v4 ? sys::ErrorOrigin::icmp : sys::ErrorOrigin::icmp6);
  EXPECT_EQ(record->icmp_type, c.type);
  EXPECT_EQ(record->icmp_code, c.code);
  EXPECT_EQ(record->error_number, c.error_number);
  EXPECT_EQ(record->offender, address(c.target));
  EXPECT_EQ(record->original_destination, address(c.target));
  ASSERT_GE(record->probe.size(), 8u);
  EXPECT_EQ(std::to_integer<std::uint8_t>(record->probe[0]), c.probe_type);
  EXPECT_EQ(wire::detail::load_be16(record->probe, 4), id);
  EXPECT_EQ(wire::detail::load_be16(record->probe, 6), seq);
}

const ErrorCase error_cases[] = {
    {wire::Family::v4, "10.77.0.2", 3, 1, EHOSTUNREACH, 8},
    {wire::Family::v6, "fd77::2", 1, 1, EACCES, 128},
};

TEST_F(RealSocket, PingSocketErrorQueueNamesOffenderAndProbe) {
  for (const ErrorCase& c : error_cases) {
    SCOPED_TRACE(c.target);
    auto socket = open(c.family, SocketMode::dgram);
    auto id = socket.ensure_echo_id();
    ASSERT_TRUE(id);
    ASSERT_TRUE(sys::send_to(socket, echo_request(c.family, 0, 1), address(c.target)));
    ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR)) << "no ICMP error queued";
    expect_error_queue_record(socket, c, id->value(), 1);
    std::array<std::byte, 64> buffer{};
    EXPECT_EQ(sys::receive_error(socket, buffer, {}).error(), make_error_code(errc::no_message));
  }
}

TEST_F(RealSocket, KernelFailsNextSendOnceAfterQueuedError) {
  // The kernel fact send_to() is built around (see src/sys/linux/send.cpp),
  // measured with the bare system call.
  for (const ErrorCase& c : error_cases) {
    SCOPED_TRACE(c.target);
    auto socket = open(c.family, SocketMode::dgram);
    const auto probe = echo_request(c.family, 0, 1);
    ASSERT_TRUE(sys::send_to(socket, probe, address(c.target)));
    ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR));
    sockaddr_storage to{};
    socklen_t to_length = 0;
    // Build the destination sockaddr as send_to() would.
    if (c.family == wire::Family::v4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&to);
      sin->sin_family = AF_INET;
      const auto bytes = address(c.target).v4();
      std::memcpy(&sin->sin_addr, bytes.data(), 4);
      to_length = sizeof(sockaddr_in);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
      sin6->sin6_family = AF_INET6;
      const auto bytes = address(c.target).v6();
      std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
      to_length = sizeof(sockaddr_in6);
    }
    errno = 0;
    EXPECT_EQ(::sendto(socket.native_handle(), probe.data(), probe.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       to_length),
              -1);
    EXPECT_EQ(errno, c.error_number);
    EXPECT_EQ(::sendto(socket.native_handle(), probe.data(), probe.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       to_length),
              static_cast<ssize_t>(probe.size()));
  }
}

sockaddr_storage to_sockaddr(const wire::IpAddress& target, socklen_t& length) {
  sockaddr_storage to{};
  if (target.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    const auto bytes = target.v4();
    std::memcpy(&sin->sin_addr, bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    const auto bytes = target.v6();
    std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  return to;
}

TEST_F(RealSocket, DrainingTheErrorQueueClearsThePendingError) {
  for (const ErrorCase& c : error_cases) {
    SCOPED_TRACE(c.target);
    auto socket = open(c.family, SocketMode::dgram);
    const auto probe = echo_request(c.family, 0, 1);
    ASSERT_TRUE(sys::send_to(socket, probe, address(c.target)));
    ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR));
    std::array<std::byte, 2048> buffer{};
    std::array<std::byte, sys::recommended_control_size> control{};
    int records = 0;
    while (sys::receive_error(socket, buffer, control)) ++records;
    EXPECT_EQ(records, 1);
    socklen_t length = 0;
    const auto to = to_sockaddr(address(c.target), length);
    EXPECT_EQ(::sendto(socket.native_handle(), probe.data(), probe.size(), 0,
                       reinterpret_cast<const sockaddr*>(&to), length),
              static_cast<ssize_t>(probe.size()));
  }
}

TEST_F(RealSocket, RawSocketSendsDoNotFailAfterQueuedError) {
  // Raw sockets allocate with sock_wmalloc(), which ignores the pending error.
  for (const ErrorCase& c : error_cases) {
    SCOPED_TRACE(c.target);
    auto socket = open(c.family, SocketMode::raw);
    const auto probe = echo_request(c.family, 0x4b47, 1);
    socklen_t length = 0;
    const auto to = to_sockaddr(address(c.target), length);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(::sendto(socket.native_handle(), probe.data(), probe.size(), 0,
                         reinterpret_cast<const sockaddr*>(&to), length),
                static_cast<ssize_t>(probe.size()))
          << "send " << i << ": " << std::strerror(errno);
      ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR));
      ::usleep(20000);
    }
  }
}

TEST_F(RealSocket, RawReceiveSurvivesThePendingError) {
  // On a raw socket the ICMP error arrives both as a datagram and in the
  // error queue; the pending error makes the first recvmsg fail once.
  auto socket = open(wire::Family::v4, SocketMode::raw);
  ASSERT_TRUE(sys::send_to(socket, echo_request(wire::Family::v4, 0x4b49, 1), address("10.77.0.2")));
  ASSERT_TRUE(wait_for(socket.native_handle(), POLLIN));
  ::usleep(20000);
  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto datagram = sys::receive(socket, buffer, control);
  ASSERT_TRUE(datagram) << datagram.error().message();
  EXPECT_TRUE(datagram->pending_error_reported);
  EXPECT_EQ(std::to_integer<int>(datagram->icmp[0]), 3);
  EXPECT_EQ(datagram->source, address("10.77.0.2"));
  auto record = sys::receive_error(socket, buffer, control);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->icmp_type, 3);
}

TEST_F(RealSocket, LocalMtuErrorIsQueuedWithTheMtu) {
  ASSERT_TRUE(lab_->run_in_a("ip link set dev " + lab_->interface_a() + " mtu 1280"));
  for (auto family : {wire::Family::v4, wire::Family::v6}) {
    SCOPED_TRACE(family == wire::Family::v4 ? "v4" : "v6");
    auto socket = open(family, SocketMode::dgram);
    ASSERT_TRUE(sys::set_pmtu_mode(socket, sys::PmtuMode::do_));
    std::vector<std::byte> big(1400);
    std::vector<std::byte> payload(1300);
    auto n = wire::encode_echo(family, false, wire::EchoId(0), wire::EchoSeq(1), payload, big);
    ASSERT_TRUE(n);
    big.resize(*n);
    const char* target = family == wire::Family::v4 ? "10.77.0.2" : "fd77::2";
    auto sent = sys::send_to(socket, big, address(target));
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error(), std::error_code(EMSGSIZE, std::system_category()));
    std::array<std::byte, 2048> buffer{};
    std::array<std::byte, sys::recommended_control_size> control{};
    auto record = sys::receive_error(socket, buffer, control);
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_EQ(record->origin, sys::ErrorOrigin::local);
    EXPECT_EQ(record->error_number, EMSGSIZE);
    EXPECT_EQ(record->info, 1280u);
    EXPECT_EQ(record->original_destination, address(target));
  }
  ASSERT_TRUE(lab_->run_in_a("ip link set dev " + lab_->interface_a() + " mtu 1500"));
}

TEST_F(RealSocket, SendToLosesNoProbeAfterQueuedErrors) {
  for (const ErrorCase& c : error_cases) {
    SCOPED_TRACE(c.target);
    auto socket = open(c.family, SocketMode::dgram);
    auto id = socket.ensure_echo_id();
    ASSERT_TRUE(id);
    constexpr int probes = 5;
    int pending_reported = 0;
    for (std::uint16_t seq = 1; seq <= probes; ++seq) {
      auto sent = sys::send_to(socket, echo_request(c.family, 0, seq), address(c.target));
      ASSERT_TRUE(sent) << sent.error().message();
      if (sent->pending_error_reported) {
        ++pending_reported;
        EXPECT_EQ(sent->pending_error.value(), c.error_number);
      }
      // Let the error for this probe arrive before the next send, without
      // draining the queue: the worst case for a prober.
      ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR));
      ::usleep(20000);
    }
    EXPECT_EQ(pending_reported, probes - 1);
    // Every probe went out: one error record per probe, in order.
    for (std::uint16_t seq = 1; seq <= probes; ++seq) expect_error_queue_record(socket, c, id->value(), seq);
  }
}

TEST_F(RealSocket, BatchSendAndReceiveOnLoopback) {
  auto socket = open(wire::Family::v4, SocketMode::dgram);
  std::vector<std::vector<std::byte>> requests;
  std::vector<wire::IpAddress> targets;
  std::vector<sys::OutgoingDatagram> datagrams;
  constexpr int count = 10;
  for (int i = 0; i < count; ++i) {
    requests.push_back(echo_request(wire::Family::v4, 0, static_cast<std::uint16_t>(100 + i)));
    targets.push_back(address(("127.0.0." + std::to_string(i + 1)).c_str()));
  }
  for (int i = 0; i < count; ++i) datagrams.push_back({requests[i], targets[i]});
  sys::SendOutcome outcome;
  auto sent = sys::send_batch(socket, datagrams, &outcome);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, static_cast<std::size_t>(count));
  EXPECT_EQ(outcome.bytes, count * requests[0].size());

  std::vector<std::array<std::byte, 256>> buffers(16);
  std::vector<std::array<std::byte, sys::recommended_control_size>> controls(16);
  std::vector<sys::ReceiveSlot> slots;
  for (std::size_t i = 0; i < buffers.size(); ++i) slots.emplace_back(buffers[i], controls[i]);
  std::set<std::string> sources;
  for (int round = 0; round < 20 && sources.size() < count; ++round) {
    if (!wait_for(socket.native_handle(), POLLIN, 200ms)) continue;
    auto received = sys::receive_batch(socket, slots);
    ASSERT_TRUE(received) << received.error().message();
    for (std::size_t i = 0; i < *received; ++i) {
      ASSERT_TRUE(slots[i].datagram().has_value()) << slots[i].error().message();
      const auto& d = *slots[i].datagram();
      EXPECT_EQ(std::to_integer<int>(d.icmp[0]), 0);
      EXPECT_TRUE(d.ttl.has_value());
      sources.insert(d.source.to_string());
    }
    for (std::size_t i = *received; i < slots.size(); ++i) EXPECT_FALSE(slots[i].datagram().has_value());
  }
  EXPECT_EQ(sources.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(sys::receive_batch(socket, slots).error(), std::errc::resource_unavailable_try_again);
}

TEST_F(RealSocket, OptionsAreAcceptedByTheKernel) {
  for (auto mode : {SocketMode::dgram, SocketMode::raw}) {
    for (auto family : {wire::Family::v4, wire::Family::v6}) {
      auto socket = open(family, mode);
      ASSERT_TRUE(socket.is_open());
      EXPECT_TRUE(sys::set_ttl(socket, wire::Ttl(3)));
      EXPECT_TRUE(sys::set_multicast_ttl(socket, wire::Ttl(1)));
      EXPECT_TRUE(sys::set_tos(socket, 0x20));
      for (auto pmtu : {sys::PmtuMode::dont, sys::PmtuMode::want, sys::PmtuMode::do_, sys::PmtuMode::probe}) {
        EXPECT_TRUE(sys::set_pmtu_mode(socket, pmtu));
      }
      EXPECT_TRUE(sys::set_mark(socket, 42));
      EXPECT_TRUE(sys::bind_device(socket, "lo"));
      auto rcvbuf = sys::set_receive_buffer(socket, 4u << 20);
      ASSERT_TRUE(rcvbuf);
      EXPECT_GE(*rcvbuf, 4u << 20);  // root: SO_RCVBUFFORCE exceeds rmem_max
      EXPECT_TRUE(sys::set_send_buffer(socket, 1u << 20));
      EXPECT_TRUE(sys::set_nonblocking(socket, false));
      EXPECT_TRUE(sys::set_nonblocking(socket, true));
      EXPECT_TRUE(sys::bind_source(socket, address(family == wire::Family::v4 ? "127.0.0.1" : "::1")));
      if (mode == SocketMode::dgram) EXPECT_TRUE(socket.local_echo_id().has_value());
    }
  }
}

TEST_F(RealSocket, TransmitTimestampsComeThroughTheErrorQueue) {
  for (auto mode : {SocketMode::dgram, SocketMode::raw}) {
    auto socket = open(wire::Family::v4, mode, {.transmit_timestamps = true});
    ASSERT_TRUE(socket.is_open());
    const auto before = std::chrono::system_clock::now();
    for (std::uint16_t seq = 1; seq <= 2; ++seq) {
      ASSERT_TRUE(sys::send_to(socket, echo_request(wire::Family::v4, 0x4b48, seq), address("127.0.0.1")));
    }
    std::array<std::byte, 2048> buffer{};
    std::array<std::byte, sys::recommended_control_size> control{};
    for (std::uint32_t key = 0; key < 2; ++key) {
      ASSERT_TRUE(wait_for(socket.native_handle(), POLLERR));
      auto record = sys::receive_error(socket, buffer, control);
      ASSERT_TRUE(record) << record.error().message();
      EXPECT_EQ(record->origin, sys::ErrorOrigin::txstatus);
      EXPECT_EQ(record->error_number, ENOMSG);
      EXPECT_EQ(record->data, key);
      EXPECT_TRUE(record->probe.empty());
      ASSERT_TRUE(record->kernel_timestamp.has_value());
      const auto stamp = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(*record->kernel_timestamp));
      EXPECT_GE(stamp, before - 1s);
      EXPECT_LE(stamp, std::chrono::system_clock::now() + 1s);
    }
  }
}

TEST_F(RealSocket, EchoIdCanBeRequestedOnBind) {
  auto socket = open(wire::Family::v4, SocketMode::dgram);
  ASSERT_TRUE(sys::bind_source(socket, address("127.0.0.1"), wire::EchoId(0x4b44)));
  ASSERT_TRUE(socket.local_echo_id().has_value());
  EXPECT_EQ(socket.local_echo_id()->value(), 0x4b44);
  auto again = socket.ensure_echo_id();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->value(), 0x4b44);
}

TEST_F(RealSocket, UnprivilegedUserGetsPingSocketNotRaw) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!sys::drop_privileges(65534, 65534)) ::_exit(10);
    auto automatic = IcmpSocket::open(wire::Family::v4);
    if (!automatic || automatic->kind() != SocketKind::dgram) ::_exit(11);
    sys::OpenReport report;
    auto raw = IcmpSocket::open(wire::Family::v6, {.mode = SocketMode::raw}, &report);
    if (raw || raw.error() != make_error_code(errc::permission_denied)) ::_exit(12);
    if (!report.raw || report.raw->error.value() != EPERM) ::_exit(13);
    const auto diagnosis = sys::diagnose(wire::Family::v6);
    if (!diagnosis.dgram.opened || diagnosis.raw.opened || diagnosis.raw.fixes.empty()) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed at step " << WEXITSTATUS(status);
}

}  // namespace
}  // namespace icmpkit
