// TransmitKeys (internal to net::Pinger): which probe a kernel transmit
// timestamp belongs to. With SO_TIMESTAMPING's OPT_ID the kernel numbers the
// successful sends on a socket 0, 1, 2 ... (a 32-bit counter that wraps) and
// puts that number, not the packet, in each timestamp record
// (sys::set_transmit_timestamps). The sends are logged here in the same
// order, so the n-th send's record finds its probe.
//
// Records come back within moments of their send (the stamp is taken as the
// packet enters the device's queueing discipline, inside the send call), so
// a ring of the last `capacity` sends is enough; a record older than that
// finds nothing and its probe keeps the send time taken around the send call.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "icmpkit/engine/ping.hpp"

namespace icmpkit::net::detail {

class TransmitKeys {
 public:
  static constexpr std::size_t capacity = 4096;

  TransmitKeys() : ring_(capacity) {}

  /// The next successful send on the socket was `handle`'s probe.
  void log_send(engine::ProbeHandle handle) noexcept {
    ring_[next_key_ % capacity] = Entry{next_key_, handle, true};
    ++next_key_;
  }

  /// The probe of send number `key`, while it is among the last `capacity`.
  std::optional<engine::ProbeHandle> find(std::uint32_t key) const noexcept {
    const auto& entry = ring_[key % capacity];
    if (!entry.used || entry.key != key) return std::nullopt;
    return entry.handle;
  }

  /// Sends logged whose records have not all been read yet, as far as the
  /// caller counts them (see Pinger: the error queue is read first then).
  bool records_due() const noexcept { return read_up_to_ != next_key_; }
  void mark_read() noexcept { read_up_to_ = next_key_; }

 private:
  struct Entry {
    std::uint32_t key = 0;
    engine::ProbeHandle handle{};
    bool used = false;
  };
  std::vector<Entry> ring_;
  std::uint32_t next_key_ = 0;    // the kernel's counter starts at 0 when the option is set
  std::uint32_t read_up_to_ = 0;
};

}  // namespace icmpkit::net::detail
