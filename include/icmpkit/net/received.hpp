// File: icmpkit/net/received.hpp
//
// What one receive on an icmp socket yields: either a decoded ICMP message
// with how it arrived (source, TTL / hop limit, kernel timestamp, interface,
// destination), or a record from the IP_RECVERR / IPV6_RECVERR error queue
// (an ICMP error the kernel matched to one of our probes: offender,
// type/code, MTU, the probe it quotes). Both come through the same receive so
// a caller waiting for replies never misses an error. RFC 792, RFC 4443.
#pragma once

#include <optional>
#include <utility>
#include <variant>

#include "icmpkit/sys/receive.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::net {

/// A message read from the socket's normal receive queue. Views point into the
/// buffer passed to receive, so they live as long as that buffer is untouched.
struct ReceivedMessage {
  wire::IcmpView icmp;              ///< The message, header checked (8 bytes at least).
  sys::ReceivedDatagram datagram;   ///< Source, TTL, timestamp, interface, destination.
};

/// A record read from the error queue: an ICMP error (or a local error) about
/// one of the probes this socket sent. `record.probe` points into the buffer
/// passed to receive.
struct ReceivedError {
  sys::ErrorQueueRecord record;     ///< Offender, origin, type/code, MTU (info), errno.
  /// The probe the kernel handed back, parsed when it holds a full ICMP
  /// header (on Linux it does; the kernel returns what it sent, no IP header).
  std::optional<wire::IcmpView> probe;
};

/// One receive's result: a message or an error-queue record.
///
/// A class rather than a bare std::variant on purpose: Asio's awaitable
/// operators flatten nested variants, so `co_await (receive || timer)` on a
/// std::variant result would yield variant<Message, Error, monostate> and
/// break index-based code; with a class it is variant<Received, monostate>.
class Received {
 public:
  enum class Kind : unsigned char { message, error };

  /// An empty message (what a failed operation passes to its handler).
  Received() = default;
  Received(ReceivedMessage message) : value_(std::move(message)) {}  // NOLINT: implicit by design
  Received(ReceivedError error) : value_(std::move(error)) {}        // NOLINT: implicit by design

  Kind kind() const noexcept { return value_.index() == 0 ? Kind::message : Kind::error; }
  bool is_message() const noexcept { return kind() == Kind::message; }
  bool is_error() const noexcept { return kind() == Kind::error; }

  /// The message, or nullptr when this holds an error-queue record.
  const ReceivedMessage* message() const noexcept { return std::get_if<ReceivedMessage>(&value_); }
  /// The error-queue record, or nullptr when this holds a message.
  const ReceivedError* error() const noexcept { return std::get_if<ReceivedError>(&value_); }

  /// For std::visit.
  const std::variant<ReceivedMessage, ReceivedError>& variant() const noexcept { return value_; }

 private:
  std::variant<ReceivedMessage, ReceivedError> value_;
};

/// The message, or nullptr when `received` holds an error-queue record.
inline const ReceivedMessage* as_message(const Received& received) noexcept { return received.message(); }

/// The error-queue record, or nullptr when `received` holds a message.
inline const ReceivedError* as_error(const Received& received) noexcept { return received.error(); }

}  // namespace icmpkit::net
