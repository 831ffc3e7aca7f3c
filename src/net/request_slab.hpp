// RequestSlab (internal to net::Pinger): the running requests, found from
// an id in O(1) without hashing. The id carries the slot index and the
// slot's generation, so an id of a finished request never finds the request
// that reuses its slot. Slots live in a deque: a reference stays valid while
// other requests start (a probe callback may start new requests). Slots
// come in chunks of a fixed power of two (a std::deque of requests this
// size allocated each slot on its own and indexed slowly).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace icmpkit::net::detail {

template <class T>
class RequestSlab {
 public:
  /// Ids never have the top bit set (left free for other kinds of id).
  static constexpr std::uint64_t top_bit = std::uint64_t{1} << 63;

  std::uint64_t insert(T&& value) {
    std::uint32_t index;
    if (free_ != none) {
      index = free_;
      free_ = slot_at(index).next_free;
    } else {
      index = static_cast<std::uint32_t>(slot_count_);
      if (slot_count_ == chunks_.size() * chunk_size) chunks_.push_back(std::make_unique<Slot[]>(chunk_size));
      ++slot_count_;
    }
    auto& slot = slot_at(index);
    slot.value.emplace(std::move(value));
    ++size_;
    return (static_cast<std::uint64_t>(slot.generation) << 32) | index;
  }

  T* find(std::uint64_t id) noexcept {
    const auto index = static_cast<std::uint32_t>(id);
    if (index >= slot_count_) return nullptr;
    auto& slot = slot_at(index);
    if (!slot.value || slot.generation != static_cast<std::uint32_t>(id >> 32)) return nullptr;
    return &*slot.value;
  }

  /// Removes the request and returns it (nullopt for an unknown id).
  std::optional<T> take(std::uint64_t id) {
    T* value = find(id);
    if (value == nullptr) return std::nullopt;
    const auto index = static_cast<std::uint32_t>(id);
    std::optional<T> out(std::move(*value));
    release(index);
    return out;
  }

  /// Removes the request in place (false for an unknown id).
  bool erase(std::uint64_t id) {
    if (find(id) == nullptr) return false;
    release(static_cast<std::uint32_t>(id));
    return true;
  }

  /// Calls f(id, value) for every request (f must not insert or remove).
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < slot_count_; ++i) {
      auto& slot = slot_at(static_cast<std::uint32_t>(i));
      if (slot.value) f((static_cast<std::uint64_t>(slot.generation) << 32) | i, *slot.value);
    }
  }

  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::uint32_t none = 0xffffffffu;

  void release(std::uint32_t index) {
    auto& slot = slot_at(index);
    slot.value.reset();
    // 31 bits, never 0: ids stay below top_bit and 0 is never an id.
    slot.generation = (slot.generation & 0x7fffffffu) + 1;
    if (slot.generation > 0x7fffffffu) slot.generation = 1;
    slot.next_free = free_;
    free_ = index;
    --size_;
  }

  struct Slot {
    std::optional<T> value;
    std::uint32_t generation = 1;
    std::uint32_t next_free = none;
  };
  static constexpr std::size_t chunk_bits = 8;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;

  Slot& slot_at(std::uint32_t index) noexcept { return chunks_[index >> chunk_bits][index & (chunk_size - 1)]; }

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::size_t slot_count_ = 0;
  std::uint32_t free_ = none;
  std::size_t size_ = 0;
};

}  // namespace icmpkit::net::detail
