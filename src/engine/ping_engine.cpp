// PingEngine: pooled probe records found in O(1) from the serial carried in
// the echo payload, a timer queue and a send queue with lazy deletion
// (detail::TimeQueue; compacted when stale entries outnumber live ones), and
// per-address sequence spaces.
// See engine/ping.hpp.
#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "icmpkit/engine/detail/time_queue.hpp"
#include "icmpkit/engine/pacing.hpp"
#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/quoted.hpp"

namespace icmpkit::engine {

namespace {

constexpr std::uint32_t none = 0xffffffffu;

// Every pool here (probes, sessions, address entries, retry nodes) is a
// vector with a free list threaded through its records: takes the head of
// the list (`link` gives a free record's next), or appends a record.
template <class T, class Link>
std::uint32_t take_from_pool(std::vector<T>& pool, std::uint32_t& free_head, Link link) {
  if (free_head != none) {
    const auto index = free_head;
    free_head = link(pool[index]);
    return index;
  }
  pool.emplace_back();
  return static_cast<std::uint32_t>(pool.size() - 1);
}
constexpr std::uint64_t default_cookie = 0x69636d706b697421ULL;  // "icmpkit!"
// A realtime RTT further than this from the monotonic one means the wall
// clock was stepped between send and receive: use the monotonic RTT.
constexpr std::chrono::nanoseconds max_clock_disagreement = std::chrono::seconds(1);

enum class ProbeState : std::uint8_t {
  free,
  pending,    // built by poll_transmit, on_sent not yet called
  in_flight,  // sent, awaiting an outcome
  answered,   // lingering after a reply (later replies: duplicates)
  timed_out,  // lingering after a timeout (later replies: late)
  ended,      // lingering after an error / cancel / send failure
};

// One probe: 64 bytes on x86-64 (probe_record_size() adds its 24-byte timer entry).
struct ProbeRecord {
  TimePoint sent_at{};                 // steady send time
  TimePoint deadline{};                // timeout, or end of lingering
  // When the probe's one live timer entry fires (valid while timer_armed).
  // It may be earlier than `deadline`: a deadline moved later (on_sent, the
  // start of lingering) does not push another entry; the entry, once due, is
  // pushed again at the deadline (see arm_probe).
  TimePoint armed_at{};
  std::int64_t sent_realtime_ns = 0;   // 0: unknown
  std::uint32_t generation = 0;
  std::uint32_t session = none;
  std::uint32_t probe_index = 0;
  std::uint32_t prev = none;           // the session's list of live probes, in send order
  std::uint32_t next = none;           // ... also the free-list link
  std::uint16_t seq = 0;
  std::uint8_t attempt = 0;
  ProbeState state = ProbeState::free;
  std::uint8_t duplicates = 0;
  std::uint8_t timer_mark = 0;         // scratch for compact_timers (in the padding)
  bool timer_armed = false;            // a live timer entry at armed_at is queued
  std::uint32_t send_call_ns = 0;      // how long the send call ran before sent_realtime_ns
};

std::uint64_t address_hash(const wire::IpAddress& address) noexcept {
  // wire::IpAddressHash (FNV-1a, one multiply per byte) showed in sweep
  // profiles: two words and a 64-bit finaliser (MurmurHash3's fmix64) spread
  // addresses as well for a power-of-two table.
  std::array<std::byte, 16> b{};
  const auto bytes = address.bytes();
  // Constant sizes: a memcpy of a run-time length was a library call.
  if (bytes.size() == 4) {
    std::memcpy(b.data(), bytes.data(), 4);
  } else if (bytes.size() == 16) {
    std::memcpy(b.data(), bytes.data(), 16);
  } else {
    std::memcpy(b.data(), bytes.data(), std::min(bytes.size(), b.size()));
  }
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, b.data(), 8);
  std::memcpy(&hi, b.data() + 8, 8);
  hi ^= (static_cast<std::uint64_t>(address.scope_id()) << 8) | static_cast<std::uint64_t>(address.family());
  std::uint64_t h = lo ^ (hi * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The per-address sequence spaces. The sessions to one address share its
// counter and form an intrusive list through Session::address_prev/next.
// Entries are pooled (index-stable, so a session keeps its entry's index and
// never hashes again); an open-addressing table (linear probing, power-of-two
// size, load <= 1/2, backward-shift deletion) maps addresses to them. A
// std::unordered_map cost one node allocation per address and a pointer chase
// per lookup; this allocates only when it grows past its peak.
class AddressIndex {
 public:
  struct Entry {
    wire::IpAddress address;
    std::uint32_t head = none;  // first session; the free-list link when unused
    std::uint32_t tail = none;
    std::uint32_t hash = 0;  // as in its slot: erase finds the slot without hashing again
    std::uint16_t next_seq = 0;
  };

  void reserve(std::size_t n) {
    entries_.reserve(n);
    while (slots_.size() < 2 * n) grow();
  }
  Entry& operator[](std::uint32_t index) noexcept { return entries_[index]; }
  const Entry& operator[](std::uint32_t index) const noexcept { return entries_[index]; }

  // The entry of `address`, or none.
  std::uint32_t find(const wire::IpAddress& address) const noexcept {
    if (slots_.empty()) return none;
    const auto h = static_cast<std::uint32_t>(address_hash(address));
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const auto& slot = slots_[i];
      if (slot.entry == none) return none;
      if (slot.hash == h && entries_[slot.entry].address == address) return slot.entry;
    }
  }
  // The entry of `address`, made (empty) when there was none.
  std::uint32_t find_or_insert(const wire::IpAddress& address) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    const auto h = static_cast<std::uint32_t>(address_hash(address));
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const auto& slot = slots_[i];
      if (slot.entry == none) break;
      if (slot.hash == h && entries_[slot.entry].address == address) return slot.entry;
    }
    const auto index = take_from_pool(entries_, free_, [](const Entry& e) { return e.head; });
    auto& entry = entries_[index];
    entry.address = address;
    entry.head = entry.tail = none;
    entry.hash = h;
    entry.next_seq = 0;
    slots_[i] = Slot{index, h};
    ++count_;
    return index;
  }
  // Removes an entry found or inserted before.
  void erase(std::uint32_t index) noexcept {
    const auto h = entries_[index].hash;
    std::size_t hole = h & mask_;
    while (slots_[hole].entry != index) hole = (hole + 1) & mask_;
    // Backward shift: pull later slots of the cluster into the hole when
    // their home position allows, so lookups never need tombstones.
    for (std::size_t j = (hole + 1) & mask_; slots_[j].entry != none; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    entries_[index].head = free_;
    free_ = index;
    --count_;
  }
  std::size_t size() const noexcept { return count_; }

 private:
  struct Slot {
    std::uint32_t entry = none;
    std::uint32_t hash = 0;  // low 32 bits of address_hash: the home slot, and a cheap filter
  };
  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : 2 * slots_.size());
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const auto& slot : old) {
      if (slot.entry == none) continue;
      std::size_t i = slot.hash & mask_;
      while (slots_[i].entry != none) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  std::uint32_t free_ = none;
  std::size_t count_ = 0;
  std::size_t mask_ = 0;
};

// What a session keeps of its PingOptions: the same fields in fewer bytes
// (payload_size <= 65507, retries <= 255 are checked by add_target; the
// deadline only arms a timer at the start).
struct SessionOptions {
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds first_timeout{0};  // backoff_timeout(timeout, backoff, 0), worked out once
  double backoff = 1.5;
  std::uint32_t count = 1;
  std::uint16_t payload_size = 0;
  std::array<std::byte, 16> pattern{};
  std::uint8_t pattern_size = 0;
  std::uint8_t retries = 0;
  std::optional<wire::Ttl> ttl;
  std::optional<std::uint8_t> tos;
  bool dont_fragment = false;
  bool stop_on_reply = false;
  bool send_on_reply = false;

  friend bool operator==(const SessionOptions&, const SessionOptions&) noexcept = default;

  // The same as `*this == of(o)` without building the copy: add_target asks
  // it for every target of a sweep. Precondition: `o` passed add_target's
  // checks (payload_size and retries fit the narrower fields).
  bool same_as(const PingOptions& o) const noexcept {
    return count == o.count && payload_size == o.payload_size && interval == o.interval && timeout == o.timeout &&
           retries == o.retries && pattern_size == o.pattern_size && stop_on_reply == o.stop_on_reply &&
           send_on_reply == o.send_on_reply && dont_fragment == o.dont_fragment && ttl == o.ttl && tos == o.tos &&
           backoff == o.backoff && same_pattern(pattern, o.pattern);
  }
  // std::array<std::byte, N>::operator== compares byte by byte (libstdc++
  // takes memcmp only for integer element types): two words instead.
  static bool same_pattern(const std::array<std::byte, 16>& a, const std::array<std::byte, 16>& b) noexcept {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), 8);
    std::memcpy(&a1, a.data() + 8, 8);
    std::memcpy(&b0, b.data(), 8);
    std::memcpy(&b1, b.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }

  static SessionOptions of(const PingOptions& o) noexcept {
    SessionOptions s;
    s.interval = o.interval;
    s.timeout = o.timeout;
    s.first_timeout = backoff_timeout(o.timeout, o.backoff, 0);
    s.backoff = o.backoff;
    s.count = o.count;
    s.payload_size = static_cast<std::uint16_t>(o.payload_size);
    s.pattern = o.pattern;
    s.pattern_size = o.pattern_size;
    s.retries = static_cast<std::uint8_t>(o.retries);
    s.ttl = o.ttl;
    s.tos = o.tos;
    s.dont_fragment = o.dont_fragment;
    s.stop_on_reply = o.stop_on_reply;
    s.send_on_reply = o.send_on_reply;
    return s;
  }
};

// PingStatistics without its RttSummary (72 bytes a session never used:
// stats() builds the summary from Session::rtt).
struct Counts {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
  std::uint64_t errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t send_failures = 0;
};

// A queued retry: the probe index to send again and its attempt number.
// Nodes are pooled engine-wide (a per-session vector cost 24 bytes in every
// session and one allocation in each session that ever retried).
struct RetryNode {
  std::uint32_t probe_index = 0;
  std::uint32_t next = none;
  std::uint8_t attempt = 0;
};

// Sessions started with the same options (every target of a sweep) share
// one record: a session keeps its index, not a 64-byte copy it would have
// to write at the start and read from a cold line at every send.
struct SharedOptions {
  SessionOptions options;
  std::uint32_t users = 0;
  std::uint32_t free_next = none;
};

// The RTT statistics of a session with two replies or more. A session keeps
// its first RTT inline (a one-probe sweep never needs more) and takes one of
// these, seeded as before, at its second reply.
struct RttSlot {
  RttStats stats;
  std::uint32_t free_next = none;
};

// 176 bytes on x86-64 (352 with its options and RttStats inline).
struct Session {
  wire::IpAddress address;
  std::uint64_t user_data = 0;
  TimePoint next_fresh_at{};          // when the next new probe index is due
  TimePoint retry_at{};               // when the queued retries became due
  std::uint32_t generation = 0;
  std::uint32_t next_index = 0;       // next new probe index
  std::uint32_t awaiting = 0;         // probes pending / in flight
  std::uint32_t lingering = 0;        // probes answered / timed out / ended, still remembered
  std::uint32_t head = none;          // live probe list (in flight and lingering)
  std::uint32_t tail = none;
  std::uint32_t retry_head = none;    // queued retries (RetryNode list), due now
  std::uint32_t retry_tail = none;
  std::uint32_t address_entry = none; // in Impl::addresses
  std::uint32_t address_prev = none;  // the address's session list
  std::uint32_t address_next = none;
  std::uint32_t free_next = none;
  std::uint32_t options = none;       // in Impl::option_pool
  std::uint32_t rtt_slot = none;      // in Impl::rtt_pool from the second reply
  Duration first_rtt{0};              // the first reply's RTT (counts.received >= 1)
  bool live = false;
  bool stopping = false;   // no more sends (cancelled, deadline, stop_on_reply)
  bool cancelled = false;
  bool done = false;       // done event emitted
  bool deadline_armed = false;  // its deadline timer is queued and not stale
  std::uint8_t send_mark = 0;   // scratch for compact_sends
  Counts counts;
};

enum class TimerKind : std::uint8_t { probe, session_deadline };
struct TimerEntry {
  TimePoint when;
  std::uint32_t index;
  std::uint32_t generation;
  TimerKind kind;
};
struct SendEntry {
  TimePoint when;
  std::uint32_t session;
  std::uint32_t generation;
};

// Timer lanes (see detail::TimeQueue): each kind of entry is pushed in time
// order within its kind in a sweep (same timeout, linger or deadline from a
// growing `now`), so each gets a FIFO lane.
enum TimerLane : std::size_t { timeout_lane, linger_lane, deadline_lane, timer_lanes };
// Send lanes: due at once (a new request, a retry, ping -f) and due an
// interval after a send.
enum SendLane : std::size_t { now_lane, interval_lane, send_lanes };
using TimerQueue = detail::TimeQueue<TimerEntry, timer_lanes>;
using SendQueue = detail::TimeQueue<SendEntry, send_lanes>;

// Stale queue entries are tolerated up to twice the live ones plus this many.
constexpr std::size_t heap_compaction_floor = 4096;

IcmpErrorKind error_kind(wire::Family family, std::uint8_t type, std::uint8_t code) noexcept {
  if (family == wire::Family::v4 && type == wire::icmpv4_type::destination_unreachable && code == 4) {
    return IcmpErrorKind::packet_too_big;
  }
  switch (wire::kind_of(family, type)) {
    case wire::MessageKind::destination_unreachable: return IcmpErrorKind::unreachable;
    case wire::MessageKind::packet_too_big: return IcmpErrorKind::packet_too_big;
    case wire::MessageKind::time_exceeded: return IcmpErrorKind::time_exceeded;
    case wire::MessageKind::parameter_problem: return IcmpErrorKind::parameter_problem;
    case wire::MessageKind::redirect: return IcmpErrorKind::redirect;
    case wire::MessageKind::source_quench: return IcmpErrorKind::source_quench;
    default: return IcmpErrorKind::other;
  }
}

// The one's-complement sum (RFC 1071) of a 64-bit value's four big-endian
// 16-bit words, unfolded: 2^16 = 1 modulo 0xffff, so its two 32-bit halves
// stand for them.
constexpr std::uint64_t word_sum(std::uint64_t v) noexcept { return (v >> 32) + (v & 0xffffffffu); }
// Folds a sum of 16-bit words to 16 bits with end-around carry (never 0 for a non-zero sum).
constexpr std::uint16_t fold_sum(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// Fills `out` with `pattern` repeated from its first byte (zeros when size is 0).
void fill_pattern(MutableBytes out, const std::array<std::byte, 16>& pattern, std::size_t size) noexcept {
  if (size == 0) {
    std::fill(out.begin(), out.end(), std::byte{0});
    return;
  }
  // One copy of the pattern, then the filled part doubled: log2 copies, not a modulo per byte.
  std::size_t done = std::min(size, out.size());
  std::copy(pattern.begin(), pattern.begin() + static_cast<std::ptrdiff_t>(done), out.begin());
  while (done < out.size()) {
    const auto chunk = std::min(done, out.size() - done);
    std::memcpy(out.data() + done, out.data(), chunk);
    done += chunk;
  }
}

}  // namespace

struct PingEngine::Impl {
  EngineConfig config;
  std::vector<ProbeRecord> probes;
  std::uint32_t free_probe = none;
  std::size_t live_probes = 0;        // records not free
  std::vector<Session> sessions;
  std::uint32_t free_session = none;
  std::size_t live_sessions = 0;
  std::size_t armed_deadlines = 0;    // sessions with deadline_armed
  std::size_t awaiting_total = 0;
  AddressIndex addresses;
  std::vector<RetryNode> retry_nodes;
  std::uint32_t free_retry = none;
  std::vector<SharedOptions> option_pool;
  std::uint32_t free_options = none;
  std::uint32_t last_options = none;  // the record the last add_target used
  std::vector<RttSlot> rtt_pool;
  std::uint32_t free_rtt = none;
  TimerQueue timers;
  SendQueue sends;
  TokenBucket bucket;
  std::vector<ProbeEvent> events;
  std::size_t event_head = 0;
  PingStatistics total;
  RttStats total_rtt;
  EngineCounters counters;
  std::uint64_t cookie_sum = 0;  // word_sum(config.cookie): every raw v4 checksum adds it

  explicit Impl(const EngineConfig& c)
      : config(c), bucket(c.max_rate, c.burst), total_rtt(c.rtt_sample_cap) {
    if (config.cookie == 0) config.cookie = default_cookie;
    cookie_sum = word_sum(config.cookie);
    probes.reserve(config.initial_probe_capacity);
    addresses.reserve(config.initial_probe_capacity);
  }

  // --- pools --------------------------------------------------------------
  std::uint32_t acquire_probe() {
    ++live_probes;
    return take_from_pool(probes, free_probe, [](const ProbeRecord& p) { return p.next; });
  }
  void release_probe(std::uint32_t index) {
    if (is_lingering(probes[index].state)) --sessions[probes[index].session].lingering;
    unlink_probe(index);
    free_probe_record(index);
  }
  static bool is_lingering(ProbeState state) noexcept {
    return state == ProbeState::answered || state == ProbeState::timed_out || state == ProbeState::ended;
  }
  // Sent or about to be, its outcome not known yet.
  static bool is_awaiting(ProbeState state) noexcept {
    return state == ProbeState::pending || state == ProbeState::in_flight;
  }
  // The session's oldest lingering record goes early (see
  // EngineConfig::max_lingering_per_target). Records are listed in send
  // order, so it is nearly always the first.
  void forget_oldest_lingering(Session& s) {
    for (auto slot = s.head; slot != none; slot = probes[slot].next) {
      if (is_lingering(probes[slot].state)) {
        release_probe(slot);
        ++counters.lingering_forgotten;
        return;
      }
    }
  }
  // Puts an unlinked probe record (or one whose whole session list is being
  // dropped) on the free list.
  void free_probe_record(std::uint32_t index) {
    auto& p = probes[index];
    --live_probes;
    p.state = ProbeState::free;
    p.prev = none;
    p.timer_armed = false;
    ++p.generation;
    p.session = none;
    p.next = free_probe;
    free_probe = index;
  }
  void link_probe(Session& s, std::uint32_t session_index, std::uint32_t index) {
    auto& p = probes[index];
    p.session = session_index;
    p.prev = s.tail;
    p.next = none;
    if (s.tail != none) probes[s.tail].next = index; else s.head = index;
    s.tail = index;
  }
  void unlink_probe(std::uint32_t index) {
    auto& p = probes[index];
    if (p.session == none) return;
    auto& s = sessions[p.session];
    if (p.prev != none) probes[p.prev].next = p.next; else s.head = p.next;
    if (p.next != none) probes[p.next].prev = p.prev; else s.tail = p.prev;
    p.prev = p.next = none;
  }
  static std::uint64_t serial_of(std::uint32_t slot, const ProbeRecord& p) noexcept {
    return (static_cast<std::uint64_t>(p.generation) << 32) | slot;
  }

  Session* session_of(TargetId id) {
    if (id.index >= sessions.size()) return nullptr;
    auto& s = sessions[id.index];
    return (s.live && s.generation == id.generation) ? &s : nullptr;
  }
  const Session* session_of(TargetId id) const { return const_cast<Impl*>(this)->session_of(id); }
  TargetId id_of(std::uint32_t index) const { return {index, sessions[index].generation}; }

  // --- shared options -----------------------------------------------------------
  const SessionOptions& options_of(const Session& s) const noexcept { return option_pool[s.options].options; }
  // Only the last record is compared: a sweep, or a batch of identical
  // requests, shares one; interleaved option sets just make more records.
  std::uint32_t acquire_options(const PingOptions& o) {
    if (last_options != none && option_pool[last_options].options.same_as(o)) {
      ++option_pool[last_options].users;
      return last_options;
    }
    return new_options(o);
  }
  // Out of line, so that the shared case does not pay for saving the
  // registers building a record takes.
  [[gnu::noinline]] std::uint32_t new_options(const PingOptions& o) {
    const auto index = take_from_pool(option_pool, free_options, [](const SharedOptions& r) { return r.free_next; });
    option_pool[index] = SharedOptions{SessionOptions::of(o), 1, none};
    last_options = index;
    return index;
  }
  void release_options(std::uint32_t index) noexcept {
    auto& r = option_pool[index];
    if (--r.users != 0) return;
    r.free_next = free_options;
    free_options = index;
    if (last_options == index) last_options = none;
  }

  // --- RTT statistics -----------------------------------------------------------
  // After ++counts.received: the same samples reach the same RttStats as
  // when every session had one.
  void add_rtt(Session& s, std::uint32_t session_index, Duration rtt) {
    if (rtt < Duration::zero()) rtt = Duration::zero();
    if (s.counts.received == 1) {
      s.first_rtt = rtt;
      return;
    }
    if (s.rtt_slot == none) {
      s.rtt_slot = take_from_pool(rtt_pool, free_rtt, [](const RttSlot& r) { return r.free_next; });
      rtt_pool[s.rtt_slot].stats = RttStats(config.rtt_sample_cap, config.cookie ^ session_index);
      rtt_pool[s.rtt_slot].stats.add(s.first_rtt);
    }
    rtt_pool[s.rtt_slot].stats.add(rtt);
  }
  // Fills `r` (zero-initialised) for a session.
  void rtt_summary(const Session& s, RttSummary& r) const {
    if (s.rtt_slot != none) {
      r = rtt_pool[s.rtt_slot].stats.summary();
      return;
    }
    // What RttStats::summary gives for one sample (mdev and jitter 0), without its arithmetic.
    r.samples = s.counts.received;
    if (r.samples == 0) return;
    r.min = r.avg = r.max = s.first_rtt;
    if (config.rtt_sample_cap > 0) r.p50 = r.p90 = r.p99 = s.first_rtt;
  }
  void release_rtt(Session& s) {
    if (s.rtt_slot == none) return;
    auto& r = rtt_pool[s.rtt_slot];
    r.stats = RttStats(0);  // gives its samples' memory back
    r.free_next = free_rtt;
    free_rtt = s.rtt_slot;
    s.rtt_slot = none;
  }

  // --- address index ----------------------------------------------------------
  void attach_address(std::uint32_t index) {
    auto& s = sessions[index];
    s.address_entry = addresses.find_or_insert(s.address);
    auto& entry = addresses[s.address_entry];
    s.address_prev = entry.tail;
    s.address_next = none;
    if (entry.tail != none) sessions[entry.tail].address_next = index; else entry.head = index;
    entry.tail = index;
  }
  void detach_address(std::uint32_t index) {
    auto& s = sessions[index];
    const auto entry_index = s.address_entry;
    auto& entry = addresses[entry_index];
    if (s.address_prev != none) sessions[s.address_prev].address_next = s.address_next; else entry.head = s.address_next;
    if (s.address_next != none) sessions[s.address_next].address_prev = s.address_prev; else entry.tail = s.address_prev;
    s.address_prev = s.address_next = none;
    s.address_entry = none;
    // Keep the entry (and its sequence counter) while a session uses the
    // address; drop it with the last one.
    if (entry.head == none) addresses.erase(entry_index);
  }

  // --- retry queues -------------------------------------------------------------
  void push_retry(Session& s, std::uint32_t probe_index, std::uint8_t attempt) {
    const auto n = take_from_pool(retry_nodes, free_retry, [](const RetryNode& r) { return r.next; });
    retry_nodes[n] = RetryNode{probe_index, none, attempt};
    if (s.retry_tail != none) retry_nodes[s.retry_tail].next = n; else s.retry_head = n;
    s.retry_tail = n;
  }
  RetryNode pop_retry(Session& s) {
    const auto n = s.retry_head;
    const RetryNode r = retry_nodes[n];
    s.retry_head = r.next;
    if (s.retry_head == none) s.retry_tail = none;
    retry_nodes[n].next = free_retry;
    free_retry = n;
    return r;
  }
  void clear_retries(Session& s) {
    while (s.retry_head != none) pop_retry(s);
  }

  // --- queues ------------------------------------------------------------------
  // Entries are not removed when their probe or session changes (lazy
  // deletion); a sweep that releases targets while their records linger would
  // then keep rate x linger stale entries. So when a queue holds more than
  // twice the entries that can still be live plus a floor, it is rebuilt in
  // O(n) with the live ones only. Each rebuild removes at least half of the
  // entries, so the cost is amortised O(1) per push, and the rebuild is in
  // place (no allocation).
  void disarm_deadline(Session& s) noexcept {
    if (!s.deadline_armed) return;
    s.deadline_armed = false;
    --armed_deadlines;
  }
  bool timer_live(const TimerEntry& e) const noexcept {
    if (e.kind == TimerKind::session_deadline) {
      if (e.index >= sessions.size()) return false;
      const auto& s = sessions[e.index];
      return s.live && s.generation == e.generation && !s.done;
    }
    if (e.index >= probes.size()) return false;
    const auto& p = probes[e.index];
    return p.generation == e.generation && p.timer_armed && p.armed_at == e.when && p.state != ProbeState::free;
  }
  bool send_live(const SendEntry& e) const noexcept {
    if (e.session >= sessions.size()) return false;
    const auto& s = sessions[e.session];
    return s.live && s.generation == e.generation && has_more_to_send(s) && e.when == due_of(s);
  }
  void push_timer(const TimerEntry& entry, std::size_t lane) {
    timers.push(entry, lane);
    if (timers.size() > 2 * (live_probes + armed_deadlines) + heap_compaction_floor) compact_timers();
  }
  void push_send(const SendEntry& entry, std::size_t lane) {
    sends.push(entry, lane);
    if (sends.size() > 2 * live_sessions + heap_compaction_floor) compact_sends();
  }
  // Sets a probe's deadline. A probe has at most one live timer entry: when
  // it is queued for no later than `when`, it stays (it is pushed again at
  // the deadline once due), so answering a probe or moving its timeout by
  // the send call's duration pushes nothing; a sweep pushes one entry per probe.
  void arm_probe(std::uint32_t slot, TimePoint when) {
    auto& p = probes[slot];
    p.deadline = when;
    if (p.timer_armed && p.armed_at <= when) return;
    queue_probe_timer(slot, when);
  }
  // Out of line: inlined, the queue push made every arm_probe call save and
  // restore six registers, though two of a sweep probe's three calls push nothing.
  [[gnu::noinline]] void queue_probe_timer(std::uint32_t slot, TimePoint when) {
    auto& p = probes[slot];
    p.timer_armed = true;
    p.armed_at = when;
    push_timer({when, slot, p.generation, TimerKind::probe}, probe_lane(p));
  }
  static std::size_t probe_lane(const ProbeRecord& p) noexcept {
    return is_awaiting(p.state) ? timeout_lane : linger_lane;
  }
  // Drops stale entries and re-arms deferred ones at the head of the timer
  // queue, so that its top is live and due at its own time.
  void settle_timers() {
    while (!timers.empty()) {
      const auto& e = timers.top();
      if (!timer_live(e)) {
        timers.pop();
        continue;
      }
      if (e.kind != TimerKind::probe) return;
      auto& p = probes[e.index];
      if (p.deadline <= e.when) return;
      const auto slot = e.index;
      timers.pop();
      p.timer_armed = false;
      arm_probe(slot, p.deadline);
    }
  }
  // Live entries of one probe (or session) can only be identical copies (same
  // time, same generation), whichever is processed first makes the others
  // stale: keep one, so a rebuilt queue holds at most one entry per record.
  void compact_timers() {
    timers.for_each([this](const TimerEntry& e) {
      if (e.kind == TimerKind::probe && e.index < probes.size()) probes[e.index].timer_mark = 0;
    });
    timers.erase_if([this](const TimerEntry& e) {
      if (!timer_live(e)) return true;
      if (e.kind != TimerKind::probe) return false;  // one deadline entry per session generation
      return std::exchange(probes[e.index].timer_mark, std::uint8_t{1}) != 0;
    });
  }
  void compact_sends() {
    sends.for_each([this](const SendEntry& e) {
      if (e.session < sessions.size()) sessions[e.session].send_mark = 0;
    });
    sends.erase_if([this](const SendEntry& e) {
      if (!send_live(e)) return true;
      return std::exchange(sessions[e.session].send_mark, std::uint8_t{1}) != 0;
    });
  }

  // --- events ---------------------------------------------------------------
  void push_event(EventKind kind, std::uint32_t session_index, std::uint32_t probe_slot, Outcome&& outcome) {
    if (event_head > 0 && event_head == events.size()) {
      events.clear();
      event_head = 0;
    }
    const auto& s = sessions[session_index];
    // Built in place, every member given (a ProbeEvent is ~130 bytes, two
    // per probe in a sweep; value-initialising it first cost a block clear).
    if (probe_slot == none) {
      emplace_event(kind, id_of(session_index), s.address, s.user_data, std::uint64_t{0}, wire::EchoSeq(0),
                    std::uint32_t{0}, std::uint32_t{0}, std::move(outcome));
      return;
    }
    const auto& p = probes[probe_slot];
    emplace_event(kind, id_of(session_index), s.address, s.user_data, serial_of(probe_slot, p),
                  wire::EchoSeq(p.seq), p.probe_index, std::uint32_t{p.attempt}, std::move(outcome));
  }
  template <class... Members>
  void emplace_event(Members&&... members) {
#if defined(__cpp_aggregate_paren_init)
    events.emplace_back(std::forward<Members>(members)...);
#else
    // Compilers without C++20's parenthesised aggregate initialisation
    // (clang before 16, Debian 12's clang 14 among them): one move more.
    events.push_back(ProbeEvent{std::forward<Members>(members)...});
#endif
  }

  // Ends an awaiting probe with `outcome` and lets it linger.
  void finish_probe(std::uint32_t slot, TimePoint now, Outcome&& outcome, ProbeState linger_state) {
    auto& p = probes[slot];
    auto& s = sessions[p.session];
    const auto session_index = p.session;
    assert(is_awaiting(p.state));
    --s.awaiting;
    --awaiting_total;
    push_event(EventKind::outcome, session_index, slot, std::move(outcome));
    p.state = linger_state;
    arm_probe(slot, now + config.linger);
    if (++s.lingering > config.max_lingering_per_target && config.max_lingering_per_target != 0) {
      forget_oldest_lingering(s);
    }
    maybe_done(session_index);
  }

  // Retries are due as soon as their timeout fired; new probes at their interval.
  static TimePoint due_of(const Session& s) noexcept { return s.retry_head == none ? s.next_fresh_at : s.retry_at; }

  bool has_more_to_send(const Session& s) const noexcept {
    if (s.stopping) return false;
    if (s.retry_head != none) return true;
    const auto count = options_of(s).count;
    return count == 0 || s.next_index < count;
  }

  void schedule_send(std::uint32_t session_index, std::size_t lane = now_lane) {
    if (has_more_to_send(sessions[session_index])) queue_send(session_index, lane);
  }
  // Out of line for the same reason as queue_probe_timer (a one-probe
  // request's second call pushes nothing).
  [[gnu::noinline]] void queue_send(std::uint32_t session_index, std::size_t lane) {
    auto& s = sessions[session_index];
    push_send({due_of(s), session_index, s.generation}, lane);
  }

  void maybe_done(std::uint32_t session_index) {
    auto& s = sessions[session_index];
    if (s.done || s.awaiting != 0 || has_more_to_send(s)) return;
    s.done = true;
    disarm_deadline(s);
    push_event(EventKind::done, session_index, none, s.cancelled ? Outcome{Cancelled{}} : Outcome{Timeout{}});
  }

  void stop_session(std::uint32_t session_index, TimePoint now, bool cancelled) {
    auto& s = sessions[session_index];
    if (s.done) return;
    s.stopping = true;
    s.cancelled = s.cancelled || cancelled;
    clear_retries(s);
    // End every awaiting probe (the list is in send order).
    for (auto slot = s.head; slot != none;) {
      const auto next = probes[slot].next;
      if (is_awaiting(probes[slot].state)) {
        finish_probe(slot, now, Cancelled{}, ProbeState::ended);
      }
      slot = next;
    }
    maybe_done(session_index);
  }

  // --- matching ---------------------------------------------------------------
  // Finds a live probe from the payload serial, or by (address, seq) when the
  // payload is too short to hold it (prefers probes still awaiting, oldest first).
  std::uint32_t find_probe(const wire::IpAddress& address, std::uint16_t seq, ConstBytes payload,
                           bool& cookie_mismatch) {
    cookie_mismatch = false;
    if (payload.size() >= 8) {
      if (wire::detail::load_be64(payload, 0) != config.cookie) {
        cookie_mismatch = true;
        return none;
      }
    } else if (!payload.empty()) {
      std::array<std::byte, 8> cookie{};
      wire::detail::store_be64(cookie, 0, config.cookie);
      const auto n = std::min<std::size_t>(payload.size(), 8);
      if (!std::equal(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n), cookie.begin())) {
        cookie_mismatch = true;
        return none;
      }
    }
    if (payload.size() >= 16) {
      const auto serial = wire::detail::load_be64(payload, 8);
      const auto slot = static_cast<std::uint32_t>(serial & 0xffffffffu);
      const auto generation = static_cast<std::uint32_t>(serial >> 32);
      if (slot >= probes.size()) return none;
      const auto& p = probes[slot];
      if (p.state == ProbeState::free || p.generation != generation || p.seq != seq) return none;
      if (sessions[p.session].address != address) return none;
      return slot;
    }
    const auto entry = addresses.find(address);
    if (entry == none) return none;
    std::uint32_t lingering = none;
    for (auto session_index = addresses[entry].head; session_index != none;
         session_index = sessions[session_index].address_next) {
      for (auto slot = sessions[session_index].head; slot != none; slot = probes[slot].next) {
        const auto& p = probes[slot];
        if (p.seq != seq) continue;
        if (is_awaiting(p.state)) return slot;
        if (lingering == none) lingering = slot;
      }
    }
    return lingering;
  }

  Duration rtt_of(const ProbeRecord& p, TimePoint now, std::optional<std::chrono::nanoseconds> realtime,
                  bool& from_kernel) const {
    const auto mono = std::chrono::duration_cast<Duration>(now - p.sent_at);
    from_kernel = false;
    if (realtime && p.sent_realtime_ns != 0) {
      Duration rt(realtime->count() - p.sent_realtime_ns);
      // Timestamped before the send call returned: measure from its start.
      if (rt < Duration::zero()) rt += std::chrono::nanoseconds(p.send_call_ns);
      const auto diff = rt > mono ? rt - mono : mono - rt;
      if (rt >= Duration::zero() && diff <= max_clock_disagreement) {
        from_kernel = true;
        return rt;
      }
    }
    return mono < Duration::zero() ? Duration::zero() : mono;
  }

  void on_reply(TimePoint now, const DatagramIn& d, const wire::EchoView& echo) {
    if (config.match_echo_id && echo.id != config.echo_id) {
      ++counters.foreign_replies;
      return;
    }
    bool cookie_mismatch = false;
    const auto slot = find_probe(d.source, echo.seq.value(), echo.data, cookie_mismatch);
    if (cookie_mismatch) {
      ++counters.foreign_replies;
      return;
    }
    if (slot == none) {
      ++counters.stale_replies;
      return;
    }
    auto& p = probes[slot];
    auto& s = sessions[p.session];
    const auto session_index = p.session;
    Reply reply;
    reply.rtt = rtt_of(p, now, d.realtime, reply.kernel_timestamp);
    reply.ttl = d.ttl;
    reply.size = d.icmp.size();
    switch (p.state) {
      case ProbeState::pending:
      case ProbeState::in_flight: {
        ++s.counts.received;
        ++total.received;
        add_rtt(s, session_index, reply.rtt);
        total_rtt.add(reply.rtt);
        finish_probe(slot, now, reply, ProbeState::answered);
        const auto& o = options_of(s);
        if (o.stop_on_reply) {
          stop_session(session_index, now, false);
        } else if (o.send_on_reply && s.next_fresh_at > now) {
          // ping -f: a reply releases the next probe instead of the interval.
          s.next_fresh_at = now;
          schedule_send(session_index);
        }
        break;
      }
      case ProbeState::answered:
        if (p.duplicates < 255) ++p.duplicates;
        ++s.counts.duplicates;
        ++total.duplicates;
        reply.duplicates = p.duplicates;
        push_event(EventKind::duplicate, session_index, slot, reply);
        break;
      case ProbeState::timed_out:
      case ProbeState::ended:
        ++s.counts.late;
        ++total.late;
        push_event(EventKind::late_reply, session_index, slot, reply);
        break;
      case ProbeState::free:
        break;
    }
  }

  void error_outcome(TimePoint now, std::uint32_t slot, IcmpError error,
                     std::optional<std::chrono::nanoseconds> realtime) {
    auto& p = probes[slot];
    if (!is_awaiting(p.state)) {
      ++counters.unmatched_errors;
      return;
    }
    auto& s = sessions[p.session];
    bool from_kernel = false;
    error.rtt = rtt_of(p, now, realtime, from_kernel);
    ++s.counts.errors;
    ++total.errors;
    finish_probe(slot, now, error, ProbeState::ended);
  }

  // The probe bytes we sent (an echo request) -> our probe, or none.
  std::uint32_t match_quoted_echo(const wire::IpAddress& destination, ConstBytes icmp_probe, bool check_id) {
    auto view = wire::parse_icmp(config.family, icmp_probe);
    if (!view) return none;
    auto echo = wire::decode_echo(*view);
    if (!echo || echo->is_reply) return none;
    if (check_id && echo->id != config.echo_id) return none;
    bool cookie_mismatch = false;
    auto slot = find_probe(destination, echo->seq.value(), echo->data, cookie_mismatch);
    return cookie_mismatch ? none : slot;
  }

};

PingEngine::PingEngine(const EngineConfig& config) : impl_(std::make_unique<Impl>(config)) {}
PingEngine::~PingEngine() = default;
PingEngine::PingEngine(PingEngine&&) noexcept = default;
PingEngine& PingEngine::operator=(PingEngine&&) noexcept = default;

const EngineConfig& PingEngine::config() const noexcept { return impl_->config; }

Result<TargetId> PingEngine::add_target(const wire::IpAddress& address, const PingOptions& options, TimePoint now,
                                        std::uint64_t user_data) {
  auto& m = *impl_;
  if (address.family() != m.config.family) return errc::address_family_not_supported;
  if (options.payload_size > max_payload_size || options.pattern_size > options.pattern.size() ||
      options.timeout <= std::chrono::nanoseconds::zero() || options.backoff < 1.0 ||
      options.interval < std::chrono::nanoseconds::zero() || options.retries > 255) {
    return errc::invalid_argument;
  }
  const auto index = take_from_pool(m.sessions, m.free_session, [](const Session& s) { return s.free_next; });
  auto& s = m.sessions[index];
  // A record from the pool is either new or was left by release() with its
  // lists empty and its pool references dropped (head, tail, retry list,
  // address links, options, rtt_slot: none; deadline_armed: false): only
  // what a request changes while it runs is reset here (assigning a whole
  // Session{} cost more than the rest of add_target's bookkeeping).
  assert(s.head == none && s.tail == none && s.retry_head == none && s.retry_tail == none);
  assert(s.address_entry == none && s.options == none && s.rtt_slot == none && !s.deadline_armed && !s.live);
  assert(s.lingering == 0);
  s.retry_at = TimePoint{};
  s.next_index = 0;
  s.awaiting = 0;
  s.free_next = none;
  s.first_rtt = Duration{0};
  s.stopping = false;
  s.cancelled = false;
  s.done = false;
  s.counts = Counts{};
  s.live = true;
  s.address = address;
  s.options = m.acquire_options(options);
  s.user_data = user_data;
  s.next_fresh_at = now;
  m.attach_address(index);
  ++m.live_sessions;
  if (options.deadline) {
    s.deadline_armed = true;
    ++m.armed_deadlines;
    m.push_timer({now + *options.deadline, index, s.generation, TimerKind::session_deadline}, deadline_lane);
  }
  m.schedule_send(index);
  m.maybe_done(index);  // count == 0 && deadline == 0 cannot finish here; count >= 1 sends first
  return m.id_of(index);
}

void PingEngine::cancel(TargetId target, TimePoint now) {
  if (impl_->session_of(target)) impl_->stop_session(target.index, now, true);
}

void PingEngine::release(TargetId target) {
  auto& m = *impl_;
  auto* s = m.session_of(target);
  if (s == nullptr) return;
  // Free every probe record (lingering ones too: later replies become
  // stale), the list at once rather than unlinking one record at a time.
  for (auto slot = s->head; slot != none;) {
    const auto& p = m.probes[slot];
    const auto next = p.next;
    if (Impl::is_awaiting(p.state)) --m.awaiting_total;
    m.free_probe_record(slot);
    slot = next;
  }
  s->head = s->tail = none;
  s->lingering = 0;
  m.detach_address(target.index);
  m.clear_retries(*s);
  m.disarm_deadline(*s);
  m.release_rtt(*s);
  m.release_options(s->options);
  s->options = none;
  s->live = false;
  ++s->generation;
  s->free_next = m.free_session;
  m.free_session = target.index;
  --m.live_sessions;
}

bool PingEngine::contains(TargetId target) const noexcept { return impl_->session_of(target) != nullptr; }
bool PingEngine::is_done(TargetId target) const noexcept {
  const auto* s = impl_->session_of(target);
  return s == nullptr || s->done;
}

std::optional<Transmit> PingEngine::poll_transmit(TimePoint now, MutableBytes out) {
  auto& m = *impl_;
  // handle_timeout's first test, here: nothing is due at most calls.
  if (!m.timers.empty() && m.timers.top().when <= now) handle_timeout(now);
  while (!m.sends.empty()) {
    const auto entry = m.sends.top();
    if (!m.send_live(entry)) {
      m.sends.pop();
      continue;
    }
    auto& s = m.sessions[entry.session];
    if (entry.when > now) return std::nullopt;
    if (!m.bucket.unlimited() && !m.bucket.try_take(now)) {
      ++m.counters.rate_limited;
      return std::nullopt;
    }
    m.sends.pop();
    const auto session_index = entry.session;
    std::uint32_t probe_index;
    std::uint8_t attempt = 0;
    if (s.retry_head != none) {
      const auto retry = m.pop_retry(s);
      probe_index = retry.probe_index;
      attempt = retry.attempt;
    } else {
      probe_index = s.next_index++;
      s.next_fresh_at = now + m.options_of(s).interval;
    }
    const auto slot = m.acquire_probe();
    auto& session = m.sessions[session_index];  // acquire_probe does not touch sessions; keep the name clear
    auto& address_entry = m.addresses[session.address_entry];
    auto& p = m.probes[slot];
    const auto& options = m.options_of(session);
    p.state = ProbeState::pending;
    p.probe_index = probe_index;
    p.attempt = attempt;
    p.seq = address_entry.next_seq++;
    p.sent_at = now;
    p.sent_realtime_ns = 0;
    p.duplicates = 0;
    m.link_probe(session, session_index, slot);
    ++session.awaiting;
    ++m.awaiting_total;
    // The next send: queued retries are due now, a new probe an interval on.
    m.schedule_send(session_index, session.retry_head != none ? now_lane : interval_lane);

    const std::size_t payload = options.payload_size;
    const std::size_t length = wire::icmp_header_size + payload;
    const auto timeout_at =
        now + (attempt == 0 ? options.first_timeout : backoff_timeout(options.timeout, options.backoff, attempt));
    if (out.size() < length) {
      m.arm_probe(slot, timeout_at);
      ++session.counts.send_failures;
      ++m.total.send_failures;
      m.finish_probe(slot, now, SendError{make_error_code(errc::buffer_too_small)}, ProbeState::ended);
      continue;
    }
    // Header by hand (not encode_echo): the payload is written in place.
    const bool v4 = m.config.family == wire::Family::v4;
    const std::uint8_t type = v4 ? wire::icmpv4_type::echo_request : wire::icmpv6_type::echo_request;
    const std::uint16_t echo_id = m.config.echo_id.value();
    const std::uint64_t serial = Impl::serial_of(slot, p);
    const auto sent_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    auto data = out.subspan(wire::icmp_header_size, payload);
    std::uint16_t checksum = 0;
    if (payload >= probe_header_size) {
      wire::detail::store_be64(data, 0, m.config.cookie);
      wire::detail::store_be64(data, 8, serial);
      wire::detail::store_be64(data, 16, sent_ns);
      auto fill = data.subspan(probe_header_size);
      fill_pattern(fill, options.pattern, options.pattern_size);
      if (v4 && m.config.compute_checksum) {
        // RFC 1071 over the words just written (every field starts at an
        // even offset) instead of reading the packet back; a zero fill adds
        // nothing, a pattern is summed where it lies.
        std::uint64_t sum = (std::uint64_t{type} << 8) + echo_id + p.seq + m.cookie_sum + word_sum(serial) +
                            word_sum(sent_ns);
        if (options.pattern_size != 0) sum += wire::ones_complement_sum(fill);
        checksum = static_cast<std::uint16_t>(~fold_sum(sum));
      }
    } else {
      // A payload shorter than the engine header carries a prefix of it.
      std::array<std::byte, probe_header_size> header{};
      wire::detail::store_be64(header, 0, m.config.cookie);
      wire::detail::store_be64(header, 8, serial);
      wire::detail::store_be64(header, 16, sent_ns);
      std::copy(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(payload), data.begin());
      if (v4 && m.config.compute_checksum) {
        wire::detail::store_be64(out, 0, std::uint64_t{type} << 56 | std::uint64_t{echo_id} << 16 | p.seq);
        checksum = wire::internet_checksum(out.first(length));
      }
    }
    wire::detail::store_be64(out, 0,
                             std::uint64_t{type} << 56 | std::uint64_t{checksum} << 32 |
                                 std::uint64_t{echo_id} << 16 | p.seq);
    m.arm_probe(slot, timeout_at);

    Transmit t;
    t.destination = session.address;
    t.length = length;
    t.handle = {slot, p.generation};
    t.target = m.id_of(session_index);
    t.ttl = options.ttl;
    t.tos = options.tos;
    t.dont_fragment = options.dont_fragment;
    return t;
  }
  return std::nullopt;
}

void PingEngine::on_sent(ProbeHandle handle, TimePoint now, std::optional<std::chrono::nanoseconds> realtime,
                         std::chrono::nanoseconds send_call) {
  auto& m = *impl_;
  if (handle.slot >= m.probes.size()) return;
  auto& p = m.probes[handle.slot];
  if (p.generation != handle.generation || p.state != ProbeState::pending) return;
  auto& s = m.sessions[p.session];
  p.state = ProbeState::in_flight;
  p.sent_realtime_ns = realtime ? realtime->count() : 0;
  p.send_call_ns = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(send_call.count(), 0, std::numeric_limits<std::uint32_t>::max()));
  // The timeout runs from the real send time.
  if (now > p.sent_at) m.arm_probe(handle.slot, p.deadline + (now - p.sent_at));
  p.sent_at = now;
  ++s.counts.sent;
  ++m.total.sent;
}

void PingEngine::on_transmit_timestamp(ProbeHandle handle, std::chrono::nanoseconds realtime) {
  auto& m = *impl_;
  if (handle.slot >= m.probes.size()) return;
  auto& p = m.probes[handle.slot];
  if (p.generation != handle.generation || p.state != ProbeState::in_flight) return;
  p.sent_realtime_ns = realtime.count();
  p.send_call_ns = 0;  // exact: nothing to fall back to within the call
  ++m.counters.transmit_timestamps;
}

void PingEngine::on_send_failed(ProbeHandle handle, TimePoint now, std::error_code error) {
  auto& m = *impl_;
  if (handle.slot >= m.probes.size()) return;
  auto& p = m.probes[handle.slot];
  if (p.generation != handle.generation || p.state != ProbeState::pending) return;
  auto& s = m.sessions[p.session];
  ++s.counts.send_failures;
  ++m.total.send_failures;
  m.finish_probe(handle.slot, now, SendError{error}, ProbeState::ended);
}

void PingEngine::on_datagram(TimePoint now, const DatagramIn& datagram) {
  auto& m = *impl_;
  auto view = wire::parse_icmp(m.config.family, datagram.icmp);
  if (!view) {
    ++m.counters.malformed;
    return;
  }
  const auto kind = wire::kind_of(m.config.family, view->type);
  if (kind == wire::MessageKind::echo_reply) {
    auto echo = wire::decode_echo(*view);
    if (!echo) {
      ++m.counters.malformed;
      return;
    }
    m.on_reply(now, datagram, *echo);
  } else if (wire::is_error_type(m.config.family, view->type)) {
    on_quoted_error(now, datagram.source, *view, datagram.realtime);
  }
}

void PingEngine::on_error_record(TimePoint now, const ErrorRecordIn& record) {
  auto& m = *impl_;
  // The kernel hands back our probe with the identifier it wrote: never check it here.
  const auto slot = m.match_quoted_echo(record.original_destination, record.probe, false);
  if (slot == none) {
    ++m.counters.unmatched_errors;
    return;
  }
  if (!record.from_icmp) {
    auto& p = m.probes[slot];
    if (!Impl::is_awaiting(p.state)) return;
    auto& s = m.sessions[p.session];
    ++s.counts.send_failures;
    ++m.total.send_failures;
    m.finish_probe(slot, now, SendError{std::error_code(record.error_number, std::system_category())},
                   ProbeState::ended);
    return;
  }
  IcmpError error;
  error.type = record.type;
  error.code = record.code;
  error.kind = error_kind(m.config.family, record.type, record.code);
  error.router = record.offender;
  if (error.kind == IcmpErrorKind::packet_too_big) error.mtu = record.info;
  if (error.kind == IcmpErrorKind::parameter_problem) error.pointer = record.info;
  m.error_outcome(now, slot, error, record.realtime);
}

void PingEngine::on_quoted_error(TimePoint now, const wire::IpAddress& source, const wire::IcmpView& error,
                                 std::optional<std::chrono::nanoseconds> realtime) {
  auto& m = *impl_;
  auto body = wire::split_error_body(error);
  if (!body) {
    ++m.counters.malformed;
    return;
  }
  auto quoted = wire::decode_quoted(m.config.family, *body);
  if (!quoted) {
    ++m.counters.malformed;
    return;
  }
  const auto* echo = std::get_if<wire::QuotedEcho>(&quoted->probe);
  const std::uint8_t request_type =
      m.config.family == wire::Family::v4 ? wire::icmpv4_type::echo_request : wire::icmpv6_type::echo_request;
  if (echo == nullptr || echo->type != request_type) {
    ++m.counters.unmatched_errors;
    return;
  }
  const auto slot = m.match_quoted_echo(quoted->destination, quoted->upper_layer, m.config.match_echo_id);
  if (slot == none) {
    ++m.counters.unmatched_errors;
    return;
  }
  IcmpError out;
  out.type = error.type;
  out.code = error.code;
  out.kind = error_kind(m.config.family, error.type, error.code);
  out.router = source;
  if (out.kind == IcmpErrorKind::packet_too_big) {
    out.mtu = m.config.family == wire::Family::v4
                  ? wire::detail::load_be16(ConstBytes(error.rest), 2)
                  : error.rest_u32();
  }
  if (out.kind == IcmpErrorKind::parameter_problem) {
    out.pointer = m.config.family == wire::Family::v4 ? static_cast<std::uint32_t>(error.rest[0]) : error.rest_u32();
  }
  m.error_outcome(now, slot, out, realtime);
}

void PingEngine::handle_timeout(TimePoint now) {
  auto& m = *impl_;
  while (!m.timers.empty() && m.timers.top().when <= now) {
    const auto entry = m.timers.top();
    m.timers.pop();
    if (entry.kind == TimerKind::session_deadline) {
      if (entry.index < m.sessions.size()) {
        auto& s = m.sessions[entry.index];
        if (s.live && s.generation == entry.generation) {
          m.disarm_deadline(s);
          m.stop_session(entry.index, now, true);
        }
      }
      continue;
    }
    if (entry.index >= m.probes.size()) continue;
    if (!m.timer_live(entry)) continue;  // stale
    auto& p = m.probes[entry.index];
    p.timer_armed = false;
    if (p.deadline > entry.when) {
      // Deferred (see arm_probe): due at the deadline, in its order.
      m.arm_probe(entry.index, p.deadline);
      continue;
    }
    switch (p.state) {
      case ProbeState::pending:
      case ProbeState::in_flight: {
        auto& s = m.sessions[p.session];
        const auto session_index = p.session;
        const bool retry = !s.stopping && p.attempt < m.options_of(s).retries;
        ++s.counts.timeouts;
        ++m.total.timeouts;
        if (retry) {
          if (s.retry_head == none) s.retry_at = now;
          m.push_retry(s, p.probe_index, static_cast<std::uint8_t>(p.attempt + 1));
          m.schedule_send(session_index);
        }
        m.finish_probe(entry.index, now, Timeout{retry}, ProbeState::timed_out);
        break;
      }
      case ProbeState::answered:
      case ProbeState::timed_out:
      case ProbeState::ended:
        m.release_probe(entry.index);
        break;
      case ProbeState::free:
        break;
    }
  }
}

std::optional<TimePoint> PingEngine::next_deadline() const {
  auto& m = *impl_;
  std::optional<TimePoint> best;
  auto consider = [&best](TimePoint t) {
    if (!best || t < *best) best = t;
  };
  // Drop stale heads so the answer is exact (lazy deletion).
  m.settle_timers();
  if (!m.timers.empty()) consider(m.timers.top().when);
  while (!m.sends.empty() && !m.send_live(m.sends.top())) m.sends.pop();
  if (!m.sends.empty()) {
    auto when = m.sends.top().when;
    if (auto token = m.bucket.next_available(when); token && *token > when) when = *token;
    consider(when);
  }
  return best;
}

std::optional<ProbeEvent> PingEngine::poll_event() {
  auto& m = *impl_;
  if (m.event_head >= m.events.size()) {
    m.events.clear();
    m.event_head = 0;
    return std::nullopt;
  }
  return std::move(m.events[m.event_head++]);
}

bool PingEngine::has_events() const noexcept { return impl_->event_head < impl_->events.size(); }

PingStatistics PingEngine::stats(TargetId target) const {
  const auto* s = impl_->session_of(target);
  if (s == nullptr) return {};
  // Filled in place (copying a built summary in stalled on store forwarding).
  PingStatistics out;
  out.sent = s->counts.sent;
  out.received = s->counts.received;
  out.duplicates = s->counts.duplicates;
  out.late = s->counts.late;
  out.errors = s->counts.errors;
  out.timeouts = s->counts.timeouts;
  out.send_failures = s->counts.send_failures;
  impl_->rtt_summary(*s, out.rtt);
  return out;
}

PingStatistics PingEngine::total_stats() const {
  auto out = impl_->total;
  out.rtt = impl_->total_rtt.summary();
  return out;
}

const EngineCounters& PingEngine::counters() const noexcept { return impl_->counters; }
std::size_t PingEngine::targets() const noexcept { return impl_->live_sessions; }
std::size_t PingEngine::in_flight() const noexcept { return impl_->awaiting_total; }
std::size_t PingEngine::pending_timers() const noexcept { return impl_->timers.size(); }
std::size_t PingEngine::pending_sends() const noexcept { return impl_->sends.size(); }
std::size_t PingEngine::probe_record_size() noexcept { return sizeof(ProbeRecord) + sizeof(TimerEntry); }
std::size_t PingEngine::target_record_size() noexcept { return sizeof(Session) + sizeof(SendEntry); }

}  // namespace icmpkit::engine
