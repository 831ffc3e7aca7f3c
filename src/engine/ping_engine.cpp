// PingEngine: pooled probe records found in O(1) from the serial carried in
// the echo payload, a timer heap with lazy deletion, a send heap of
// requests, and per-address sequence spaces. See engine/ping.hpp.
#include <algorithm>
#include <cassert>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "icmpkit/engine/pacing.hpp"
#include "icmpkit/engine/ping.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/quoted.hpp"

namespace icmpkit::engine {

namespace {

constexpr std::uint32_t none = 0xffffffffu;
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

// One probe: 56 bytes on x86-64 (probe_record_size() adds its 24-byte timer entry).
struct ProbeRecord {
  TimePoint sent_at{};                 // steady send time
  TimePoint deadline{};                // timeout, or end of lingering
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
};

struct AddressEntry {
  std::uint16_t next_seq = 0;
  std::vector<std::uint32_t> sessions;  // live sessions to this address
};

struct Session {
  wire::IpAddress address;
  PingOptions options;
  std::uint64_t user_data = 0;
  TimePoint started{};
  TimePoint next_fresh_at{};          // when the next new probe index is due
  TimePoint retry_at{};               // when the queued retries became due
  std::uint32_t generation = 0;
  std::uint32_t next_index = 0;       // next new probe index
  std::uint32_t awaiting = 0;         // probes pending / in flight
  std::uint32_t head = none;          // live probe list (in flight and lingering)
  std::uint32_t tail = none;
  std::vector<std::pair<std::uint32_t, std::uint8_t>> retries;  // (index, attempt) due now
  bool live = false;
  bool stopping = false;   // no more sends (cancelled, deadline, stop_on_reply)
  bool cancelled = false;
  bool done = false;       // done event emitted
  PingStatistics counts;   // rtt filled from `rtt` on demand
  RttStats rtt;
  std::uint32_t free_next = none;
};

enum class TimerKind : std::uint8_t { probe, session_deadline };
struct TimerEntry {
  TimePoint when;
  std::uint32_t index;
  std::uint32_t generation;
  TimerKind kind;
  bool operator>(const TimerEntry& other) const noexcept { return when > other.when; }
};
struct SendEntry {
  TimePoint when;
  std::uint32_t session;
  std::uint32_t generation;
  bool operator>(const SendEntry& other) const noexcept { return when > other.when; }
};

template <class T>
using MinHeap = std::priority_queue<T, std::vector<T>, std::greater<T>>;

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

}  // namespace

struct PingEngine::Impl {
  EngineConfig config;
  std::vector<ProbeRecord> probes;
  std::uint32_t free_probe = none;
  std::vector<Session> sessions;
  std::uint32_t free_session = none;
  std::size_t live_sessions = 0;
  std::size_t awaiting_total = 0;
  std::unordered_map<wire::IpAddress, AddressEntry, wire::IpAddressHash> addresses;
  MinHeap<TimerEntry> timers;
  MinHeap<SendEntry> sends;
  TokenBucket bucket;
  std::vector<ProbeEvent> events;
  std::size_t event_head = 0;
  PingStatistics total;
  RttStats total_rtt;
  EngineCounters counters;

  explicit Impl(const EngineConfig& c)
      : config(c), bucket(c.max_rate, c.burst), total_rtt(c.rtt_sample_cap) {
    if (config.cookie == 0) config.cookie = default_cookie;
    probes.reserve(config.initial_probe_capacity);
  }

  // --- pools --------------------------------------------------------------
  std::uint32_t acquire_probe() {
    if (free_probe != none) {
      const auto index = free_probe;
      free_probe = probes[index].next;
      return index;
    }
    probes.emplace_back();
    return static_cast<std::uint32_t>(probes.size() - 1);
  }
  void release_probe(std::uint32_t index) {
    auto& p = probes[index];
    unlink_probe(index);
    p.state = ProbeState::free;
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

  // --- events ---------------------------------------------------------------
  void push_event(EventKind kind, std::uint32_t session_index, std::uint32_t probe_slot, Outcome outcome) {
    if (event_head > 0 && event_head == events.size()) {
      events.clear();
      event_head = 0;
    }
    const auto& s = sessions[session_index];
    ProbeEvent e;
    e.kind = kind;
    e.target = id_of(session_index);
    e.address = s.address;
    e.user_data = s.user_data;
    if (probe_slot != none) {
      const auto& p = probes[probe_slot];
      e.serial = serial_of(probe_slot, p);
      e.seq = wire::EchoSeq(p.seq);
      e.probe_index = p.probe_index;
      e.attempt = p.attempt;
    }
    e.outcome = std::move(outcome);
    events.push_back(std::move(e));
  }

  // Ends an awaiting probe with `outcome` and lets it linger.
  void finish_probe(std::uint32_t slot, TimePoint now, Outcome outcome, ProbeState linger_state) {
    auto& p = probes[slot];
    auto& s = sessions[p.session];
    const auto session_index = p.session;
    assert(p.state == ProbeState::pending || p.state == ProbeState::in_flight);
    --s.awaiting;
    --awaiting_total;
    push_event(EventKind::outcome, session_index, slot, std::move(outcome));
    p.state = linger_state;
    p.deadline = now + config.linger;
    timers.push({p.deadline, slot, p.generation, TimerKind::probe});
    maybe_done(session_index);
  }

  // Retries are due as soon as their timeout fired; new probes at their interval.
  static TimePoint due_of(const Session& s) noexcept { return s.retries.empty() ? s.next_fresh_at : s.retry_at; }

  bool has_more_to_send(const Session& s) const {
    if (s.stopping) return false;
    if (!s.retries.empty()) return true;
    return s.options.count == 0 || s.next_index < s.options.count;
  }

  void schedule_send(std::uint32_t session_index) {
    auto& s = sessions[session_index];
    if (!has_more_to_send(s)) return;
    sends.push({due_of(s), session_index, s.generation});
  }

  void maybe_done(std::uint32_t session_index) {
    auto& s = sessions[session_index];
    if (s.done || s.awaiting != 0 || has_more_to_send(s)) return;
    s.done = true;
    push_event(EventKind::done, session_index, none, s.cancelled ? Outcome{Cancelled{}} : Outcome{Timeout{}});
  }

  void stop_session(std::uint32_t session_index, TimePoint now, bool cancelled) {
    auto& s = sessions[session_index];
    if (s.done) return;
    s.stopping = true;
    s.cancelled = s.cancelled || cancelled;
    s.retries.clear();
    // End every awaiting probe (the list is in send order).
    for (auto slot = s.head; slot != none;) {
      const auto next = probes[slot].next;
      if (probes[slot].state == ProbeState::pending || probes[slot].state == ProbeState::in_flight) {
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
    if (!payload.empty()) {
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
    auto it = addresses.find(address);
    if (it == addresses.end()) return none;
    std::uint32_t lingering = none;
    for (auto session_index : it->second.sessions) {
      for (auto slot = sessions[session_index].head; slot != none; slot = probes[slot].next) {
        const auto& p = probes[slot];
        if (p.seq != seq) continue;
        if (p.state == ProbeState::pending || p.state == ProbeState::in_flight) return slot;
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
      const Duration rt(realtime->count() - p.sent_realtime_ns);
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
        s.rtt.add(reply.rtt);
        total_rtt.add(reply.rtt);
        finish_probe(slot, now, reply, ProbeState::answered);
        if (s.options.stop_on_reply) {
          stop_session(session_index, now, false);
        } else if (s.options.send_on_reply && s.next_fresh_at > now) {
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
    if (p.state != ProbeState::pending && p.state != ProbeState::in_flight) {
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

  void schedule_timeout(std::uint32_t slot) {
    const auto& p = probes[slot];
    timers.push({p.deadline, slot, p.generation, TimerKind::probe});
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
  std::uint32_t index;
  if (m.free_session != none) {
    index = m.free_session;
    m.free_session = m.sessions[index].free_next;
  } else {
    m.sessions.emplace_back();
    index = static_cast<std::uint32_t>(m.sessions.size() - 1);
  }
  auto& s = m.sessions[index];
  const auto generation = s.generation;
  s = Session{};
  s.generation = generation;
  s.live = true;
  s.address = address;
  s.options = options;
  s.user_data = user_data;
  s.started = now;
  s.next_fresh_at = now;
  s.rtt = RttStats(m.config.rtt_sample_cap, m.config.cookie ^ index);
  m.addresses[address].sessions.push_back(index);
  ++m.live_sessions;
  if (options.deadline) m.timers.push({now + *options.deadline, index, generation, TimerKind::session_deadline});
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
  // Free every probe record (lingering ones too: later replies become stale).
  for (auto slot = s->head; slot != none;) {
    const auto next = m.probes[slot].next;
    if (m.probes[slot].state == ProbeState::pending || m.probes[slot].state == ProbeState::in_flight) {
      --m.awaiting_total;
    }
    m.release_probe(slot);
    slot = next;
  }
  auto it = m.addresses.find(s->address);
  if (it != m.addresses.end()) {
    auto& list = it->second.sessions;
    list.erase(std::remove(list.begin(), list.end(), target.index), list.end());
    // Keep the entry (and its sequence counter) while anything may still
    // answer; drop it when no session uses the address any more.
    if (list.empty()) m.addresses.erase(it);
  }
  s->live = false;
  ++s->generation;
  s->retries = {};
  s->rtt = RttStats(0);
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
  handle_timeout(now);
  while (!m.sends.empty()) {
    const auto entry = m.sends.top();
    if (entry.session >= m.sessions.size()) {
      m.sends.pop();
      continue;
    }
    auto& s = m.sessions[entry.session];
    const TimePoint due = Impl::due_of(s);
    if (!s.live || s.generation != entry.generation || !m.has_more_to_send(s) || entry.when != due) {
      m.sends.pop();  // stale entry
      continue;
    }
    if (entry.when > now) return std::nullopt;
    if (!m.bucket.try_take(now)) {
      ++m.counters.rate_limited;
      return std::nullopt;
    }
    m.sends.pop();
    const auto session_index = entry.session;
    std::uint32_t probe_index;
    std::uint8_t attempt = 0;
    if (!s.retries.empty()) {
      probe_index = s.retries.front().first;
      attempt = s.retries.front().second;
      s.retries.erase(s.retries.begin());
    } else {
      probe_index = s.next_index++;
      s.next_fresh_at = now + s.options.interval;
    }
    const auto slot = m.acquire_probe();
    auto& session = m.sessions[session_index];  // acquire_probe does not touch sessions; keep the name clear
    auto& address_entry = m.addresses[session.address];
    auto& p = m.probes[slot];
    p.state = ProbeState::pending;
    p.probe_index = probe_index;
    p.attempt = attempt;
    p.seq = address_entry.next_seq++;
    p.sent_at = now;
    p.sent_realtime_ns = 0;
    p.duplicates = 0;
    p.deadline = now + backoff_timeout(session.options.timeout, session.options.backoff, attempt);
    m.link_probe(session, session_index, slot);
    ++session.awaiting;
    ++m.awaiting_total;
    m.schedule_send(session_index);

    const std::size_t payload = session.options.payload_size;
    const std::size_t length = wire::icmp_header_size + payload;
    if (out.size() < length) {
      m.schedule_timeout(slot);
      ++session.counts.send_failures;
      ++m.total.send_failures;
      m.finish_probe(slot, now, SendError{make_error_code(errc::buffer_too_small)}, ProbeState::ended);
      continue;
    }
    // Header by hand (not encode_echo): the payload is written in place.
    const bool v4 = m.config.family == wire::Family::v4;
    wire::detail::store_u8(out, 0, v4 ? wire::icmpv4_type::echo_request : wire::icmpv6_type::echo_request);
    wire::detail::store_u8(out, 1, 0);
    wire::detail::store_be16(out, 2, 0);
    wire::detail::store_be16(out, 4, m.config.echo_id.value());
    wire::detail::store_be16(out, 6, p.seq);
    std::array<std::byte, probe_header_size> header{};
    wire::detail::store_be64(header, 0, m.config.cookie);
    wire::detail::store_be64(header, 8, Impl::serial_of(slot, p));
    wire::detail::store_be64(header, 16,
                             static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                            now.time_since_epoch())
                                                            .count()));
    auto data = out.subspan(wire::icmp_header_size, payload);
    const auto head = std::min(payload, probe_header_size);
    std::copy(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(head), data.begin());
    for (std::size_t i = head; i < payload; ++i) {
      data[i] = session.options.pattern_size == 0 ? std::byte{0}
                                                   : session.options.pattern[(i - head) % session.options.pattern_size];
    }
    if (v4 && m.config.compute_checksum) wire::set_icmpv4_checksum(out.first(length));
    m.schedule_timeout(slot);

    Transmit t;
    t.destination = session.address;
    t.length = length;
    t.handle = {slot, p.generation};
    t.target = m.id_of(session_index);
    t.ttl = session.options.ttl;
    t.tos = session.options.tos;
    t.dont_fragment = session.options.dont_fragment;
    return t;
  }
  return std::nullopt;
}

void PingEngine::on_sent(ProbeHandle handle, TimePoint now, std::optional<std::chrono::nanoseconds> realtime) {
  auto& m = *impl_;
  if (handle.slot >= m.probes.size()) return;
  auto& p = m.probes[handle.slot];
  if (p.generation != handle.generation || p.state != ProbeState::pending) return;
  auto& s = m.sessions[p.session];
  p.state = ProbeState::in_flight;
  p.sent_realtime_ns = realtime ? realtime->count() : 0;
  // The timeout runs from the real send time.
  if (now > p.sent_at) {
    p.deadline += now - p.sent_at;
    m.schedule_timeout(handle.slot);
  }
  p.sent_at = now;
  ++s.counts.sent;
  ++m.total.sent;
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
    if (p.state != ProbeState::pending && p.state != ProbeState::in_flight) return;
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
        if (s.live && s.generation == entry.generation) m.stop_session(entry.index, now, true);
      }
      continue;
    }
    if (entry.index >= m.probes.size()) continue;
    auto& p = m.probes[entry.index];
    if (p.generation != entry.generation || p.deadline != entry.when) continue;  // stale
    switch (p.state) {
      case ProbeState::pending:
      case ProbeState::in_flight: {
        auto& s = m.sessions[p.session];
        const auto session_index = p.session;
        const bool retry = !s.stopping && p.attempt < s.options.retries;
        ++s.counts.timeouts;
        ++m.total.timeouts;
        if (retry) {
          if (s.retries.empty()) s.retry_at = now;
          s.retries.emplace_back(p.probe_index, static_cast<std::uint8_t>(p.attempt + 1));
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
  while (!m.timers.empty()) {
    const auto& e = m.timers.top();
    bool stale;
    if (e.kind == TimerKind::session_deadline) {
      stale = e.index >= m.sessions.size() || !m.sessions[e.index].live ||
              m.sessions[e.index].generation != e.generation || m.sessions[e.index].done;
    } else {
      stale = e.index >= m.probes.size() || m.probes[e.index].generation != e.generation ||
              m.probes[e.index].deadline != e.when || m.probes[e.index].state == ProbeState::free;
    }
    if (!stale) break;
    m.timers.pop();
  }
  if (!m.timers.empty()) consider(m.timers.top().when);
  while (!m.sends.empty()) {
    const auto& e = m.sends.top();
    if (e.session < m.sessions.size()) {
      const auto& s = m.sessions[e.session];
      const TimePoint due = Impl::due_of(s);
      if (s.live && s.generation == e.generation && m.has_more_to_send(s) && e.when == due) break;
    }
    m.sends.pop();
  }
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
  auto out = s->counts;
  out.rtt = s->rtt.summary();
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
std::size_t PingEngine::probe_record_size() noexcept { return sizeof(ProbeRecord) + sizeof(TimerEntry); }
std::size_t PingEngine::target_record_size() noexcept {
  return sizeof(Session) + sizeof(SendEntry) + sizeof(std::uint32_t);
}

}  // namespace icmpkit::engine
