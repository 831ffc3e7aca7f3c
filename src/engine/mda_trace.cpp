// The multipath scheduler: the Multipath Detection Algorithm of Augustin,
// Friedman and Teixeira (Paris traceroute's MDA, scamper's tracelb).
//
// TTLs are enumerated one at a time. At the first TTL every flow passes the
// same (unknown) predecessor, so fresh flows are sent until n_k probes have
// been seen with k distinct interfaces. At a later TTL h each interface r at
// h-1 is a vertex whose successors are enumerated with the flows known to
// reach r ("node control"): they are probed at h until n_k of them went out
// with k successors seen; when r has too few known flows, fresh flows are
// probed at h-1 to find more. Silent flows at h-1 form one vertex of their
// own, so a silent router does not end the enumeration. Links are the pairs
// (interface at h-1, interface at h) one flow produced.
#include <algorithm>

#include "icmpkit/engine/mda_stopping.hpp"
#include "trace_state.hpp"

namespace icmpkit::engine {

using detail::MdaCell;
using detail::ProbeRecord;
using detail::Request;
using detail::Trace;

namespace {

const MdaCell* cell_at(const std::map<std::uint8_t, MdaCell>& cells, std::uint8_t ttl) {
  auto it = cells.find(ttl);
  return it == cells.end() ? nullptr : &it->second;
}

bool answered(const MdaCell* c) { return c != nullptr && c->state == MdaCell::State::done && c->iface.has_value(); }
bool used(const MdaCell* c) { return c != nullptr && c->state != MdaCell::State::none; }
bool requeued(const MdaCell* c) { return c != nullptr && c->state == MdaCell::State::none; }

void add_unique(std::vector<wire::IpAddress>& set, const wire::IpAddress& a) {
  if (std::find(set.begin(), set.end(), a) == set.end()) set.push_back(a);
}

HopResult build_hop(const Trace& t, std::uint8_t ttl) {
  const auto& m = t.mda;
  HopResult hop;
  hop.ttl = wire::Ttl(ttl);
  if (auto it = m.probes.find(ttl); it != m.probes.end()) hop.probes = it->second;
  detail::summarise(hop);
  if (ttl > t.cfg.first_ttl) {
    for (const auto& [flow, cells] : m.flows) {
      const MdaCell* a = cell_at(cells, static_cast<std::uint8_t>(ttl - 1));
      const MdaCell* b = cell_at(cells, ttl);
      if (!answered(a) || !answered(b)) continue;
      const HopLink link{*a->iface, *b->iface};
      if (std::find(hop.links.begin(), hop.links.end(), link) == hop.links.end()) hop.links.push_back(link);
    }
  }
  return hop;
}

}  // namespace

std::optional<Request> TraceEngine::Impl::mda_next(Trace& t, bool commit) {
  auto& m = t.mda;
  const std::uint8_t h = m.ttl;
  const double confidence = t.cfg.mda.confidence;
  if (m.probes_this_hop >= t.cfg.mda.max_probes_per_hop) return std::nullopt;

  auto probe = [&](std::uint16_t flow, std::uint8_t ttl) {
    Request r;
    r.ttl = ttl;
    r.flow = flow;
    if (commit) {
      MdaCell& c = m.flows[flow][ttl];
      c.state = MdaCell::State::pending;
      r.attempts = c.attempts;
      r.last_error = c.last_error;
      ++m.probes_this_hop;
    }
    return r;
  };
  auto fresh = [&](std::uint8_t ttl) -> std::optional<Request> {
    if (m.next_flow >= m.flow_limit) return std::nullopt;
    const auto flow = static_cast<std::uint16_t>(m.next_flow);
    if (commit) ++m.next_flow;
    return probe(flow, ttl);
  };

  if (h == t.cfg.first_ttl) {
    std::vector<wire::IpAddress> seen;
    std::size_t probed = 0;
    for (const auto& [flow, cells] : m.flows) {
      const MdaCell* c = cell_at(cells, h);
      if (requeued(c)) return probe(flow, h);
      if (!used(c)) continue;
      ++probed;
      if (answered(c)) add_unique(seen, *c->iface);
    }
    if (probed < mda_probes_needed(static_cast<std::uint32_t>(seen.size()), confidence)) return fresh(h);
    return std::nullopt;
  }

  const auto prev = static_cast<std::uint8_t>(h - 1);
  struct Vertex {
    std::optional<wire::IpAddress> iface;
    std::vector<std::uint16_t> flows;
  };
  std::vector<Vertex> vertices;
  std::size_t pending_prev = 0;
  for (const auto& [flow, cells] : m.flows) {
    const MdaCell* c = cell_at(cells, prev);
    if (c == nullptr) continue;
    if (c->state == MdaCell::State::none) return probe(flow, prev);  // a failed send to go again
    if (c->state == MdaCell::State::pending) {
      ++pending_prev;
      continue;
    }
    if (c->final) continue;  // the destination (or an unreachable) has no next hop
    auto v = std::find_if(vertices.begin(), vertices.end(), [&](const Vertex& x) { return x.iface == c->iface; });
    if (v == vertices.end()) {
      vertices.push_back(Vertex{c->iface, {}});
      v = vertices.end() - 1;
    }
    v->flows.push_back(flow);
  }
  for (const Vertex& v : vertices) {
    std::vector<wire::IpAddress> successors;
    std::size_t probed = 0;
    for (std::uint16_t flow : v.flows) {
      const MdaCell* c = cell_at(m.flows.at(flow), h);
      if (!used(c)) continue;
      ++probed;
      if (answered(c)) add_unique(successors, *c->iface);
    }
    const std::size_t need = mda_probes_needed(static_cast<std::uint32_t>(successors.size()), confidence);
    if (probed >= need) continue;
    for (std::uint16_t flow : v.flows) {
      if (!used(cell_at(m.flows.at(flow), h))) return probe(flow, h);
    }
    // Too few flows are known to reach this vertex: look for more at h-1,
    // no more at once than could still be useful to it.
    if (pending_prev < need - probed) {
      if (auto r = fresh(prev)) return r;
    }
  }
  return std::nullopt;
}

void TraceEngine::Impl::mda_settle(Trace& t, const ProbeRecord& record, ProbeResult r) {
  auto& m = t.mda;
  MdaCell& c = m.flows[record.flow][record.ttl];
  c.state = MdaCell::State::done;
  c.reason = r.reason;
  if (r.responder && r.reason != ProbeReason::timeout && r.reason != ProbeReason::send_failed) c.iface = r.responder;
  c.final = is_final_reason(r.reason);
  m.probes[record.ttl].push_back(std::move(r));
  mda_check(t);
}

void TraceEngine::Impl::mda_requeue(Trace& t, const ProbeRecord& record, std::error_code error) {
  MdaCell& c = t.mda.flows[record.flow][record.ttl];
  c.state = MdaCell::State::none;
  c.attempts = record.attempts;
  c.last_error = error;
  if (t.mda.probes_this_hop > 0) --t.mda.probes_this_hop;
}

void TraceEngine::Impl::mda_check(Trace& t) {
  auto& m = t.mda;
  while (!t.done && t.in_flight == 0 && !mda_next(t, false)) {
    const std::uint8_t h = m.ttl;
    HopResult hop = build_hop(t, h);
    bool any = false;
    bool all_final = true;
    bool destination = false;
    for (const auto& [flow, cells] : m.flows) {
      const MdaCell* c = cell_at(cells, h);
      if (!answered(c)) continue;
      any = true;
      all_final = all_final && c->final;
      destination = destination || is_destination_reason(c->reason);
    }
    events.push_back(HopEvent{t.id, std::move(hop)});
    if (any && all_final) {
      finish(t, destination ? StopReason::destination_reached : StopReason::unreachable);
      return;
    }
    m.gap = any ? 0 : static_cast<std::uint8_t>(m.gap + 1);
    if (m.gap >= t.cfg.mda.gap_limit) {
      finish(t, StopReason::gap_limit);
      return;
    }
    if (h >= t.cfg.max_ttl) {
      finish(t, StopReason::max_ttl);
      return;
    }
    m.ttl = static_cast<std::uint8_t>(h + 1);
    m.probes_this_hop = 0;
  }
}

std::vector<HopResult> TraceEngine::Impl::mda_hops(const Trace& t) const {
  std::vector<HopResult> hops;
  for (unsigned ttl = t.cfg.first_ttl; ttl <= t.mda.ttl; ++ttl) {
    hops.push_back(build_hop(t, static_cast<std::uint8_t>(ttl)));
  }
  return hops;
}

}  // namespace icmpkit::engine
