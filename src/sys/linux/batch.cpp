// sendmmsg / recvmmsg on Linux. Message headers live on the stack in chunks
// of max_batch, so a call allocates nothing.
#include "icmpkit/sys/batch.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "datagram.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {

struct ReceiveSlotAccess {
  static std::byte* name(ReceiveSlot& slot) noexcept { return slot.name_.data(); }
  static std::size_t name_size(const ReceiveSlot& slot) noexcept { return slot.name_.size(); }
  static void clear(ReceiveSlot& slot) noexcept {
    slot.datagram_.reset();
    slot.error_ = {};
  }
  static void set(ReceiveSlot& slot, Result<ReceivedDatagram>&& result) noexcept {
    if (result) {
      slot.datagram_ = std::move(result).value();
      slot.error_ = {};
    } else {
      slot.datagram_.reset();
      slot.error_ = result.error();
    }
  }
};

namespace {

static_assert(sizeof(sockaddr_in6) <= 32, "ReceiveSlot name storage too small");

std::error_code would_block() noexcept { return std::make_error_code(std::errc::resource_unavailable_try_again); }

int sendmmsg_retrying(int fd, mmsghdr* messages, unsigned count) noexcept {
  const int rc = linux_detail::retry_on_eintr([&] { return detail::system_calls().sendmmsg(fd, messages, count, MSG_DONTWAIT); });
  return rc;
}

}  // namespace

Result<std::size_t> send_batch(SocketRef socket, std::span<const OutgoingDatagram> datagrams,
                               SendOutcome* outcome) noexcept {
  if (outcome) *outcome = {};
  if (datagrams.size() == 1) {
    // One datagram (a flood sends one per reply): sendto(), which the kernel
    // takes without copying in a message header and an iovec as it does for
    // every sendmmsg() entry. send_to() retries the pending error the same way.
    auto sent = send_to(socket, datagrams[0].icmp, datagrams[0].destination);
    if (!sent) return unexpected(sent.error());
    if (outcome) *outcome = *sent;
    return std::size_t{1};
  }
  std::size_t total = 0;
  bool retried = false;
  while (total < datagrams.size()) {
    mmsghdr messages[max_batch];
    iovec vectors[max_batch];
    linux_detail::IpSocketAddress addresses[max_batch];
    const std::size_t wanted = std::min(max_batch, datagrams.size() - total);
    std::size_t count = 0;
    for (; count < wanted; ++count) {
      const OutgoingDatagram& datagram = datagrams[total + count];
      if (datagram.destination.family() != socket.family) break;
      const socklen_t address_length = linux_detail::fill_sockaddr(datagram.destination, addresses[count]);
      vectors[count].iov_base = const_cast<std::byte*>(datagram.icmp.data());
      vectors[count].iov_len = datagram.icmp.size();
      messages[count] = {};
      messages[count].msg_hdr.msg_name = &addresses[count];
      messages[count].msg_hdr.msg_namelen = address_length;
      messages[count].msg_hdr.msg_iov = &vectors[count];
      messages[count].msg_hdr.msg_iovlen = 1;
    }
    if (count == 0) {
      if (total == 0) return errc::address_family_not_supported;
      break;
    }
    const int rc = sendmmsg_retrying(socket.fd, messages, static_cast<unsigned>(count));
    if (rc < 0) {
      const int error_number = errno;
      if (total > 0) break;  // report progress; the caller's next call meets the error first
      if (linux_detail::is_would_block(error_number)) return unexpected(would_block());
      // The first message met the pending error of an earlier probe (see
      // send.cpp): it was not sent; retry exactly once.
      if (!retried && is_reported_icmp_error(error_number)) {
        retried = true;
        if (outcome) {
          outcome->pending_error_reported = true;
          outcome->pending_error = linux_detail::errno_code(error_number);
        }
        continue;
      }
      if (outcome) *outcome = {};
      return unexpected(linux_detail::errno_code(error_number));
    }
    for (int i = 0; i < rc; ++i) {
      if (outcome) outcome->bytes += messages[i].msg_len;
    }
    total += static_cast<std::size_t>(rc);
    if (static_cast<std::size_t>(rc) < count) break;
  }
  return total;
}

Result<std::size_t> receive_batch(SocketRef socket, std::span<ReceiveSlot> slots, bool* pending_error) noexcept {
  for (ReceiveSlot& slot : slots) ReceiveSlotAccess::clear(slot);
  std::size_t total = 0;
  while (total < slots.size()) {
    mmsghdr messages[max_batch];
    iovec vectors[max_batch];
    const std::size_t count = std::min(max_batch, slots.size() - total);
    for (std::size_t i = 0; i < count; ++i) {
      ReceiveSlot& slot = slots[total + i];
      vectors[i].iov_base = slot.buffer().data();
      vectors[i].iov_len = slot.buffer().size();
      messages[i] = {};
      messages[i].msg_hdr.msg_name = ReceiveSlotAccess::name(slot);
      messages[i].msg_hdr.msg_namelen = static_cast<socklen_t>(ReceiveSlotAccess::name_size(slot));
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = slot.control().empty() ? nullptr : slot.control().data();
      messages[i].msg_hdr.msg_controllen = slot.control().size();
    }
    int rc = -1;
    bool retried = false;
    for (int attempt = 0; attempt < 100; ++attempt) {
      rc = detail::system_calls().recvmmsg(socket.fd, messages, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
      if (rc >= 0) break;
      if (errno == EINTR) continue;
      // The socket's pending ICMP error is reported once before any datagram
      // (see receive.cpp); the record stays in the error queue.
      if (!retried && is_reported_icmp_error(errno)) {
        retried = true;
        if (pending_error) *pending_error = true;
        continue;
      }
      break;
    }
    if (rc < 0) {
      if (total > 0) break;
      if (linux_detail::is_would_block(errno)) return unexpected(would_block());
      return linux_detail::last_error();
    }
    for (int i = 0; i < rc; ++i) {
      ReceiveSlot& slot = slots[total + static_cast<std::size_t>(i)];
      ReceiveSlotAccess::set(slot, linux_detail::make_datagram(socket, messages[i].msg_hdr, messages[i].msg_len,
                                                               slot.buffer()));
    }
    total += static_cast<std::size_t>(rc);
    if (static_cast<std::size_t>(rc) < count) break;
  }
  return total;
}

}  // namespace icmpkit::sys
