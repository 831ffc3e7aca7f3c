// File: tests/integration/support/probe_support.hpp
//
// What the sys/ and net/ integration tests do inside their namespace children: build
// an echo request, wait (bounded, with poll) for a matching datagram or a
// queued ICMP error, and record what arrived in the child's report so the
// parent can assert on it. Built only on the public sys/ and wire/ API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"

namespace icmpkit::itest {

using namespace std::chrono_literals;

/// Parses an address or throws std::runtime_error (tests only use lab addresses).
wire::IpAddress address(const std::string& text);

/// A complete echo request: id (ignored by ping sockets, which write their
/// own), seq, payload. The ICMPv4 checksum is set; ICMPv6's is the kernel's.
std::vector<std::byte> echo_request(wire::Family family, wire::EchoId id, wire::EchoSeq seq,
                                    std::string_view payload);

/// One received datagram, copied out of the receive buffer.
struct Seen {
  wire::IpAddress source;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::optional<int> ttl;
  std::optional<std::uint16_t> echo_id;   ///< For echo request/reply.
  std::optional<std::uint16_t> echo_seq;  ///< For echo request/reply.
  std::string payload;                    ///< Echo data.
  bool had_ip_header = false;
  std::optional<wire::IpAddress> destination;       ///< From pktinfo.
  std::uint32_t interface_index = 0;                ///< From pktinfo.
  std::optional<std::chrono::nanoseconds> kernel_timestamp;  ///< CLOCK_REALTIME.
};

/// Waits up to `timeout` for datagrams and returns the first one for which
/// `wanted` is true; every datagram read on the way is appended to `others`
/// (if given). nullopt on timeout.
std::optional<Seen> await_datagram(sys::SocketRef socket, std::chrono::milliseconds timeout,
                                   const std::function<bool(const Seen&)>& wanted,
                                   std::vector<Seen>* others = nullptr);

/// An echo reply with this sequence number and payload.
std::function<bool(const Seen&)> echo_reply_to(wire::Family family, wire::EchoSeq seq, std::string payload);

/// One error-queue record, copied.
struct QueuedError {
  wire::IpAddress offender;
  wire::IpAddress original_destination;
  sys::ErrorOrigin origin = sys::ErrorOrigin::none;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t info = 0;
  int error_number = 0;
  std::optional<std::uint16_t> probe_seq;  ///< Sequence of the echo the kernel handed back.
};

/// Waits up to `timeout` for the error queue to hold a record and reads it.
std::optional<QueuedError> await_queued_error(sys::SocketRef socket, std::chrono::milliseconds timeout);

/// Records a QueuedError under "<prefix>.offender", ".type", ".code", ".info",
/// ".origin", ".errno", ".destination", ".probe_seq".
void record(lab::ChildReport& report, const std::string& prefix, const QueuedError& error);
/// Records a Seen under "<prefix>.source", ".type", ".ttl", ".seq", ".id",
/// ".payload", ".destination", ".ifindex", ".timestamp_age_ms" (receive
/// timestamp's age when recorded, from CLOCK_REALTIME).
void record(lab::ChildReport& report, const std::string& prefix, const Seen& seen);

/// Family name for test names and messages.
inline const char* family_name(wire::Family family) { return family == wire::Family::v4 ? "v4" : "v6"; }

}  // namespace icmpkit::itest
