// ProbeOutbox: batched sends for net::Pinger. See probe_outbox.hpp.
#include "probe_outbox.hpp"

#include <algorithm>
#include <array>

#include "icmpkit/net/socket_ops.hpp"
#include "icmpkit/sys/batch.hpp"

namespace icmpkit::net::detail {

namespace {

// Large probes (ping -s 65000) get smaller batches: the buffers stay near this.
constexpr std::size_t batch_bytes = std::size_t{256} << 10;

bool same_socket_options(const engine::Transmit& a, const engine::Transmit& b) noexcept {
  return a.ttl == b.ttl && a.tos == b.tos && a.dont_fragment == b.dont_fragment;
}

std::chrono::nanoseconds realtime_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
}

// The point i + 1 of n between `before` and `after`.
template <class T>
T interpolate(T before, T after, std::size_t i, std::size_t n) {
  return before + (after - before) * static_cast<long>(i + 1) / static_cast<long>(n);
}

}  // namespace

void ProbeOutbox::reserve_for(std::size_t max_probe_bytes) {
  if (max_probe_bytes <= probe_bytes_ && !buffers_.empty()) return;  // every request start asks
  probe_bytes_ = max_probe_bytes;
  const std::size_t count = std::clamp<std::size_t>(batch_bytes / std::max<std::size_t>(max_probe_bytes, 1), 1,
                                                    sys::max_batch);
  // Resizing keeps what queued probes hold; never fewer buffers than them.
  buffers_.resize(std::max(count, queued_.size()));
  for (auto& buffer : buffers_) {
    if (buffer.size() < max_probe_bytes) buffer.resize(max_probe_bytes);
  }
}

std::size_t ProbeOutbox::run_length() const noexcept {
  std::size_t end = head_ + 1;
  while (end < queued_.size() && same_socket_options(queued_[end], queued_[head_])) ++end;
  return end - head_;
}

bool ProbeOutbox::flush(sys::SocketRef socket, engine::PingEngine& engine, const ApplyOptions& apply_options) {
  std::array<sys::OutgoingDatagram, sys::max_batch> datagrams;
  while (!empty()) {
    if (const auto ec = apply_options(queued_[head_])) {
      engine.on_send_failed(queued_[head_].handle, engine::Clock::now(), ec);
      ++head_;
      continue;
    }
    const std::size_t run = std::min(run_length(), datagrams.size());
    for (std::size_t i = 0; i < run; ++i) {
      const auto& probe = queued_[head_ + i];
      datagrams[i] = {ConstBytes(buffers_[head_ + i]).first(probe.length), probe.destination};
    }
    const auto steady_before = engine::Clock::now();
    const auto real_before = realtime_now();
    sys::SendOutcome outcome;
    const auto sent = sys::send_batch(socket, std::span(datagrams.data(), run), &outcome);
    if (outcome.pending_error_reported || (sent && *sent < run) ||
        (!sent && sent.error().category() == std::system_category() &&
         sys::is_reported_icmp_error(sent.error().value()))) {
      error_hint_ = true;
    }
    const auto steady_after = engine::Clock::now();
    const auto real_after = realtime_now();
    if (!sent) {
      if (is_would_block(sent.error())) return false;
      engine.on_send_failed(queued_[head_].handle, steady_after, sent.error());
      ++head_;
      continue;
    }
    for (std::size_t i = 0; i < *sent; ++i) {
      const auto real_end = interpolate(real_before, real_after, i, *sent);
      const auto real_start = i == 0 ? real_before : interpolate(real_before, real_after, i - 1, *sent);
      engine.on_sent(queued_[head_ + i].handle, interpolate(steady_before, steady_after, i, *sent), real_end,
                     real_end - real_start);
      if (keys_ != nullptr) keys_->log_send(queued_[head_ + i].handle);
    }
    head_ += *sent;
  }
  clear();
  return true;
}

}  // namespace icmpkit::net::detail
