// ProbeOutbox (internal to net::Pinger): echo requests the engine has built,
// waiting to leave in one sendmmsg call. A sweep that has thousands of probes
// due at once spends most of its time in the kernel; one system call per 64
// probes instead of one per probe is what brings it close to what the kernel
// can do (bench/speed_of_light measured 0.34 s for 65,536 probes in batches of
// 64 against 0.44 s one by one).
//
// Send times. The kernel handles the messages of a batch one after another,
// each in about the same time, so message i of n is taken to have been sent
// from before + (after - before) * i / n to before + (after - before) *
// (i + 1) / n, where before/after are read right before and right after the
// call: for a batch of one, from the call to its return, as for a plain
// sendto. The end is the send time; the start is used when the reply was
// timestamped earlier than that (loopback answers inside the call). With
// kernel transmit timestamps each probe that left is also logged in
// TransmitKeys, and the engine takes the kernel's send time instead.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include "icmpkit/engine/ping.hpp"
#include "icmpkit/sys/socket.hpp"
#include "transmit_keys.hpp"

namespace icmpkit::net::detail {

class ProbeOutbox {
 public:
  /// Sets the socket options a probe asks for before it is sent (TTL, TOS,
  /// DF); an error fails that probe with a SendError.
  using ApplyOptions = std::function<std::error_code(const engine::Transmit&)>;

  /// Makes room for probes of up to `max_probe_bytes` (ICMP header + payload).
  /// Batches hold fewer probes when they are large (about 256 KiB at most).
  void reserve_for(std::size_t max_probe_bytes);

  bool empty() const noexcept { return head_ == queued_.size(); }
  bool full() const noexcept { return queued_.size() >= buffers_.size(); }
  /// Where poll_transmit builds the next probe (only while !full()).
  MutableBytes next_buffer() noexcept { return buffers_[queued_.size()]; }
  /// Queues the probe just built into next_buffer().
  void push(const engine::Transmit& transmit) { queued_.push_back(transmit); }

  /// Sends what is queued, in order, one sendmmsg call per run of probes
  /// with the same socket options, and tells `engine` how each probe left
  /// (on_sent, or on_send_failed with the kernel's error). Returns false when
  /// the socket's send buffer is full: the rest stays queued for a later call.
  bool flush(sys::SocketRef socket, engine::PingEngine& engine, const ApplyOptions& apply_options);

  /// From now on every probe that leaves is also logged in `keys` (null: no
  /// longer), in send order, for the kernel's transmit timestamps.
  void log_sends_to(TransmitKeys* keys) noexcept { keys_ = keys; }

  /// True once (then false) when a send met a pending ICMP error or stopped
  /// part-way, which may have consumed the socket's error flag: the error
  /// queue may hold records nothing else will point at.
  bool take_error_hint() noexcept { return std::exchange(error_hint_, false); }

  /// Forgets what is queued (the engine has ended those probes already).
  void clear() noexcept {
    queued_.clear();
    head_ = 0;
  }

 private:
  std::size_t run_length() const noexcept;

  std::vector<std::vector<std::byte>> buffers_;
  std::vector<engine::Transmit> queued_;
  std::size_t head_ = 0;  // first probe not yet sent
  std::size_t probe_bytes_ = 0;  // what the buffers hold
  bool error_hint_ = false;
  TransmitKeys* keys_ = nullptr;
};

}  // namespace icmpkit::net::detail
