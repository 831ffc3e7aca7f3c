// File: icmpkit/engine/detail/time_queue.hpp
//
// TimeQueue: the engines' priority queue of timed entries (probe timeouts,
// lingering records, request deadlines, sends). Internal to the engines;
// public only so that it can be unit-tested and used by several engines. No
// RFC; no clock: times are whatever the entries carry.
//
// Why not a plain binary heap: in a sweep almost every entry is pushed in
// time order (every probe gets the same timeout from a later `now`), so a
// heap pays O(log n) per push and pop for an order the entries already have.
// Here each push names a lane; an entry not earlier than its lane's last one
// is appended to that lane (a FIFO, O(1)), any other goes to a heap. The
// minimum is the smallest of the lane fronts and the heap top. Callers give
// each kind of entry (same delay from a growing `now`) its own lane, so the
// kinds do not interleave in one FIFO and push each other into the heap.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace icmpkit::engine::detail {

/// A min-queue of entries ordered by their `when` member (any type with
/// operator<), with `Lanes` FIFO lanes in front of a binary heap.
/// Entries of equal `when` come out in no specified order. Allocates only
/// when a lane or the heap grows past its largest size so far (a lane drops
/// its consumed front part in place, so its storage stays within twice its
/// largest live length). Not thread-safe, not even for concurrent const
/// calls: top() remembers where the minimum is.
template <class Entry, std::size_t Lanes = 1>
class TimeQueue {
  static_assert(Lanes >= 1);

 public:
  /// True when no entry is queued.
  bool empty() const noexcept { return size_ == 0; }
  /// Entries queued (lanes and heap).
  std::size_t size() const noexcept { return size_; }
  /// Entries in the heap (for tests: pushes in lane order never go there).
  std::size_t heap_size() const noexcept { return heap_.size(); }

  /// Adds `entry` to lane `lane` (< Lanes) when it is not earlier than that
  /// lane's last entry, else to the heap.
  void push(const Entry& entry, std::size_t lane = 0) {
    auto& l = lanes_[lane];
    if (l.head == l.items.size()) {
      // A new front: the minimum may have moved.
      l.items.clear();
      l.head = 0;
      l.items.push_back(entry);
      best_ = unknown;
    } else if (!(entry.when < l.items.back().when)) {
      l.items.push_back(entry);  // behind the lane's front: the minimum stays
    } else {
      heap_.push_back(entry);
      std::push_heap(heap_.begin(), heap_.end(), Later{});
      best_ = unknown;
    }
    ++size_;
  }

  /// The earliest entry. Precondition: !empty().
  const Entry& top() const noexcept {
    const auto from = best();
    return from == heap_source ? heap_.front() : lanes_[from].items[lanes_[from].head];
  }

  /// Removes top(). Precondition: !empty().
  void pop() noexcept {
    const auto source = best();
    best_ = unknown;
    --size_;
    if (source == heap_source) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
      return;
    }
    Lane* from = &lanes_[source];
    ++from->head;
    if (from->head == from->items.size()) {
      from->items.clear();
      from->head = 0;
    } else if (from->head >= min_shift && 2 * from->head >= from->items.size()) {
      // Drop the consumed front (at most as many entries as were popped
      // since the last shift: amortised O(1) per pop).
      from->items.erase(from->items.begin(), from->items.begin() + static_cast<std::ptrdiff_t>(from->head));
      from->head = 0;
    }
  }

  /// Removes every entry for which `drop(entry)` is true; O(n). Lanes keep
  /// their order; the heap is rebuilt.
  template <class Drop>
  void erase_if(Drop drop) {
    best_ = unknown;
    size_ = 0;
    for (auto& l : lanes_) {
      l.items.erase(l.items.begin(), l.items.begin() + static_cast<std::ptrdiff_t>(l.head));
      l.head = 0;
      std::erase_if(l.items, drop);
      size_ += l.items.size();
    }
    std::erase_if(heap_, drop);
    std::make_heap(heap_.begin(), heap_.end(), Later{});
    size_ += heap_.size();
  }

  /// Calls `f(entry)` for every queued entry, in no particular order.
  template <class F>
  void for_each(F f) const {
    for (const auto& l : lanes_) {
      for (std::size_t i = l.head; i < l.items.size(); ++i) f(l.items[i]);
    }
    for (const auto& e : heap_) f(e);
  }

  /// Removes every entry (keeps the storage).
  void clear() noexcept {
    for (auto& l : lanes_) {
      l.items.clear();
      l.head = 0;
    }
    heap_.clear();
    size_ = 0;
    best_ = unknown;
  }

 private:
  // std::push_heap with this comparison keeps the earliest entry in front.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept { return b.when < a.when; }
  };
  struct Lane {
    std::vector<Entry> items;
    std::size_t head = 0;  // items before it were popped
  };
  // A lane drops its popped front only once it is this long, so short lanes
  // never move their entries.
  static constexpr std::size_t min_shift = 256;

  // Where top() is: a lane index, heap_source, or unknown. Remembered
  // because the engines ask for the top far more often than it changes (once
  // per poll_transmit, then top() and pop() of the same entry). It is found
  // by the same scan as ever (the heap first, then the lanes in order, an
  // entry replacing the best only when strictly earlier), so entries of
  // equal `when` come out in the same order as without it.
  static constexpr std::size_t heap_source = Lanes;
  static constexpr std::size_t unknown = Lanes + 1;
  std::size_t best() const noexcept {
    if (best_ != unknown) return best_;
    const Entry* min = heap_.empty() ? nullptr : &heap_.front();
    std::size_t from = heap_source;
    for (std::size_t i = 0; i < Lanes; ++i) {
      const auto& l = lanes_[i];
      if (l.head == l.items.size()) continue;
      const auto& front = l.items[l.head];
      if (min == nullptr || front.when < min->when) {
        min = &front;
        from = i;
      }
    }
    best_ = from;
    return from;
  }

  std::array<Lane, Lanes> lanes_{};
  std::vector<Entry> heap_;
  std::size_t size_ = 0;
  mutable std::size_t best_ = unknown;
};

}  // namespace icmpkit::engine::detail
