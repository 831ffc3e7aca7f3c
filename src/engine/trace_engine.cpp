// TraceEngine: probe tokens, matching, timeouts and the hops scheduler.
//
// The hops scheduler follows Linux traceroute(8) 2.x: probes go out in TTL
// order (queries per TTL), at most `parallel` in flight; a final answer at
// some TTL cuts the trace there and drops probes sent beyond it; hops are
// reported strictly in TTL order once all their probes have ended.
#include "icmpkit/engine/trace_engine.hpp"

#include <algorithm>
#include <cerrno>

#include "icmpkit/engine/trace_wait.hpp"
#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/quoted.hpp"
#include "icmpkit/wire/transport.hpp"
#include "trace_state.hpp"

namespace icmpkit::engine {

using detail::ProbeRecord;
using detail::Request;
using detail::SlotState;
using detail::Trace;
using detail::stop_for;
using detail::summarise;

namespace {

constexpr std::uint16_t default_udp_port = 33434;
constexpr std::uint16_t default_tcp_port = 80;

std::size_t ip_header_size(const wire::IpAddress& a) { return a.is_v4() ? 20 : 40; }

std::size_t transport_header_size(ProbeMethod m) {
  return m == ProbeMethod::tcp_syn ? wire::tcp_min_header_size : std::size_t{8};
}

// Owned copies of the RFC 4950 / RFC 5837 objects of a checked structure.
void decode_extension_objects(const wire::ExtensionStructure& ext, ProbeResult& r) {
  for (const wire::ExtensionObject& object : ext) {
    if (object.class_num == wire::extension_class::mpls_label_stack) {
      auto stack = wire::decode_mpls_label_stack(object);
      if (!stack) {
        r.bad_extensions = true;
        continue;
      }
      for (std::size_t i = 0; i < stack->size(); ++i) r.mpls.push_back((*stack)[i]);
    } else if (object.class_num == wire::extension_class::interface_information) {
      auto info = wire::decode_interface_information(object);
      if (!info) {
        r.bad_extensions = true;
        continue;
      }
      InterfaceInfo out;
      out.role = info->role;
      out.if_index = info->if_index;
      out.address = info->address;
      if (info->name) out.name = std::string(*info->name);
      out.mtu = info->mtu;
      r.interfaces.push_back(std::move(out));
    }
  }
}

// Owned copies of the RFC 4950 / RFC 5837 objects of an error's extensions.
void decode_extensions(const wire::ErrorBody& body, ProbeResult& r) {
  auto ext = wire::parse_extensions_compat(body);
  if (!ext) {
    r.bad_extensions = true;
    return;
  }
  decode_extension_objects(*ext, r);
}

// Extensions of an error read from the error queue. The kernel queues the
// ICMP message from the quoted transport header (ping sockets) or the quoted
// UDP payload (UDP sockets) to its end, but not the ICMP header, so the RFC
// 4884 length field is gone: the structure is found where a sender that
// padded the original datagram to 128 bytes (RFC 4884 section 4.1) put it.
// Without the length field, quoted data there is only told from a structure
// by a non-zero checksum that verifies (as parse_extensions_compat).
void decode_queued_extensions(const ErrorQueueRecord& record, ProbeResult& r) {
  constexpr std::size_t padded_original = 128;
  const std::size_t inner_ip = record.origin == ErrorQueueRecord::Origin::icmp ? 20 : 40;  // we send no options
  const std::size_t not_returned = record.socket == ErrorQueueRecord::SocketKind::udp ? 8 : 0;
  const std::size_t offset = padded_original - inner_ip - not_returned;
  if (record.probe.size() <= offset) return;
  auto ext = wire::parse_extensions(record.probe.subspan(offset));
  if (!ext || ext->checksum == 0) return;
  decode_extension_objects(*ext, r);
}

// A local error-queue record about the route's MTU (EMSGSIZE: the kernel
// refused a datagram bigger than the MTU in `info`): no one on the path answered.
bool is_local_mtu_error(const ErrorQueueRecord& record) {
  return record.error_number == EMSGSIZE || record.info != 0;
}

void fill_local_mtu_error(const ErrorQueueRecord& record, ProbeResult& r) {
  r.reason = ProbeReason::fragmentation_needed;
  r.mtu = record.info;
  r.flag = record.info != 0 ? "!F-" + std::to_string(record.info) : "!F";
}

// An error-queue record of an ICMP error. Without the offender's address only
// the destination can have answered (it says port unreachable).
void fill_icmp_error(const ErrorQueueRecord& record, const wire::IpAddress& destination, ProbeResult& r) {
  const wire::Family family =
      record.origin == ErrorQueueRecord::Origin::icmp ? wire::Family::v4 : wire::Family::v6;
  IcmpClass cls = classify_icmp(family, record.type, record.code, record.info);
  r.reason = cls.reason;
  r.flag = std::move(cls.flag);
  r.mtu = cls.mtu;
  r.responder = record.offender ? *record.offender : destination;
  r.reply_ttl = record.reply_ttl;
  r.icmp = true;
  r.icmp_type = record.type;
  r.icmp_code = record.code;
}

}  // namespace

// ---------------------------------------------------------------------------
// Shared machinery

void TraceEngine::Impl::drop_probe(ProbeId id) {
  auto it = probes.find(id);
  if (it == probes.end()) return;
  keys.erase(it->second.key);
  auto t = traces.find(it->second.trace);
  if (t != traces.end() && t->second.in_flight > 0) --t->second.in_flight;
  probes.erase(it);
}

void TraceEngine::Impl::finish(Trace& trace, StopReason stop) {
  if (trace.done) return;
  trace.done = true;
  std::vector<ProbeId> mine;
  for (const auto& [id, record] : probes) {
    if (record.trace == trace.id) mine.push_back(id);
  }
  for (ProbeId id : mine) drop_probe(id);
  trace.result.stop = stop;
  if (trace.cfg.path_mtu) trace.result.path_mtu = trace.mtu;
  if (trace.cfg.mode == TraceMode::multipath) trace.result.hops = mda_hops(trace);
  events.push_back(TraceFinished{std::move(trace.result)});
}

void TraceEngine::Impl::reap() {
  for (auto it = traces.begin(); it != traces.end();) {
    if (it->second.done) {
      it = traces.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

void ensure_hop(Trace& t, std::size_t hop) {
  auto& h = t.hops;
  while (h.results.size() <= hop) {
    const std::size_t index = h.results.size();
    h.results.emplace_back(t.cfg.queries);
    h.state.emplace_back(t.cfg.queries, SlotState::unsent);
    for (auto& r : h.results.back()) r.ttl = wire::Ttl(static_cast<std::uint8_t>(t.cfg.first_ttl + index));
  }
}

std::optional<Request> hops_next(Trace& t) {
  auto& h = t.hops;
  while (!h.retry.empty()) {
    auto [hop, query] = h.retry.front();
    h.retry.pop_front();
    if (hop > h.end_hop || h.state[hop][query] != SlotState::retry) continue;
    h.state[hop][query] = SlotState::in_flight;
    const ProbeResult& prior = h.results[hop][query];
    return Request{static_cast<std::uint8_t>(t.cfg.first_ttl + hop), 0, hop, query, prior.send_attempts,
                   prior.send_error};
  }
  while (h.next_hop <= h.end_hop) {
    if (h.next_query >= t.cfg.queries) {
      ++h.next_hop;
      h.next_query = 0;
      continue;
    }
    ensure_hop(t, h.next_hop);
    const std::size_t query = h.next_query++;
    if (h.state[h.next_hop][query] != SlotState::unsent) continue;
    h.state[h.next_hop][query] = SlotState::in_flight;
    return Request{static_cast<std::uint8_t>(t.cfg.first_ttl + h.next_hop), 0, h.next_hop, query, 0, {}};
  }
  return std::nullopt;
}

}  // namespace

// Reports the hops whose probes have all ended, in TTL order, and ends the
// trace after the last one.
static void hops_emit(TraceEngine::Impl& e, Trace& t) {
  auto& h = t.hops;
  while (!t.done && h.emitted <= h.end_hop && h.emitted < h.results.size()) {
    const auto& states = h.state[h.emitted];
    if (!std::all_of(states.begin(), states.end(), [](SlotState s) { return s == SlotState::done; })) return;
    HopResult hop;
    hop.ttl = wire::Ttl(static_cast<std::uint8_t>(t.cfg.first_ttl + h.emitted));
    hop.probes = h.results[h.emitted];
    summarise(hop);
    if (t.cfg.path_mtu) {
      for (const auto& p : hop.probes) {
        if (p.responder && p.reason != ProbeReason::fragmentation_needed) {
          hop.mtu = std::max<std::uint32_t>(hop.mtu.value_or(0), static_cast<std::uint32_t>(p.probe_size));
        }
      }
    }
    t.result.hops.push_back(hop);
    e.events.push_back(HopEvent{t.id, std::move(hop)});
    ++h.emitted;
  }
  if (!t.done && h.emitted > h.end_hop) e.finish(t, stop_for(t.result.hops.empty() ? ProbeReason::pending
                                                                                   : t.result.hops.back().reason));
}

static void hops_requeue(Trace& t, const ProbeRecord& record, std::uint32_t attempts, std::error_code error) {
  auto& h = t.hops;
  if (record.hop >= h.results.size() || record.hop > h.end_hop) return;
  h.state[record.hop][record.query] = SlotState::retry;
  h.results[record.hop][record.query].send_attempts = attempts;
  h.results[record.hop][record.query].send_error = error;
  h.retry.emplace_front(record.hop, record.query);
}

void TraceEngine::Impl::settle(Trace& t, const ProbeRecord& record, ProbeResult r, TraceTime now) {
  r.ttl = wire::Ttl(record.ttl);
  r.flow = record.flow;
  r.probe_size = record.size;
  r.send_attempts = record.attempts;
  if (!r.send_error) r.send_error = record.last_error;
  if (r.responder) r.rtt = std::chrono::duration_cast<std::chrono::nanoseconds>(now - record.sent);
  const ProbeRecord rec = record;  // `record` lives in `probes`, which drop_probe edits
  drop_probe(rec.id);

  // MTU mode: a smaller MTU is news, not an answer; the slot goes out again.
  if (t.cfg.path_mtu && r.reason == ProbeReason::fragmentation_needed) {
    std::uint32_t next = r.mtu.value_or(0);
    if (next == 0 || next >= rec.size) next = lower_mtu_plateau(static_cast<std::uint32_t>(rec.size));
    if (next < rec.size && next >= t.min_size) {
      t.mtu = std::min(t.mtu, next);
      hops_requeue(t, rec, rec.attempts > 0 ? rec.attempts - 1 : 0, rec.last_error);
      return;
    }
  }

  const std::size_t index = static_cast<std::size_t>(rec.ttl - t.cfg.first_ttl);
  if (r.responder && index < t.first_rtt.size() && !t.first_rtt[index]) t.first_rtt[index] = r.rtt;

  if (t.cfg.mode == TraceMode::multipath) {
    mda_settle(t, rec, std::move(r));
    return;
  }
  auto& h = t.hops;
  if (rec.hop >= h.results.size() || rec.hop > h.end_hop) return;
  const bool final = is_final_reason(r.reason);
  h.results[rec.hop][rec.query] = std::move(r);
  h.state[rec.hop][rec.query] = SlotState::done;
  if (final && rec.hop < h.end_hop) {
    h.end_hop = rec.hop;
    std::vector<ProbeId> beyond;
    for (const auto& [id, other] : probes) {
      if (other.trace == t.id && other.hop > h.end_hop) beyond.push_back(id);
    }
    for (ProbeId id : beyond) drop_probe(id);
  }
  hops_emit(*this, t);
}

// ---------------------------------------------------------------------------
// Public API

TraceEngine::TraceEngine() : impl_(std::make_unique<Impl>()) {}
TraceEngine::~TraceEngine() = default;
TraceEngine::TraceEngine(TraceEngine&&) noexcept = default;
TraceEngine& TraceEngine::operator=(TraceEngine&&) noexcept = default;

Result<TraceId> TraceEngine::add_trace(const TraceConfig& config, TraceTime now) {
  (void)now;
  const auto& c = config;
  if (c.first_ttl == 0 || c.first_ttl > c.max_ttl || c.queries == 0 || c.parallel == 0) return errc::invalid_argument;
  if (c.source && c.source->family() != c.destination.family()) return errc::invalid_argument;
  if (c.method != ProbeMethod::tcp_syn && c.payload_size < probe_min_payload) return errc::invalid_argument;
  if (c.method == ProbeMethod::tcp_syn && (!c.source || c.source_port == 0)) return errc::invalid_argument;
  if (c.max_send_attempts == 0) return errc::invalid_argument;
  if (c.path_mtu && c.mode == TraceMode::multipath) return errc::invalid_argument;

  Trace t;
  t.id = impl_->next_trace++;
  if (impl_->next_trace == 0) impl_->next_trace = 1;
  t.cfg = c;
  if (t.cfg.method == ProbeMethod::tcp_syn && t.cfg.path_mtu == std::nullopt) t.cfg.payload_size = 0;
  switch (c.method) {
    case ProbeMethod::icmp_echo: t.space = KeySpace::echo_seq; break;
    case ProbeMethod::tcp_syn: t.space = KeySpace::tcp_seq; break;
    case ProbeMethod::udp:
      t.space = (c.mode == TraceMode::hops && c.flow_mode == FlowMode::classic) ? KeySpace::udp_port
                                                                                : KeySpace::udp_token;
      break;
  }
  t.base_destination_port = c.destination_port != 0 ? c.destination_port
                            : c.method == ProbeMethod::tcp_syn ? default_tcp_port
                                                               : default_udp_port;
  const std::size_t headers = ip_header_size(c.destination) + transport_header_size(c.method);
  t.min_size = static_cast<std::uint32_t>(headers + (c.method == ProbeMethod::tcp_syn ? 0 : probe_min_payload));
  if (c.path_mtu) {
    if (*c.path_mtu < t.min_size || *c.path_mtu > 65535) return errc::invalid_argument;
    t.mtu = *c.path_mtu;
  }
  t.first_rtt.resize(static_cast<std::size_t>(c.max_ttl - c.first_ttl) + 1);
  t.hops.end_hop = static_cast<std::size_t>(c.max_ttl - c.first_ttl);
  t.result.id = t.id;
  t.result.destination = c.destination;
  if (c.mode == TraceMode::multipath) {
    t.mda.ttl = c.first_ttl;
    std::uint32_t limit = 0xffff;
    if (c.method == ProbeMethod::udp) limit = 65536u - t.base_destination_port;
    if (c.method == ProbeMethod::tcp_syn) limit = 65536u - c.source_port;
    t.mda.flow_limit = std::min(limit, c.mda.max_flows);
    if (t.mda.flow_limit < 2) return errc::invalid_argument;
  }
  const TraceId id = t.id;
  impl_->traces.emplace(id, std::move(t));
  return id;
}

void TraceEngine::cancel(TraceId trace) {
  auto it = impl_->traces.find(trace);
  if (it == impl_->traces.end() || it->second.done) return;
  impl_->finish(it->second, StopReason::cancelled);
  impl_->reap();
}

std::optional<TraceTransmit> TraceEngine::poll_transmit(TraceTime now) {
  auto& e = *impl_;
  if (e.traces.empty()) return std::nullopt;
  // Round robin: start after the trace served last.
  auto start = e.traces.upper_bound(e.last_served);
  for (std::size_t n = 0; n < e.traces.size(); ++n, ++start) {
    if (start == e.traces.end()) start = e.traces.begin();
    Trace& t = start->second;
    if (t.done || t.in_flight >= t.cfg.parallel) continue;
    std::optional<Request> req =
        t.cfg.mode == TraceMode::multipath ? e.mda_next(t, true) : hops_next(t);
    if (!req) continue;

    // A token unique among this engine's probes in flight to this destination.
    ProbeKey key{t.space, t.cfg.destination, 0};
    std::uint16_t token = 0;
    std::uint16_t dport = t.base_destination_port;
    std::uint16_t sport = t.cfg.source_port;
    const std::uint32_t range = t.space == KeySpace::udp_port ? 65536u - t.base_destination_port
                                : t.space == KeySpace::tcp_seq ? 0x10000u
                                                               : 0xffffu;  // token 0xffff cannot be steered
    bool found = false;
    for (std::uint32_t tries = 0; tries < range && !found; ++tries) {
      const std::uint32_t number = t.counter++ % range;
      token = static_cast<std::uint16_t>(number);
      if (t.space == KeySpace::udp_port) {
        dport = static_cast<std::uint16_t>(t.base_destination_port + number);
        key.value = dport;
      } else if (t.space == KeySpace::tcp_seq) {
        // The high half tells traces apart, the low half probes of a trace.
        key.value = (static_cast<std::uint32_t>(t.id) << 16) | number;
      } else {
        key.value = number;
      }
      found = !e.keys.contains(key);
    }
    if (!found) {
      // Every token is in flight: leave the slot for later.
      if (t.cfg.mode == TraceMode::hops) {
        t.hops.state[req->hop][req->query] = SlotState::retry;
        t.hops.retry.emplace_front(req->hop, req->query);
      } else {
        t.mda.flows[req->flow][req->ttl].state = detail::MdaCell::State::none;
      }
      continue;
    }
    if (t.cfg.mode == TraceMode::multipath) {
      if (t.cfg.method == ProbeMethod::udp) dport = static_cast<std::uint16_t>(t.base_destination_port + req->flow);
      if (t.cfg.method == ProbeMethod::tcp_syn) sport = static_cast<std::uint16_t>(t.cfg.source_port + req->flow);
    }

    ProbeFields f;
    f.method = t.cfg.method;
    f.destination = t.cfg.destination;
    f.source = t.cfg.source;
    f.source_port = sport;
    f.destination_port = dport;
    f.echo_id = t.cfg.echo_id.value_or(wire::EchoId(0));
    f.token = token;
    f.tcp_seq = key.value;
    f.flow = req->flow;
    f.steer_checksum = t.cfg.flow_mode == FlowMode::paris || t.cfg.mode == TraceMode::multipath;
    const std::size_t headers = ip_header_size(t.cfg.destination) + transport_header_size(t.cfg.method);
    f.payload_size = t.cfg.path_mtu ? t.mtu - headers : t.cfg.payload_size;

    TraceTransmit out;
    out.trace = t.id;
    out.probe = e.next_probe++;
    out.ttl = wire::Ttl(req->ttl);
    out.traffic_class = t.cfg.traffic_class;
    out.flow_label = t.cfg.flow_label;
    out.dont_fragment = t.cfg.path_mtu.has_value();
    out.ip_length = headers + f.payload_size;

    ProbeRecord record;
    record.id = out.probe;
    record.trace = t.id;
    record.key = key;
    record.ttl = req->ttl;
    record.flow = req->flow;
    record.hop = req->hop;
    record.query = req->query;
    record.sent = now;
    record.size = out.ip_length;
    record.source_port = sport;
    record.destination_port = dport;
    record.attempts = req->attempts + 1;
    record.last_error = req->last_error;

    e.last_served = t.id;
    ++t.in_flight;
    ++t.result.probes_sent;
    e.keys.emplace(key, record.id);
    auto [it, inserted] = e.probes.emplace(record.id, record);
    (void)inserted;
    if (auto built = encode_probe(f, out); !built) {
      // Only a configuration add_trace let through can get here: the probe
      // cannot be built, which is its outcome.
      ProbeResult r;
      r.reason = ProbeReason::send_failed;
      r.send_error = built.error();
      e.settle(t, it->second, std::move(r), now);
      continue;  // reaped below: erasing here would invalidate `start`
    }
    e.reap();
    return out;
  }
  e.reap();
  return std::nullopt;
}

void TraceEngine::on_sent(ProbeId probe, TraceTime sent_at) {
  auto it = impl_->probes.find(probe);
  if (it != impl_->probes.end()) it->second.sent = sent_at;
}

void TraceEngine::on_send_failed(ProbeId probe, std::error_code error, TraceTime now,
                                 std::optional<std::uint32_t> local_mtu) {
  auto& e = *impl_;
  auto it = e.probes.find(probe);
  if (it == e.probes.end()) return;
  const ProbeRecord rec = it->second;
  auto tt = e.traces.find(rec.trace);
  if (tt == e.traces.end()) {
    e.drop_probe(probe);
    return;
  }
  Trace& t = tt->second;
  if (t.cfg.path_mtu && local_mtu && *local_mtu < rec.size && *local_mtu >= t.min_size) {
    e.drop_probe(probe);
    t.mtu = std::min(t.mtu, *local_mtu);
    hops_requeue(t, rec, rec.attempts - 1, error);
    return;
  }
  if (rec.attempts < t.cfg.max_send_attempts) {
    e.drop_probe(probe);
    if (t.cfg.mode == TraceMode::multipath) {
      e.mda_requeue(t, rec, error);
    } else {
      hops_requeue(t, rec, rec.attempts, error);
    }
    return;
  }
  ProbeResult r;
  r.reason = ProbeReason::send_failed;
  r.send_error = error;
  e.settle(t, rec, std::move(r), now);
  e.reap();
}

namespace {

// Finds the probe a key names, if it belongs to a live trace.
std::pair<ProbeRecord*, Trace*> lookup(TraceEngine::Impl& e, const ProbeKey& key) {
  auto k = e.keys.find(key);
  if (k == e.keys.end()) return {nullptr, nullptr};
  auto p = e.probes.find(k->second);
  if (p == e.probes.end()) return {nullptr, nullptr};
  auto t = e.traces.find(p->second.trace);
  if (t == e.traces.end() || t->second.done) return {nullptr, nullptr};
  return {&p->second, &t->second};
}

}  // namespace

bool TraceEngine::on_icmp(TraceTime now, const IcmpInput& input) {
  auto& e = *impl_;
  const wire::Family family = input.from.family();
  auto view = wire::parse_icmp(family, input.message);
  if (!view) return false;
  const std::uint8_t echo_reply =
      family == wire::Family::v4 ? wire::icmpv4_type::echo_reply : wire::icmpv6_type::echo_reply;

  if (view->type == echo_reply) {
    auto echo = wire::decode_echo(*view);
    if (!echo) return false;
    auto [rec, t] = lookup(e, ProbeKey{KeySpace::echo_seq, input.from, echo->seq.value()});
    if (!rec) return false;
    if (t->cfg.echo_id && *t->cfg.echo_id != echo->id) return false;
    ProbeResult r;
    r.reason = ProbeReason::echo_reply;
    r.responder = input.from;
    r.reply_ttl = input.reply_ttl;
    r.icmp = true;
    r.icmp_type = view->type;
    r.icmp_code = view->code;
    e.settle(*t, *rec, std::move(r), now);
    e.reap();
    return true;
  }
  if (!wire::is_error_type(family, view->type)) return false;

  wire::ErrorBody body;
  if (auto split = wire::split_error_body(*view)) {
    body = *split;
  } else {
    body.original_datagram = view->body;
  }
  auto quote = wire::decode_quoted(family, body.original_datagram);
  if (!quote) return false;
  const KeyCandidates candidates = keys_of_quote(*quote);
  for (std::size_t i = 0; i < candidates.count; ++i) {
    auto [rec, t] = lookup(e, candidates.keys[i]);
    if (!rec) continue;
    if (const auto* udp = std::get_if<wire::QuotedUdp>(&quote->probe)) {
      if (udp->destination_port != rec->destination_port) continue;
      if (rec->source_port != 0 && udp->source_port != rec->source_port) continue;
    } else if (const auto* tcp = std::get_if<wire::QuotedTcp>(&quote->probe)) {
      if (tcp->destination_port != rec->destination_port || tcp->source_port != rec->source_port) continue;
    } else if (const auto* echo = std::get_if<wire::QuotedEcho>(&quote->probe)) {
      if (t->cfg.echo_id && *t->cfg.echo_id != echo->id) continue;
    }
    const std::uint32_t mtu_field =
        family == wire::Family::v4 ? (view->rest_u32() & 0xffffu) : view->rest_u32();
    IcmpClass cls = classify_icmp(family, view->type, view->code, mtu_field);
    ProbeResult r;
    r.reason = cls.reason;
    r.flag = std::move(cls.flag);
    r.mtu = cls.mtu;
    r.responder = input.from;
    r.reply_ttl = input.reply_ttl;
    r.quoted_ttl = quote->ttl;
    r.icmp = true;
    r.icmp_type = view->type;
    r.icmp_code = view->code;
    decode_extensions(body, r);
    e.settle(*t, *rec, std::move(r), now);
    e.reap();
    return true;
  }
  return false;
}

bool TraceEngine::on_tcp(TraceTime now, const TcpInput& input) {
  auto& e = *impl_;
  auto tcp = wire::parse_tcp(input.segment);
  if (!tcp) return false;
  if ((tcp->flags & wire::tcp_flag::ack) == 0) return false;
  ProbeReason reason;
  if ((tcp->flags & wire::tcp_flag::rst) != 0) {
    reason = ProbeReason::tcp_reset;
  } else if ((tcp->flags & wire::tcp_flag::syn) != 0) {
    reason = ProbeReason::tcp_syn_ack;
  } else {
    return false;
  }
  auto [rec, t] = lookup(e, ProbeKey{KeySpace::tcp_seq, input.from, tcp->ack - 1});
  if (!rec) return false;
  if (tcp->source_port != rec->destination_port || tcp->destination_port != rec->source_port) return false;
  ProbeResult r;
  r.reason = reason;
  r.responder = input.from;
  r.reply_ttl = input.reply_ttl;
  e.settle(*t, *rec, std::move(r), now);
  e.reap();
  return true;
}

bool TraceEngine::on_error_queue(TraceTime now, const ErrorQueueRecord& record) {
  auto& e = *impl_;
  KeyCandidates candidates;
  if (record.socket == ErrorQueueRecord::SocketKind::ping) {
    auto view = wire::parse_icmp(record.destination.family(), record.probe);
    if (!view) return false;
    auto echo = wire::decode_echo(*view);
    if (!echo || echo->is_reply) return false;
    candidates.keys[candidates.count++] = {KeySpace::echo_seq, record.destination, echo->seq.value()};
  } else {
    if (auto tag = read_probe_payload(record.probe)) {
      candidates.keys[candidates.count++] = {KeySpace::udp_token, record.destination, tag->token};
    }
    candidates.keys[candidates.count++] = {KeySpace::udp_port, record.destination, record.destination_port};
  }
  for (std::size_t i = 0; i < candidates.count; ++i) {
    auto [rec, t] = lookup(e, candidates.keys[i]);
    if (!rec) continue;
    if (record.socket == ErrorQueueRecord::SocketKind::udp && record.destination_port != rec->destination_port) {
      continue;
    }
    ProbeResult r;
    if (record.origin == ErrorQueueRecord::Origin::local) {
      // The kernel refused the datagram itself (EMSGSIZE: bigger than the
      // route's MTU, which is in `info`). No one on the path answered.
      if (!is_local_mtu_error(record)) return false;
      fill_local_mtu_error(record, r);
      e.settle(*t, *rec, std::move(r), now);
      e.reap();
      return true;
    }
    fill_icmp_error(record, record.destination, r);
    decode_queued_extensions(record, r);
    e.settle(*t, *rec, std::move(r), now);
    e.reap();
    return true;
  }
  return false;
}

bool TraceEngine::on_connect_outcome(TraceTime now, ProbeId probe, const ConnectOutcome& outcome) {
  auto& e = *impl_;
  auto it = e.probes.find(probe);
  if (it == e.probes.end()) return false;
  auto tt = e.traces.find(it->second.trace);
  if (tt == e.traces.end() || tt->second.done) return false;
  ProbeResult r;
  switch (outcome.kind) {
    case ConnectOutcome::Kind::connected:
    case ConnectOutcome::Kind::refused:
      // Only the destination completes or resets a handshake.
      r.reason = outcome.kind == ConnectOutcome::Kind::connected ? ProbeReason::tcp_syn_ack : ProbeReason::tcp_reset;
      r.responder = it->second.key.destination;
      break;
    case ConnectOutcome::Kind::icmp_error: {
      const ErrorQueueRecord& record = outcome.error;
      if (record.origin == ErrorQueueRecord::Origin::local) {
        if (!is_local_mtu_error(record)) {
          r.reason = ProbeReason::send_failed;
          r.send_error = std::error_code(record.error_number, std::system_category());
          break;
        }
        fill_local_mtu_error(record, r);
        break;
      }
      fill_icmp_error(record, it->second.key.destination, r);
      break;
    }
    case ConnectOutcome::Kind::failed:
      r.reason = ProbeReason::send_failed;
      r.send_error = outcome.failure;
      break;
  }
  e.settle(tt->second, it->second, std::move(r), now);
  e.reap();
  return true;
}

bool TraceEngine::probe_in_flight(ProbeId probe) const noexcept { return impl_->probes.contains(probe); }

namespace {

std::chrono::nanoseconds wait_for(const Trace& t, std::uint8_t ttl) {
  const std::size_t index = static_cast<std::size_t>(ttl - t.cfg.first_ttl);
  std::optional<std::chrono::nanoseconds> here;
  std::optional<std::chrono::nanoseconds> near;
  if (index < t.first_rtt.size()) here = t.first_rtt[index];
  for (std::size_t i = index + 1; i < t.first_rtt.size(); ++i) {
    if (t.first_rtt[i]) {
      near = t.first_rtt[i];
      break;
    }
  }
  return probe_wait(t.cfg.wait, here, near);
}

}  // namespace

void TraceEngine::on_timer(TraceTime now) {
  auto& e = *impl_;
  std::vector<ProbeId> expired;
  for (const auto& [id, rec] : e.probes) {
    auto t = e.traces.find(rec.trace);
    if (t == e.traces.end()) continue;
    if (rec.sent + wait_for(t->second, rec.ttl) <= now) expired.push_back(id);
  }
  std::sort(expired.begin(), expired.end());  // oldest probe first: deterministic order
  for (ProbeId id : expired) {
    auto it = e.probes.find(id);
    if (it == e.probes.end()) continue;
    auto t = e.traces.find(it->second.trace);
    if (t == e.traces.end() || t->second.done) continue;
    ProbeResult r;
    r.reason = ProbeReason::timeout;
    e.settle(t->second, it->second, std::move(r), now);
  }
  e.reap();
}

std::optional<TraceTime> TraceEngine::next_deadline() const {
  std::optional<TraceTime> best;
  for (const auto& [id, rec] : impl_->probes) {
    auto t = impl_->traces.find(rec.trace);
    if (t == impl_->traces.end()) continue;
    const TraceTime d = rec.sent + wait_for(t->second, rec.ttl);
    if (!best || d < *best) best = d;
  }
  return best;
}

std::optional<TraceEvent> TraceEngine::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  TraceEvent e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

std::size_t TraceEngine::active_traces() const noexcept { return impl_->traces.size(); }
std::size_t TraceEngine::probes_in_flight() const noexcept { return impl_->probes.size(); }

}  // namespace icmpkit::engine
