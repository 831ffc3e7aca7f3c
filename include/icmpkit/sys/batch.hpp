// File: icmpkit/sys/batch.hpp
//
// Batched send and receive (Linux sendmmsg/recvmmsg): one system call for
// many probes or replies, the way a pinger with thousands of targets on one
// socket keeps up. No allocation per call: the caller owns every buffer.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <system_error>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// One message to send.
struct OutgoingDatagram {
  ConstBytes icmp;
  wire::IpAddress destination;
};

/// Most messages handed to the kernel per sendmmsg/recvmmsg call (larger
/// spans are sent in several calls).
inline constexpr std::size_t max_batch = 64;

/// Sends as many of `datagrams` as the kernel accepts, in order. Returns how
/// many were sent (a prefix of the span). Stops at the first datagram the
/// kernel refuses: if that is datagram 0 the error is returned (same errors
/// as send_to(), including the one-shot pending ICMP error, which is retried
/// once); otherwise the count so far. A datagram of the wrong family stops
/// the batch there (errc::address_family_not_supported if first).
/// `outcome`, if given, receives the bytes sent and whether a pending ICMP
/// error was met and retried (then drain the error queue). A single
/// datagram goes out through send_to() (sendto, cheaper than sendmmsg).
Result<std::size_t> send_batch(SocketRef socket, std::span<const OutgoingDatagram> datagrams,
                               SendOutcome* outcome = nullptr) noexcept;

/// A caller-owned receive slot: buffers in, a datagram (or nothing) out.
class ReceiveSlot {
 public:
  ReceiveSlot() noexcept = default;
  ReceiveSlot(MutableBytes buffer, MutableBytes control) noexcept : buffer_(buffer), control_(control) {}

  MutableBytes buffer() const noexcept { return buffer_; }
  MutableBytes control() const noexcept { return control_; }

  /// Filled by receive_batch(); nullopt if the slot received nothing or its
  /// datagram was malformed (then error() says why).
  const std::optional<ReceivedDatagram>& datagram() const noexcept { return datagram_; }
  std::error_code error() const noexcept { return error_; }

 private:
  friend struct ReceiveSlotAccess;
  MutableBytes buffer_;
  MutableBytes control_;
  std::optional<ReceivedDatagram> datagram_;
  std::error_code error_;
  // Room for the sender's address (a sockaddr_in6 is 28 bytes).
  alignas(8) std::array<std::byte, 32> name_{};
};

/// Receives up to slots.size() datagrams in one recvmmsg call per max_batch
/// slots, without blocking (MSG_DONTWAIT). Returns how many slots were
/// filled (a prefix). Slots beyond the count are cleared.
/// The socket's pending ICMP error (IP_RECVERR), which the kernel reports
/// once when the queue is empty, is passed over (its record stays in the
/// error queue); `pending_error`, if given, is set to true when that happened,
/// so the caller knows to read the error queue.
/// Errors: std::errc::resource_unavailable_try_again when nothing is queued;
/// OS errors.
Result<std::size_t> receive_batch(SocketRef socket, std::span<ReceiveSlot> slots,
                                  bool* pending_error = nullptr) noexcept;

}  // namespace icmpkit::sys
