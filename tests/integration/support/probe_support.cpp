#include "support/probe_support.hpp"

#include <poll.h>

#include <array>
#include <stdexcept>

#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::itest {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::string to_text(ConstBytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

wire::IpAddress address(const std::string& text) {
  auto parsed = wire::IpAddress::parse(text);
  if (!parsed) throw std::runtime_error("bad address " + text);
  return *parsed;
}

std::vector<std::byte> echo_request(wire::Family family, wire::EchoId id, wire::EchoSeq seq,
                                    std::string_view payload) {
  std::vector<std::byte> out(wire::icmp_header_size + payload.size());
  const auto data = std::as_bytes(std::span(payload.data(), payload.size()));
  auto size = wire::encode_echo(family, false, id, seq, data, out);
  if (!size) throw std::runtime_error("encode_echo: " + size.error().message());
  out.resize(*size);
  return out;
}

std::optional<Seen> await_datagram(sys::SocketRef socket, std::chrono::milliseconds timeout,
                                   const std::function<bool(const Seen&)>& wanted, std::vector<Seen>* others) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::byte> buffer(sys::max_datagram_size);
  std::array<std::byte, sys::recommended_control_size> control{};
  for (;;) {
    auto received = sys::receive(socket, buffer, control);
    if (!received) {
      if (received.error() != std::errc::resource_unavailable_try_again) {
        throw std::runtime_error("receive: " + received.error().message());
      }
      const int left = ms_left(deadline);
      if (left == 0) return std::nullopt;
      pollfd pfd{socket.fd, POLLIN, 0};
      ::poll(&pfd, 1, left);
      continue;
    }
    Seen seen;
    seen.source = received->source;
    if (received->ttl) seen.ttl = received->ttl->value();
    seen.had_ip_header = !received->ip_header.empty();
    seen.destination = received->destination;
    seen.interface_index = received->interface_index;
    seen.kernel_timestamp = received->kernel_timestamp;
    if (auto view = wire::parse_icmp(socket.family, received->icmp)) {
      seen.type = view->type;
      seen.code = view->code;
      if (auto echo = wire::decode_echo(*view)) {
        seen.echo_id = echo->id.value();
        seen.echo_seq = echo->seq.value();
        seen.payload = to_text(echo->data);
      }
    }
    if (wanted(seen)) return seen;
    if (others != nullptr) others->push_back(seen);
  }
}

std::function<bool(const Seen&)> echo_reply_to(wire::Family family, wire::EchoSeq seq, std::string payload) {
  const std::uint8_t reply_type =
      family == wire::Family::v4 ? wire::icmpv4_type::echo_reply : wire::icmpv6_type::echo_reply;
  return [=](const Seen& seen) {
    return seen.type == reply_type && seen.echo_seq == seq.value() && seen.payload == payload;
  };
}

std::optional<QueuedError> await_queued_error(sys::SocketRef socket, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::byte> buffer(4096);
  std::array<std::byte, sys::recommended_control_size> control{};
  for (;;) {
    auto record = sys::receive_error(socket, buffer, control);
    if (!record) {
      if (record.error() != errc::no_message) throw std::runtime_error("receive_error: " + record.error().message());
      const int left = ms_left(deadline);
      if (left == 0) return std::nullopt;
      // events = 0: POLLERR is reported whenever the error queue is not empty.
      pollfd pfd{socket.fd, 0, 0};
      ::poll(&pfd, 1, std::min(left, 50));
      continue;
    }
    QueuedError error;
    error.offender = record->offender;
    error.original_destination = record->original_destination;
    error.origin = record->origin;
    error.type = record->icmp_type;
    error.code = record->icmp_code;
    error.info = record->info;
    error.error_number = record->error_number;
    if (auto view = wire::parse_icmp(socket.family, record->probe)) {
      if (auto echo = wire::decode_echo(*view)) error.probe_seq = echo->seq.value();
    }
    return error;
  }
}

void record(lab::ChildReport& report, const std::string& prefix, const QueuedError& error) {
  report.set(prefix + ".offender", error.offender.to_string());
  report.set(prefix + ".destination", error.original_destination.to_string());
  report.set(prefix + ".origin", static_cast<int>(error.origin));
  report.set(prefix + ".type", static_cast<int>(error.type));
  report.set(prefix + ".code", static_cast<int>(error.code));
  report.set(prefix + ".info", static_cast<long long>(error.info));
  report.set(prefix + ".errno", error.error_number);
  if (error.probe_seq) report.set(prefix + ".probe_seq", static_cast<int>(*error.probe_seq));
}

void record(lab::ChildReport& report, const std::string& prefix, const Seen& seen) {
  report.set(prefix + ".source", seen.source.to_string());
  report.set(prefix + ".type", static_cast<int>(seen.type));
  if (seen.ttl) report.set(prefix + ".ttl", *seen.ttl);
  if (seen.echo_seq) report.set(prefix + ".seq", static_cast<int>(*seen.echo_seq));
  if (seen.echo_id) report.set(prefix + ".id", static_cast<int>(*seen.echo_id));
  report.set(prefix + ".payload", seen.payload);
  if (seen.destination) report.set(prefix + ".destination", seen.destination->to_string());
  report.set(prefix + ".ifindex", static_cast<long long>(seen.interface_index));
  if (seen.kernel_timestamp) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *seen.kernel_timestamp);
    report.set(prefix + ".timestamp_age_ms", static_cast<long long>(age.count()));
  }
}

}  // namespace icmpkit::itest
