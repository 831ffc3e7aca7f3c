// send_to() / receive() / receive_error() through the system-call seam:
// retry rules, error mapping and control-message parsing, with message
// headers filled the way the kernel fills them.
#include <gtest/gtest.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "captures.hpp"
#include "fake_kernel.hpp"
#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"

namespace icmpkit {
namespace {

using sys::SocketKind;
using sys::SocketRef;
using test::FakeKernel;

const SocketRef ping_v4{7, wire::Family::v4, SocketKind::dgram};
const SocketRef raw_v4{7, wire::Family::v4, SocketKind::raw};
const SocketRef ping_v6{7, wire::Family::v6, SocketKind::dgram};

wire::IpAddress address(const char* text) { return *wire::IpAddress::parse(text); }

const std::array<std::byte, 8> probe{std::byte{8}};

TEST(SendTo, SucceedsWithoutRetry) {
  FakeKernel kernel;
  auto sent = sys::send_to(ping_v4, probe, address("127.0.0.1"));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->bytes, probe.size());
  EXPECT_FALSE(sent->pending_error_reported);
  EXPECT_EQ(kernel->sendto_calls, 1);
}

TEST(SendTo, RetriesOnceAfterPendingIcmpErrorAndSaysSo) {
  for (int pending : {EHOSTUNREACH, ENETUNREACH, ECONNREFUSED, EMSGSIZE, EACCES, EPROTO}) {
    FakeKernel kernel;
    kernel->sendto_errors = {pending, 0};
    auto sent = sys::send_to(ping_v4, probe, address("10.0.0.1"));
    ASSERT_TRUE(sent) << pending;
    EXPECT_TRUE(sent->pending_error_reported);
    EXPECT_EQ(sent->pending_error, std::error_code(pending, std::system_category()));
    EXPECT_EQ(kernel->sendto_calls, 2);
  }
}

TEST(SendTo, ReturnsErrorWhenRetryFailsToo) {
  FakeKernel kernel;
  kernel->sendto_errors = {EHOSTUNREACH, EHOSTUNREACH, 0};
  auto sent = sys::send_to(ping_v4, probe, address("10.0.0.1"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), std::error_code(EHOSTUNREACH, std::system_category()));
  EXPECT_EQ(kernel->sendto_calls, 2);  // exactly one retry
}

TEST(SendTo, OtherErrorsAreNotRetried) {
  FakeKernel kernel;
  kernel->sendto_errors = {EBADF};
  auto sent = sys::send_to(ping_v4, probe, address("10.0.0.1"));
  EXPECT_EQ(sent.error(), std::error_code(EBADF, std::system_category()));
  EXPECT_EQ(kernel->sendto_calls, 1);
}

TEST(SendTo, FullBufferIsWouldBlock) {
  FakeKernel kernel;
  kernel->sendto_errors = {EAGAIN};
  auto sent = sys::send_to(ping_v4, probe, address("10.0.0.1"));
  EXPECT_EQ(sent.error(), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(sent.error(), std::errc::operation_would_block);
}

TEST(SendTo, EintrIsRetried) {
  FakeKernel kernel;
  kernel->sendto_errors = {EINTR, EINTR, 0};
  auto sent = sys::send_to(ping_v4, probe, address("10.0.0.1"));
  ASSERT_TRUE(sent);
  EXPECT_FALSE(sent->pending_error_reported);
  EXPECT_EQ(kernel->sendto_calls, 3);
}

TEST(SendTo, RejectsDestinationOfOtherFamily) {
  FakeKernel kernel;
  EXPECT_EQ(sys::send_to(ping_v6, probe, address("10.0.0.1")).error(),
            make_error_code(errc::address_family_not_supported));
  EXPECT_EQ(kernel->sendto_calls, 0);
}

/// Builds a control buffer the way the kernel does: a list of cmsghdrs.
class ControlWriter {
 public:
  explicit ControlWriter(msghdr& message) : message_(message) {
    cursor_ = static_cast<unsigned char*>(message.msg_control);
    capacity_ = message.msg_controllen;
    message_.msg_controllen = 0;
  }
  template <class T>
  void add(int level, int type, const T& value) {
    ASSERT_LE(used_ + CMSG_SPACE(sizeof(T)), capacity_);
    auto* cmsg = reinterpret_cast<cmsghdr*>(cursor_ + used_);
    cmsg->cmsg_level = level;
    cmsg->cmsg_type = type;
    cmsg->cmsg_len = CMSG_LEN(sizeof(T));
    std::memcpy(CMSG_DATA(cmsg), &value, sizeof(T));
    used_ += CMSG_SPACE(sizeof(T));
    message_.msg_controllen = used_;
  }

 private:
  msghdr& message_;
  unsigned char* cursor_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
};

void set_source_v4(msghdr& message, const char* text) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  const auto bytes = address(text).v4();
  std::memcpy(&sin.sin_addr, bytes.data(), 4);
  std::memcpy(message.msg_name, &sin, sizeof sin);
  message.msg_namelen = sizeof sin;
}

std::ptrdiff_t copy_payload(msghdr& message, std::span<const std::byte> payload) {
  const std::size_t n = std::min(payload.size(), message.msg_iov[0].iov_len);
  std::memcpy(message.msg_iov[0].iov_base, payload.data(), n);
  if (n < payload.size()) message.msg_flags |= MSG_TRUNC;
  return static_cast<std::ptrdiff_t>(n);
}

TEST(Receive, PingSocketDatagramWithControlMessages) {
  FakeKernel kernel;
  const auto reply = test_captures::bytes(test_captures::lo_v4_echo_reply).subspan(20);  // as a ping socket gives it
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "127.0.0.1");
    ControlWriter control(message);
    control.add(IPPROTO_IP, IP_TTL, int{61});
    control.add(IPPROTO_IP, IP_TOS, std::uint8_t{0x10});
    in_pktinfo info{};
    info.ipi_ifindex = 3;
    info.ipi_addr.s_addr = htonl(0x7f000002);
    control.add(IPPROTO_IP, IP_PKTINFO, info);
    control.add(SOL_SOCKET, 35 /* SO_TIMESTAMPNS_OLD */, timespec{1700000000, 123456789});
    return copy_payload(message, reply);
  };
  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto datagram = sys::receive(ping_v4, buffer, control);
  ASSERT_TRUE(datagram) << datagram.error().message();
  EXPECT_EQ(datagram->source, address("127.0.0.1"));
  ASSERT_TRUE(datagram->destination);
  EXPECT_EQ(*datagram->destination, address("127.0.0.2"));
  EXPECT_EQ(datagram->interface_index, 3u);
  EXPECT_EQ(datagram->ttl, wire::Ttl(61));
  EXPECT_EQ(datagram->tos, std::uint8_t{0x10});
  ASSERT_TRUE(datagram->kernel_timestamp);
  EXPECT_EQ(datagram->kernel_timestamp->count(), 1700000000123456789LL);
  EXPECT_TRUE(datagram->ip_header.empty());
  ASSERT_EQ(datagram->icmp.size(), reply.size());
  EXPECT_EQ(std::memcmp(datagram->icmp.data(), reply.data(), reply.size()), 0);
  EXPECT_FALSE(datagram->truncated);
  EXPECT_TRUE(kernel->last_recvmsg_flags & MSG_DONTWAIT);
}

TEST(Receive, RawV4StripsCapturedHeaderAndTakesTtlFromIt) {
  FakeKernel kernel;
  const auto packet = test_captures::bytes(test_captures::veth_v4_host_unreachable);
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "10.77.0.2");
    message.msg_controllen = 0;
    return copy_payload(message, packet);
  };
  std::array<std::byte, 2048> buffer{};
  auto datagram = sys::receive(raw_v4, buffer, {});
  ASSERT_TRUE(datagram) << datagram.error().message();
  EXPECT_EQ(datagram->ip_header.size(), 20u);
  EXPECT_EQ(datagram->icmp.size(), packet.size() - 20);
  EXPECT_EQ(std::to_integer<int>(datagram->icmp[0]), 3);  // destination unreachable
  EXPECT_EQ(datagram->ttl, wire::Ttl(std::to_integer<std::uint8_t>(packet[8])));
  EXPECT_EQ(datagram->tos, std::to_integer<std::uint8_t>(packet[1]));
}

TEST(Receive, RawV4MalformedHeadersAreReportedPrecisely) {
  struct Case {
    std::vector<std::uint8_t> bytes;
    errc expected;
  };
  std::vector<std::uint8_t> ihl_too_long(test_captures::lo_v4_echo_reply,
                                         test_captures::lo_v4_echo_reply + 24);
  ihl_too_long[0] = 0x4f;  // 60-byte header claimed, 24 bytes present
  std::vector<std::uint8_t> ihl_too_short(test_captures::lo_v4_echo_reply, test_captures::lo_v4_echo_reply + 84);
  ihl_too_short[0] = 0x44;
  std::vector<std::uint8_t> version6(test_captures::lo_v4_echo_reply, test_captures::lo_v4_echo_reply + 84);
  version6[0] = 0x65;
  const Case cases[] = {
      {std::vector<std::uint8_t>(test_captures::lo_v4_echo_reply, test_captures::lo_v4_echo_reply + 12),
       errc::truncated},
      {ihl_too_long, errc::truncated},
      {ihl_too_short, errc::bad_length},
      {version6, errc::bad_version},
  };
  for (const Case& c : cases) {
    FakeKernel kernel;
    kernel->on_recvmsg = [&](msghdr& message) {
      set_source_v4(message, "127.0.0.1");
      message.msg_controllen = 0;
      return copy_payload(message, std::as_bytes(std::span(c.bytes)));
    };
    std::array<std::byte, 2048> buffer{};
    EXPECT_EQ(sys::receive(raw_v4, buffer, {}).error(), make_error_code(c.expected));
  }
}

TEST(Receive, SmallBufferReportsTruncation) {
  FakeKernel kernel;
  const auto reply = test_captures::bytes(test_captures::lo_v4_echo_reply).subspan(20);
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "127.0.0.1");
    message.msg_controllen = 0;
    return copy_payload(message, reply);
  };
  std::array<std::byte, 16> buffer{};
  auto datagram = sys::receive(ping_v4, buffer, {});
  ASSERT_TRUE(datagram);
  EXPECT_TRUE(datagram->truncated);
  EXPECT_EQ(datagram->icmp.size(), 16u);
}

TEST(Receive, EmptyQueueIsWouldBlockAndEintrIsRetried) {
  FakeKernel kernel;
  kernel->recvmsg_errors = {EINTR, EAGAIN};
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(sys::receive(ping_v4, buffer, {}).error(), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(kernel->recvmsg_calls, 2);
}

TEST(Receive, PendingErrorIsRetriedOnceAndReported) {
  FakeKernel kernel;
  const auto reply = test_captures::bytes(test_captures::lo_v4_echo_reply).subspan(20);
  kernel->recvmsg_errors = {EHOSTUNREACH};
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "127.0.0.1");
    message.msg_controllen = 0;
    return copy_payload(message, reply);
  };
  std::array<std::byte, 2048> buffer{};
  auto datagram = sys::receive(ping_v4, buffer, {});
  ASSERT_TRUE(datagram) << datagram.error().message();
  EXPECT_TRUE(datagram->pending_error_reported);
  EXPECT_EQ(kernel->recvmsg_calls, 2);
  auto next = sys::receive(ping_v4, buffer, {});
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->pending_error_reported);
}

TEST(Receive, PendingErrorWithEmptyQueueIsWouldBlock) {
  FakeKernel kernel;
  kernel->recvmsg_errors = {ECONNREFUSED, EAGAIN};
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(sys::receive(ping_v4, buffer, {}).error(), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(kernel->recvmsg_calls, 2);
}

TEST(Receive, OtherErrorsAreNotRetried) {
  FakeKernel kernel;
  kernel->recvmsg_errors = {EBADF, 0};
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(sys::receive(ping_v4, buffer, {}).error(), std::error_code(EBADF, std::system_category()));
  EXPECT_EQ(kernel->recvmsg_calls, 1);
}

TEST(ReceiveError, EmptyQueueIsNoMessage) {
  FakeKernel kernel;
  kernel->recvmsg_errors = {EAGAIN};
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(sys::receive_error(ping_v4, buffer, {}).error(), make_error_code(errc::no_message));
  EXPECT_TRUE(kernel->last_recvmsg_flags & MSG_ERRQUEUE);
}

TEST(ReceiveError, ParsesExtendedErrorWithOffender) {
  FakeKernel kernel;
  // The kernel hands back the probe: the ICMP message quoted in the
  // captured host unreachable (after its 8-byte header and 20-byte IP quote).
  const auto error_packet = test_captures::bytes(test_captures::veth_v4_host_unreachable);
  const auto quoted_probe = error_packet.subspan(20 + 8 + 20);
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "10.77.0.2");
    struct {
      sock_extended_err ee;
      sockaddr_in offender;
    } record{};
    record.ee.ee_errno = EHOSTUNREACH;
    record.ee.ee_origin = SO_EE_ORIGIN_ICMP;
    record.ee.ee_type = 3;
    record.ee.ee_code = 1;
    record.offender.sin_family = AF_INET;
    record.offender.sin_addr.s_addr = htonl(0x0a4d0002);
    ControlWriter control(message);
    control.add(IPPROTO_IP, IP_RECVERR, record);
    control.add(IPPROTO_IP, IP_TTL, int{64});
    message.msg_flags |= MSG_ERRQUEUE;
    return copy_payload(message, quoted_probe);
  };
  std::array<std::byte, 2048> buffer{};
  std::array<std::byte, sys::recommended_control_size> control{};
  auto record = sys::receive_error(ping_v4, buffer, control);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->origin, sys::ErrorOrigin::icmp);
  EXPECT_EQ(record->icmp_type, 3);
  EXPECT_EQ(record->icmp_code, 1);
  EXPECT_EQ(record->error_number, EHOSTUNREACH);
  EXPECT_EQ(record->offender, address("10.77.0.2"));
  EXPECT_EQ(record->original_destination, address("10.77.0.2"));
  EXPECT_EQ(record->ttl, wire::Ttl(64));
  ASSERT_EQ(record->probe.size(), quoted_probe.size());
  EXPECT_EQ(std::to_integer<int>(record->probe[0]), 8);  // our echo request
}

TEST(ReceiveError, MissingExtendedErrorIsBadLength) {
  FakeKernel kernel;
  kernel->on_recvmsg = [&](msghdr& message) {
    set_source_v4(message, "10.77.0.2");
    message.msg_controllen = 0;
    message.msg_flags |= MSG_CTRUNC;
    return std::ptrdiff_t{0};
  };
  std::array<std::byte, 64> buffer{};
  EXPECT_EQ(sys::receive_error(ping_v4, buffer, {}).error(), make_error_code(errc::bad_length));
}

TEST(SendBatch, WrongFamilyFirstIsAnError) {
  FakeKernel kernel;
  const sys::OutgoingDatagram datagrams[] = {{probe, address("::1")}};
  EXPECT_EQ(sys::send_batch(ping_v4, datagrams).error(), make_error_code(errc::address_family_not_supported));
}

// A flood sends one probe per call: sendto, not a one-entry sendmmsg, whose
// message header and iovec the kernel copies in first.
TEST(SendBatch, OneDatagramGoesOutThroughSendtoAndMoreThroughSendmmsg) {
  FakeKernel kernel;
  sys::SendOutcome outcome;
  const sys::OutgoingDatagram one[] = {{probe, address("127.0.0.1")}};
  EXPECT_EQ(sys::send_batch(ping_v4, one, &outcome).value(), 1u);
  EXPECT_EQ(outcome.bytes, probe.size());
  EXPECT_EQ(kernel->sendto_calls, 1);
  EXPECT_EQ(kernel->sendmmsg_calls, 0);
  const sys::OutgoingDatagram two[] = {{probe, address("127.0.0.1")}, {probe, address("127.0.0.2")}};
  EXPECT_EQ(sys::send_batch(ping_v4, two, &outcome).value(), 2u);
  EXPECT_EQ(outcome.bytes, 2 * probe.size());
  EXPECT_EQ(kernel->sendto_calls, 1);
  EXPECT_EQ(kernel->sendmmsg_calls, 1);
}

TEST(SendBatch, OneDatagramRetriesThePendingErrorOnceAndSaysSo) {
  FakeKernel kernel;
  kernel->sendto_errors = {EHOSTUNREACH, 0};
  sys::SendOutcome outcome;
  const sys::OutgoingDatagram one[] = {{probe, address("10.0.0.1")}};
  EXPECT_EQ(sys::send_batch(ping_v4, one, &outcome).value(), 1u);
  EXPECT_TRUE(outcome.pending_error_reported);
  EXPECT_EQ(outcome.pending_error, std::error_code(EHOSTUNREACH, std::system_category()));
  EXPECT_EQ(kernel->sendto_calls, 2);
}

TEST(SendBatch, OneDatagramFailsAsSendToDoes) {
  FakeKernel kernel;
  kernel->sendto_errors = {EHOSTUNREACH, EHOSTUNREACH, EAGAIN};
  sys::SendOutcome outcome;
  const sys::OutgoingDatagram one[] = {{probe, address("10.0.0.1")}};
  const auto failed = sys::send_batch(ping_v4, one, &outcome);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), std::error_code(EHOSTUNREACH, std::system_category()));
  EXPECT_FALSE(outcome.pending_error_reported);
  EXPECT_EQ(sys::send_batch(ping_v4, one).error(), std::make_error_code(std::errc::resource_unavailable_try_again));
  EXPECT_EQ(kernel->sendmmsg_calls, 0);
}

}  // namespace
}  // namespace icmpkit
