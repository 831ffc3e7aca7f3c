// Internal state of TraceEngine, shared by the hops scheduler
// (trace_engine.cpp) and the multipath scheduler (mda_trace.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "icmpkit/engine/trace_engine.hpp"
#include "icmpkit/engine/trace_probe.hpp"

namespace icmpkit::engine {

namespace detail {

// One probe handed out and not yet answered, timed out or failed.
struct ProbeRecord {
  ProbeId id = 0;
  TraceId trace = 0;
  ProbeKey key;
  std::uint8_t ttl = 0;
  std::uint16_t flow = 0;
  std::size_t hop = 0;    // hops mode: hop index (ttl - first_ttl)
  std::size_t query = 0;  // hops mode: query number
  TraceTime sent;
  std::size_t size = 0;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t attempts = 0;  // sends of this slot so far, this one included
  std::error_code last_error;
};

// What a scheduler wants sent next.
struct Request {
  std::uint8_t ttl = 0;
  std::uint16_t flow = 0;
  std::size_t hop = 0;
  std::size_t query = 0;
  std::uint32_t attempts = 0;  // earlier attempts of this slot
  std::error_code last_error;
};

enum class SlotState : std::uint8_t { unsent, retry, in_flight, done };

struct HopsState {
  std::vector<std::vector<ProbeResult>> results;  // [hop index][query]
  std::vector<std::vector<SlotState>> state;
  std::size_t next_hop = 0;
  std::size_t next_query = 0;
  std::deque<std::pair<std::size_t, std::size_t>> retry;
  std::size_t end_hop = 0;  // last hop index still to report (inclusive)
  std::size_t emitted = 0;  // hops reported so far
};

struct MdaCell {
  enum class State : std::uint8_t { none, pending, done };
  State state = State::none;
  std::optional<wire::IpAddress> iface;
  bool final = false;
  ProbeReason reason = ProbeReason::pending;
  std::uint32_t attempts = 0;
  std::error_code last_error;
};

struct MdaState {
  std::uint8_t ttl = 0;  // TTL being enumerated
  std::map<std::uint16_t, std::map<std::uint8_t, MdaCell>> flows;
  std::uint32_t next_flow = 0;
  std::uint32_t flow_limit = 0;  // exclusive
  std::map<std::uint8_t, std::vector<ProbeResult>> probes;  // every outcome, by TTL
  std::uint32_t probes_this_hop = 0;
  std::uint8_t gap = 0;
};

struct Trace {
  TraceId id = 0;
  TraceConfig cfg;
  KeySpace space = KeySpace::udp_port;
  std::uint16_t base_destination_port = 0;
  std::uint32_t mtu = 0;       // current path MTU (MTU mode)
  std::uint32_t min_size = 0;  // smallest datagram a probe can be
  std::uint32_t counter = 0;   // token counter
  std::size_t in_flight = 0;
  std::vector<std::optional<std::chrono::nanoseconds>> first_rtt;  // by ttl - first_ttl
  HopsState hops;
  MdaState mda;
  TraceResult result;
  bool done = false;
};

// Rank of a reason when summarising a hop: the most telling wins.
inline int rank(ProbeReason r) {
  if (is_destination_reason(r)) return 5;
  if (is_final_reason(r)) return 4;
  if (r == ProbeReason::time_exceeded) return 3;
  if (r == ProbeReason::timeout) return 2;
  if (r == ProbeReason::send_failed) return 1;
  return 0;
}

// Fills a hop's reason and distinct interfaces from its probes.
inline void summarise(HopResult& hop) {
  for (const auto& p : hop.probes) {
    if (rank(p.reason) > rank(hop.reason)) hop.reason = p.reason;
    if (p.responder && std::find(hop.interfaces.begin(), hop.interfaces.end(), *p.responder) == hop.interfaces.end()) {
      hop.interfaces.push_back(*p.responder);
    }
  }
}

inline StopReason stop_for(ProbeReason r) {
  if (is_destination_reason(r)) return StopReason::destination_reached;
  if (is_final_reason(r)) return StopReason::unreachable;
  return StopReason::max_ttl;
}

}  // namespace detail

struct TraceEngine::Impl {
  std::map<TraceId, detail::Trace> traces;
  std::unordered_map<ProbeId, detail::ProbeRecord> probes;
  std::unordered_map<ProbeKey, ProbeId, ProbeKeyHash> keys;
  std::deque<TraceEvent> events;
  TraceId next_trace = 1;
  ProbeId next_probe = 1;
  TraceId last_served = 0;

  // Shared machinery (trace_engine.cpp).
  void finish(detail::Trace& trace, StopReason stop);
  void drop_probe(ProbeId id);
  void settle(detail::Trace& trace, const detail::ProbeRecord& record, ProbeResult result, TraceTime now);
  void reap();

  // Multipath scheduler (mda_trace.cpp).
  std::optional<detail::Request> mda_next(detail::Trace& trace, bool commit);
  void mda_settle(detail::Trace& trace, const detail::ProbeRecord& record, ProbeResult result);
  void mda_requeue(detail::Trace& trace, const detail::ProbeRecord& record, std::error_code error);
  void mda_check(detail::Trace& trace);
  std::vector<HopResult> mda_hops(const detail::Trace& trace) const;
};

}  // namespace icmpkit::engine
