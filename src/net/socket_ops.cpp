#include "icmpkit/net/socket_ops.hpp"

#include <array>

#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"

namespace icmpkit::net {
namespace {

// A single attempt may skip malformed datagrams; bounding the skips keeps one
// call short under a flood. Reporting "would block" afterwards is safe: the
// caller's readiness wait re-checks the level and returns at once.
constexpr int max_skips_per_call = 32;

void count(std::uint64_t ReceiveStats::*field, ReceiveStats* stats) noexcept {
  if (stats != nullptr) ++(stats->*field);
}

}  // namespace

Result<Received> receive_now(sys::SocketRef socket, MutableBytes buffer, ReceiveStats* stats) noexcept {
  // Control messages are decoded into values by sys/, so the control buffer
  // can live on this frame.
  std::array<std::byte, sys::recommended_control_size> control{};
  for (int attempt = 0; attempt < max_skips_per_call; ++attempt) {
    auto queued = sys::receive_error(socket, buffer, control);
    if (queued) {
      ReceivedError out{*queued, std::nullopt};
      if (auto probe = wire::parse_icmp(socket.family, queued->probe)) out.probe = *probe;
      return Received(out);
    }
    if (queued.error() == errc::bad_length) {  // record consumed but unusable
      count(&ReceiveStats::malformed, stats);
      continue;
    }
    if (queued.error() != errc::no_message) return unexpected(queued.error());

    auto datagram = sys::receive(socket, buffer, control);
    if (datagram) {
      auto view = wire::parse_icmp(socket.family, datagram->icmp);
      if (!view) {
        count(&ReceiveStats::malformed, stats);
        continue;
      }
      return Received(ReceivedMessage{*view, *datagram});
    }
    const std::error_code ec = datagram.error();
    if (is_would_block(ec)) return unexpected(ec);
    if (ec.category() == error_category()) {  // malformed raw IPv4 header, consumed
      count(&ReceiveStats::malformed, stats);
      continue;
    }
    if (ec.category() == std::system_category() && sys::is_reported_icmp_error(ec.value())) {
      // An ICMP error arrived between the two reads: its record is queued now.
      count(&ReceiveStats::pending_errors, stats);
      continue;
    }
    return unexpected(ec);
  }
  return unexpected(std::make_error_code(std::errc::operation_would_block));
}

Result<std::size_t> send_now(sys::SocketRef socket, ConstBytes icmp, const wire::IpAddress& destination) noexcept {
  auto outcome = sys::send_to(socket, icmp, destination);
  if (!outcome) return unexpected(outcome.error());
  return outcome->bytes;
}

Result<sys::IcmpSocket> open_nonblocking(wire::Family family, sys::OpenOptions options) noexcept {
  options.nonblocking = true;
  return sys::IcmpSocket::open(family, options);
}

}  // namespace icmpkit::net
