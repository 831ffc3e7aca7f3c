// net::Pinger: one engine, one socket, one timer per family. Everything runs
// on the Pinger's executor; the engine decides what to send and when, this
// file only moves bytes and time between it and the socket.
#include "icmpkit/net/pinger.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <span>
#include <unordered_map>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/net/socket_ops.hpp"
#include "icmpkit/sys/batch.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "probe_outbox.hpp"
#include "request_slab.hpp"

namespace icmpkit::net {

namespace {

std::uint64_t random_u64() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

bool is_cancelled(const engine::Outcome& outcome) { return std::holds_alternative<engine::Cancelled>(outcome); }

// Sends between two drains of the receive queue (one sendmmsg batch): a
// burst never outruns the reader by more than this many replies.
constexpr std::size_t sends_per_drain = sys::max_batch;
// The error queue is read at least this often while the socket is drained.
constexpr auto error_queue_period = std::chrono::milliseconds(1);
// A pump that sent and read at least this many datagrams makes the next
// one run with the socket out of the reactor (see pump): a burst then costs
// two epoll_ctl calls instead of an epoll wake-up per datagram, while a
// flood, one probe per pump, never pays for them.
constexpr std::size_t burst_work = sys::max_batch;
// Batched reads per drain at most (x sys::max_batch datagrams), so a socket
// that never runs dry cannot starve timers and sends.
constexpr std::size_t max_drain_rounds = 256;
// Receive slots offered beyond the probes in flight (duplicates, late
// replies, errors, other programs' ICMP on a raw socket). Every offered slot
// is set up for each recvmmsg call: a flood, one probe in flight and a drain
// per probe, spent a quarter of its user time preparing 63 slots it never
// used. A batch that comes back full doubles the next one, up to all slots.
constexpr std::size_t spare_receive_slots = 4;
// Targets of a sweep started and not yet sent: the rest wait as bare
// addresses, so a sweep of a million targets costs a million addresses, not
// a million requests. The window counts targets waiting to send, not those
// running: a target that sent and waits for its reply (or its timeout) does
// not hold the next ones back, so silent hosts cost their timeout once.
// Four send batches ahead of the socket, refilled after every pump that
// sent; small, so that where replies come at once (loopback) the running
// targets stay few and their records in cache (see tools/sweep.cpp).
constexpr std::size_t sweep_window = 4 * sys::max_batch;
// Targets of one async_sweep running at once, as a bound on memory when
// hosts are silent and nothing else caps the probes in flight (about 1 KiB
// per running target in all).
constexpr std::size_t sweep_max_running = std::size_t{1} << 17;
// Sweep ids have the top bit set; request ids never do.
constexpr std::uint64_t sweep_id_bit = std::uint64_t{1} << 63;

// What one queued reply costs against the receive buffer (skb truesize):
// measured on loopback, the default 212,992 B holds 256 replies of 84 B
// (832 B each); the margin covers larger payloads and other kernels.
std::size_t reply_cost(std::size_t payload) { return 1024 + 2 * (payload + 8 + 60); }
// Receive slot size: a reply to the largest probe, or an ICMP error quoting
// one (IPv6 errors quote up to 1232 bytes), behind a raw IPv4 header.
std::size_t slot_size_for(std::size_t payload) { return std::max<std::size_t>(2048, payload + 8 + 60 + 8); }

}  // namespace

struct Pinger::Impl : std::enable_shared_from_this<Impl> {
  struct Request {
    wire::Family family = wire::Family::v4;
    engine::TargetId target;
    PingResult result;
    ProbeCallback on_probe;
    std::unique_ptr<detail::Completion<PingResult>> completion;
    // The in-use check's consumer instead of a completion.
    std::function<void(std::error_code, PingResult&&)> finish;
    // stream_ping's receiver and the caller's tag, instead of a completion.
    PingStream* stream = nullptr;
    std::uint64_t stream_tag = 0;
    std::uint64_t sweep = 0;  // the sweep this request belongs to (0: none)
    bool keep_outcomes = true;
  };
  struct Sweep {
    std::vector<wire::IpAddress> addresses;
    std::size_t next = 0;     // first address not started yet
    std::size_t running = 0;  // requests started and not finished
    PingOptions options;
    SweepSummary summary;
    engine::RttStats rtt;
    SweepCallback on_result;
    std::unique_ptr<detail::Completion<SweepSummary>> completion;
  };
  struct Lane {
    explicit Lane(const asio::any_io_executor& ex, wire::Family f) : family(f), socket(ex), timer(ex) {}
    wire::Family family;
    icmp_socket socket;
    std::optional<engine::PingEngine> engine;
    asio::steady_timer timer;
    std::optional<engine::TimePoint> timer_at;
    bool receiving = false;
    bool waiting_write = false;
    // Probes built and not yet sent (left over when the send buffer was full).
    detail::ProbeOutbox outbox;
    std::vector<std::byte> rx = std::vector<std::byte>(sys::max_datagram_size);
    std::optional<wire::Ttl> ttl;
    std::optional<std::uint8_t> tos;
    bool dont_fragment = false;
    std::size_t requests = 0;
    // Receive side: batched slots, the buffer obtained, the in-flight cap.
    std::vector<std::byte> slot_memory;
    std::vector<sys::ReceiveSlot> slots;
    std::size_t slot_size = 0;
    std::size_t max_payload = 0;
    std::size_t receive_buffer = 0;
    std::size_t in_flight_cap = 0;
    bool error_queue_pending = true;  // the error queue may hold records
    // Which probe each kernel transmit timestamp belongs to; set while the
    // socket gives them (PingerOptions::transmit_timestamps).
    std::optional<detail::TransmitKeys> transmit_keys;
    engine::TimePoint error_queue_read_at{};
    bool pump_posted = false;
    std::size_t last_pump_work = 0;  // datagrams sent and read by the last pump
  };

  Impl(const asio::any_io_executor& ex, const PingerOptions& o)
      : executor(ex), options(o), v4(ex, wire::Family::v4), v6(ex, wire::Family::v6) {}

  asio::any_io_executor executor;
  PingerOptions options;
  Lane v4;
  Lane v6;
  detail::RequestSlab<Request> requests;
  std::unordered_map<std::uint64_t, Sweep> sweeps;
  std::uint64_t next_sweep_id = 1;
  bool shut_down = false;
  bool shutting_down = false;  // set first in shutdown(): streams hear nothing more
  // The streams with targets running, and how many each: they hear
  // on_probes_sent. Usually one (a sweep), so a vector.
  std::vector<std::pair<PingStream*, std::size_t>> streams;

  Lane& lane(wire::Family f) { return f == wire::Family::v4 ? v4 : v6; }

  std::error_code open(Lane& l) {
    if (l.engine) return {};
    sys::OpenOptions open_options;
    open_options.mode = options.mode;
    open_options.receive_timestamps = options.kernel_timestamps;
    open_options.receive_ttl = options.reply_ttl;
    // Drops are read when asked for (socket_stats: SO_MEMINFO, exact then),
    // not from a control message on every reply.
    open_options.receive_drop_count = false;
    // Replies' TOS and destination are never reported: each control message
    // costs the kernel time on every reply of a sweep.
    open_options.receive_tos = false;
    open_options.receive_pktinfo = false;
    std::error_code ec;
    l.socket.open(l.family, open_options, ec);
    if (ec) return ec;
    const auto& source = l.family == wire::Family::v4 ? options.source_v4 : options.source_v6;
    engine::EngineConfig config;
    config.family = l.family;
    config.cookie = random_u64();
    config.max_rate = options.max_rate;
    config.burst = options.burst;
    config.linger = options.linger;
    const auto duties = l.socket.sys_socket().duties();
    config.compute_checksum = !duties.computes_checksum;
    config.match_echo_id = !duties.rewrites_echo_id;
    if (l.socket.kind() == sys::SocketKind::dgram) {
      if (source) {
        if (auto r = sys::bind_source(l.socket.ref(), *source); !r) {
          l.socket.close();
          return r.error();
        }
      }
      auto id = l.socket.sys_socket().ensure_echo_id();
      if (!id && !source) {
        l.socket.close();
        return id.error();
      }
      config.echo_id = id ? *id : l.socket.sys_socket().local_echo_id().value_or(wire::EchoId{0});
    } else {
      config.echo_id = wire::EchoId(static_cast<std::uint16_t>(random_u64()));
      if (source) {
        if (auto r = sys::bind_source(l.socket.ref(), *source); !r) {
          l.socket.close();
          return r.error();
        }
      }
    }
    if (options.receive_buffer != 0) {
      // Smaller than asked is fine (rmem_max without CAP_NET_ADMIN): the
      // in-flight cap below then follows what was obtained.
      if (auto size = sys::set_receive_buffer(l.socket.ref(), options.receive_buffer)) l.receive_buffer = *size;
    }
    if (options.transmit_timestamps) enable_transmit_timestamps(l);
    l.error_queue_pending = true;
    l.engine.emplace(config);
    update_receive_side(l, 56);
    return {};
  }

  // Kernel transmit timestamps when the kernel gives them; otherwise the
  // send time stays the one taken around the send call. SO_TIMESTAMPING
  // then also stamps what is received, so SO_TIMESTAMPNS goes off: one
  // timestamp per reply, not two.
  void enable_transmit_timestamps(Lane& l) {
    l.outbox.log_sends_to(nullptr);  // a reopened socket counts from 0 again
    l.transmit_keys.reset();
    if (!sys::set_transmit_timestamps(l.socket.ref(), true)) return;
    (void)sys::set_receive_timestamps(l.socket.ref(), false);
    l.transmit_keys.emplace();
    l.outbox.log_sends_to(&*l.transmit_keys);
  }

  // Send and receive buffers big enough for `payload`, and the cap that
  // keeps the replies in flight within the receive buffer.
  void update_receive_side(Lane& l, std::size_t payload) {
    l.max_payload = std::max(l.max_payload, payload);
    l.outbox.reserve_for(wire::icmp_header_size + l.max_payload);
    const std::size_t wanted = slot_size_for(l.max_payload);
    if (wanted > l.slot_size) {
      l.slot_size = wanted;
      const std::size_t stride = wanted + sys::recommended_control_size;
      l.slot_memory.assign(stride * sys::max_batch, std::byte{0});
      l.slots.clear();
      for (std::size_t i = 0; i < sys::max_batch; ++i) {
        auto* base = l.slot_memory.data() + i * stride;
        l.slots.emplace_back(MutableBytes(base, wanted), MutableBytes(base + wanted, sys::recommended_control_size));
      }
    }
    if (options.max_in_flight == PingerOptions::no_in_flight_cap) {
      l.in_flight_cap = 0;
    } else if (options.max_in_flight != 0) {
      l.in_flight_cap = options.max_in_flight;
    } else {
      const std::size_t buffer = l.receive_buffer != 0 ? l.receive_buffer : 212992;
      l.in_flight_cap = std::max<std::size_t>(1, buffer / reply_cost(l.max_payload));
    }
  }

  // Requests of the lane with no probe in flight: started and not yet sent,
  // or between probes (see sweep_window).
  std::size_t unsent(const Lane& l) const {
    if (!l.engine) return 0;
    const std::size_t in_flight = l.engine->in_flight();
    return l.requests > in_flight ? l.requests - in_flight : 0;
  }

  void add_stream(PingStream* stream) {
    for (auto& [known, count] : streams) {
      if (known == stream) {
        ++count;
        return;
      }
    }
    streams.emplace_back(stream, 1);
  }
  void remove_stream(PingStream* stream) {
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].first == stream && --streams[i].second == 0) {
        streams[i] = streams.back();
        streams.pop_back();
        return;
      }
    }
  }

  // After a pump that sent probes: the sweeps and streams that keep targets
  // waiting to send start more. Callbacks may start or end targets and
  // sweeps, so both are walked by index and looked up again.
  void on_probes_sent() {
    if (!sweeps.empty()) {
      std::vector<std::uint64_t> waiting;
      for (const auto& [id, sweep] : sweeps) {
        if (sweep.next < sweep.addresses.size()) waiting.push_back(id);
      }
      for (auto id : waiting) launch_sweep(id);
    }
    for (std::size_t i = 0; i < streams.size() && !shutting_down; ++i) streams[i].first->on_probes_sent();
  }

  bool capped(const Lane& l) const { return l.in_flight_cap != 0 && l.engine->in_flight() >= l.in_flight_cap; }

  // --- requests -------------------------------------------------------------
  // Moves `request` into the table on success only; on failure the caller
  // still owns it (and its completion) and reports `ec`.
  std::uint64_t start(const wire::IpAddress& address, const PingOptions& opts, Request& request,
                      std::error_code& ec) {
    auto& l = lane(address.family());
    ec = open(l);
    if (ec) return 0;
    request.family = address.family();
    request.result.address = address;
    request.keep_outcomes = opts.keep_outcomes;
    const auto id = requests.insert(std::move(request));
    auto target = l.engine->add_target(address, opts, engine::Clock::now(), id);
    if (!target) {
      ec = target.error();
      request = std::move(*requests.take(id));
      return 0;
    }
    // Nothing grows for a payload open() (or an earlier request) sized for:
    // the common case, a sweep's targets all alike.
    if (opts.payload_size > l.max_payload) update_receive_side(l, opts.payload_size);
    requests.find(id)->target = *target;
    ++l.requests;
    post_pump(l);
    return id;
  }

  void finish_request(std::uint64_t id, std::error_code ec) {
    if (auto* found = requests.find(id); found != nullptr && found->stream != nullptr) {
      finish_streamed(id, *found, ec);
      return;
    }
    auto taken = requests.take(id);
    if (!taken) return;
    auto& request = *taken;
    --lane(request.family).requests;
    if (request.completion) {
      request.completion->complete(ec, std::move(request.result));
    } else if (request.sweep != 0) {
      on_sweep_result(request.sweep, ec, request.result);
    } else if (request.finish) {
      request.finish(ec, std::move(request.result));
    }
  }

  // A streamed request ends in place (no move of the request out of the
  // slab): its stream hears the end after it is gone, so the stream may start
  // another target in the freed slot.
  void finish_streamed(std::uint64_t id, Request& request, std::error_code ec) {
    auto* stream = request.stream;
    const auto tag = request.stream_tag;
    const auto statistics = request.result.statistics;
    const bool cancelled = request.result.cancelled;
    --lane(request.family).requests;
    requests.erase(id);
    remove_stream(stream);
    // Not while shutting down: the stream's owner may be half destroyed.
    if (!shutting_down) stream->on_finished(tag, ec, statistics, cancelled);
  }

  // --- sweeps -----------------------------------------------------------------
  // Starts targets until the window is full. False when one could not start
  // (the sweep has then completed with that error).
  bool launch_sweep(std::uint64_t sweep_id) {
    for (;;) {
      auto it = sweeps.find(sweep_id);
      if (it == sweeps.end()) return true;
      auto& sweep = it->second;
      if (sweep.running >= sweep_max_running || sweep.next >= sweep.addresses.size()) return true;
      if (unsent(lane(sweep.addresses[sweep.next].family())) >= sweep_window) return true;
      Request request;
      request.sweep = sweep_id;
      const auto address = sweep.addresses[sweep.next++];
      ++sweep.running;
      std::error_code ec;
      start(address, sweep.options, request, ec);
      if (ec) {
        // A target that cannot be pinged at all (no socket, bad options) fails the sweep.
        --sweep.running;
        end_sweep(sweep_id, ec);
        return false;
      }
    }
  }

  void on_sweep_result(std::uint64_t sweep_id, std::error_code ec, const PingResult& result) {
    auto it = sweeps.find(sweep_id);
    if (it == sweeps.end()) return;
    auto& sweep = it->second;
    --sweep.running;
    sweep.summary.statistics.add_counts(result.statistics);
    add_reply_rtts(result, sweep.rtt);
    ++sweep.summary.targets;
    if (result.any_reply()) ++sweep.summary.alive;
    if (ec) {  // the Pinger is going away, or the socket failed
      end_sweep(sweep_id, ec);
      return;
    }
    if (sweep.on_result) sweep.on_result(result);  // may cancel the sweep
    it = sweeps.find(sweep_id);
    if (it == sweeps.end()) return;
    if (it->second.running == 0 && it->second.next >= it->second.addresses.size()) {
      end_sweep(sweep_id, {});
      return;
    }
    launch_sweep(sweep_id);
  }

  // Completes the sweep and cancels what still runs (their results are
  // dropped). Never pumps here: this runs inside a pump or fail_lane.
  void end_sweep(std::uint64_t sweep_id, std::error_code ec) {
    auto it = sweeps.find(sweep_id);
    if (it == sweeps.end()) return;
    auto done = std::move(it->second);
    sweeps.erase(it);
    const auto now = engine::Clock::now();
    requests.for_each([&](std::uint64_t, Request& r) {
      if (r.sweep != sweep_id) return;
      r.sweep = 0;
      auto& l = lane(r.family);
      if (l.engine) {
        l.engine->cancel(r.target, now);
        post_pump(l);
      }
    });
    done.summary.statistics.rtt = done.rtt.summary();
    done.completion->complete(ec, std::move(done.summary));
  }

  void cancel_sweep(std::uint64_t sweep_id) {
    auto it = sweeps.find(sweep_id);
    if (it == sweeps.end()) return;
    // No more targets start; those running end as Cancelled and complete it.
    it->second.addresses.resize(it->second.next);
    if (it->second.running == 0) {
      end_sweep(sweep_id, {});
      return;
    }
    std::vector<std::uint64_t> running;
    requests.for_each([&](std::uint64_t id, Request& r) {
      if (r.sweep == sweep_id) running.push_back(id);
    });
    for (auto id : running) cancel(id);
  }

  void on_event(Lane& l, const engine::ProbeEvent& event) {
    auto* found = requests.find(event.user_data);
    if (found == nullptr) return;
    auto& request = *found;
    if (event.kind != engine::EventKind::done) {
      if (request.stream != nullptr) {
        request.stream->on_probe(request.stream_tag, event);
      } else if (request.on_probe) {
        request.on_probe(event);
      }
    }
    switch (event.kind) {
      case engine::EventKind::outcome:
        if (request.keep_outcomes) {
          request.result.probes.push_back({event.probe_index, event.attempt, event.seq, event.outcome});
        }
        break;
      case engine::EventKind::duplicate:
        // Reflect it in the probe's Reply while the request runs.
        for (auto& probe : request.result.probes) {
          if (probe.index == event.probe_index && probe.attempt == event.attempt) {
            if (auto* reply = std::get_if<engine::Reply>(&probe.outcome)) ++reply->duplicates;
          }
        }
        break;
      case engine::EventKind::late_reply:
        break;  // counted in the statistics
      case engine::EventKind::done: {
        request.result.statistics = l.engine->stats(request.target);
        request.result.cancelled = is_cancelled(event.outcome);
        l.engine->release(request.target);
        finish_request(event.user_data, {});
        break;
      }
    }
  }

  void cancel(std::uint64_t id) {
    if ((id & sweep_id_bit) != 0) {
      cancel_sweep(id);
      return;
    }
    if (auto* request = requests.find(id)) {
      auto& l = lane(request->family);
      if (l.engine) l.engine->cancel(request->target, engine::Clock::now());
      pump(l);
    }
  }

  // --- the loop ---------------------------------------------------------------
  // Sets the socket options `t` asks for when they differ from the current ones.
  std::error_code apply_options(Lane& l, const engine::Transmit& t) {
    const auto ref = l.socket.ref();
    if (t.ttl != l.ttl) {
      auto r = sys::set_ttl(ref, t.ttl.value_or(wire::Ttl(64)));
      if (!r) return r.error();
      l.ttl = t.ttl;
    }
    if (t.tos != l.tos) {
      auto r = sys::set_tos(ref, t.tos.value_or(0));
      if (!r) return r.error();
      l.tos = t.tos;
    }
    if (t.dont_fragment != l.dont_fragment) {
      auto r = sys::set_pmtu_mode(ref, t.dont_fragment ? sys::PmtuMode::do_ : sys::PmtuMode::want);
      if (!r) return r.error();
      l.dont_fragment = t.dont_fragment;
    }
    return {};
  }

  // Sends the outbox. False when the send buffer is full (the rest is sent
  // when the socket is writable).
  bool flush(Lane& l) {
    return l.outbox.flush(l.socket.ref(), *l.engine,
                          [this, &l](const engine::Transmit& t) { return apply_options(l, t); });
  }

  // Sends what is due, one batch at a time, reading the socket dry first and
  // again after every batch, and never with more probes in flight than
  // replies fit in the receive buffer: a fast sweep must not overrun it.
  void pump(Lane& l) {
    if (!l.engine || shut_down) return;
    if (l.last_pump_work >= burst_work) suspend_for_burst(l);
    std::size_t work = 0;  // datagrams read and probes built
    std::size_t sent = 0;  // probes built (and handed to the outbox)
    auto read = drain_socket(l);
    if (!read) return;
    work += *read;
    auto now = engine::Clock::now();
    l.engine->handle_timeout(now);
    bool blocked = l.waiting_write || !flush(l);
    while (!blocked) {
      std::size_t built = 0;
      while (!l.outbox.full() && built < sends_per_drain && !capped(l)) {
        auto t = l.engine->poll_transmit(now, l.outbox.next_buffer());
        if (!t) break;
        l.outbox.push(*t);
        ++built;
      }
      work += built;
      sent += built;
      if (built == 0) break;  // nothing due, or the cap holds (replies or the timer resume)
      // A sweep can run whole inside one pump (its targets refill from the
      // events above), so the burst is recognised here too, not only by the
      // next pump.
      if (work >= burst_work) suspend_for_burst(l);
      blocked = !flush(l);
      read = drain_socket(l);
      if (!read) return;
      work += *read;
      now = engine::Clock::now();
    }
    l.last_pump_work = work;
    if (blocked && !l.waiting_write) {
      if (!resume_readiness(l)) return;
      l.waiting_write = true;
      l.socket.async_wait(icmp_socket::wait_type::wait_write,
                          [self = shared_from_this(), &l](std::error_code ec) {
                            l.waiting_write = false;
                            if (self->shut_down) return;
                            (void)ec;  // writable, or aborted by an idle cancel: pump decides
                            self->pump(l);
                          });
    }
    drain_events(l);
    if (sent != 0) on_probes_sent();
    // A pump already posted (targets started by the events above) waits
    // instead: the socket stays out of the reactor until the burst is over.
    if (l.requests > 0 && !l.receiving && !l.pump_posted && l.socket.is_open()) {
      if (!resume_readiness(l)) return;
      start_receive(l);
    }
    if (l.requests == 0 && (l.receiving || l.waiting_write) && l.socket.is_open()) {
      // Idle: no pending operation may keep the caller's io_context running.
      std::error_code ignored;
      l.socket.cancel(ignored);
      l.outbox.clear();
    }
    arm_timer(l);
  }

  // Many requests started in one go (a sweep, a window of async_pings) are
  // sent by one pump: one drain and one timer update for all of them.
  void post_pump(Lane& l) {
    if (l.pump_posted) return;
    l.pump_posted = true;
    asio::post(executor, [self = shared_from_this(), &l]() {
      l.pump_posted = false;
      if (!self->shut_down) self->pump(l);
    });
  }

  void drain_events(Lane& l) {
    while (auto event = l.engine->poll_event()) on_event(l, *event);
  }

  void arm_timer(Lane& l) {
    auto deadline = l.engine->next_deadline();
    if (l.requests == 0) deadline.reset();  // only lingering records left: nothing waits on them
    if (deadline && capped(l)) {
      // A send is due but the cap holds it: replies wake us; this only makes
      // sure timeouts still free the cap when no reply comes.
      const auto soon = engine::Clock::now() + std::chrono::milliseconds(1);
      if (*deadline < soon) deadline = soon;
    }
    if (deadline == l.timer_at) return;
    l.timer_at = deadline;
    if (!deadline) {
      l.timer.cancel();
      return;
    }
    l.timer.expires_at(*deadline);
    l.timer.async_wait([self = shared_from_this(), &l, at = *deadline](std::error_code ec) {
      if (ec == asio::error::operation_aborted || l.timer_at != at) return;
      l.timer_at.reset();
      self->pump(l);
    });
  }

  // Out of the reactor for the rest of a burst (see burst_work). Never
  // while a wait is pending: suspending would abort it.
  void suspend_for_burst(Lane& l) {
    if (!l.receiving && !l.waiting_write && l.socket.is_open() && !l.socket.readiness_suspended()) {
      l.socket.suspend_readiness();
    }
  }

  // Back into the reactor before a wait. False when the lane failed.
  bool resume_readiness(Lane& l) {
    std::error_code ec;
    l.socket.resume_readiness(ec);
    if (!ec) return true;
    fail_lane(l, ec);
    return false;
  }

  void start_receive(Lane& l) {
    l.receiving = true;
    l.socket.async_wait(icmp_socket::wait_type::wait_read, [self = shared_from_this(), &l](std::error_code ec) {
      l.receiving = false;
      if (self->shut_down) return;
      if (ec && ec != asio::error::operation_aborted) {
        self->fail_lane(l, ec);
        return;
      }
      self->pump(l);  // drains the socket first; re-armed if requests remain
    });
  }

  // Reads everything queued into the engine without blocking: recvmmsg
  // batches, and the error queue when an ICMP error may be in it. The kernel
  // flags a queued error once (the next read or send fails with it, or a
  // read of an empty queue), so the error queue is read after such a
  // failure, and otherwise at most every error_queue_period (a drain that
  // stops on a short batch never sees the flag): a flood, which drains once
  // per probe, saves one system call per probe. Returns the datagrams read;
  // nullopt when the lane failed.
  std::optional<std::size_t> drain_socket(Lane& l) {
    if (!l.engine) return std::nullopt;
    if (!l.socket.is_open()) return 0;
    std::size_t read = 0;
    const auto ref = l.socket.ref();
    std::array<std::byte, sys::recommended_control_size> control{};
    if (l.outbox.take_error_hint()) l.error_queue_pending = true;
    if (engine::Clock::now() - l.error_queue_read_at >= error_queue_period) l.error_queue_pending = true;
    // Transmit timestamps are read before the replies: a reply read first
    // would take its RTT from the send call's time instead.
    if (l.transmit_keys && l.transmit_keys->records_due()) l.error_queue_pending = true;
    std::size_t batch = std::min(l.slots.size(), l.engine->in_flight() + spare_receive_slots);
    for (std::size_t round = 0; round < max_drain_rounds; ++round) {
      if (l.error_queue_pending) {
        l.error_queue_read_at = engine::Clock::now();
        std::size_t errors = 0;
        for (; errors < sys::max_batch; ++errors) {
          auto record = sys::receive_error(ref, l.rx, control);
          if (record) {
            deliver_error(l, *record);
          } else if (record.error() != errc::bad_length) {
            break;  // no_message; a real failure shows again on the normal read
          }
        }
        if (errors < sys::max_batch) {  // read dry
          l.error_queue_pending = false;
          if (l.transmit_keys) l.transmit_keys->mark_read();
        }
      }
      bool pending_error = false;
      auto count = sys::receive_batch(ref, std::span(l.slots).first(batch), &pending_error);
      if (pending_error) l.error_queue_pending = true;
      if (!count) {
        const auto ec = count.error();
        if (is_would_block(ec)) {
          if (!l.error_queue_pending) return read;
          continue;
        }
        if (ec.category() == std::system_category() && sys::is_reported_icmp_error(ec.value())) {
          l.error_queue_pending = true;
          continue;
        }
        fail_lane(l, ec);
        return std::nullopt;
      }
      const auto now = engine::Clock::now();
      read += *count;
      for (std::size_t i = 0; i < *count; ++i) {
        const auto& datagram = l.slots[i].datagram();
        if (!datagram) continue;  // malformed raw IPv4 header: consumed, skipped
        engine::DatagramIn d;
        d.source = datagram->source;
        d.icmp = datagram->icmp;
        d.ttl = datagram->ttl;
        d.realtime = datagram->kernel_timestamp;
        l.engine->on_datagram(now, d);
      }
      // Events go out batch by batch, not once the socket is dry: a flood's
      // receive buffer holds tens of thousands of replies, and their events
      // (about 130 bytes each) piled up to 12 MB before the first was read.
      // Handlers may start targets here, as from any pump.
      drain_events(l);
      if (!l.engine) return std::nullopt;
      if (*count < batch && !l.error_queue_pending) return read;
      if (*count == batch) batch = std::min(l.slots.size(), 2 * batch);
    }
    return read;
  }

  void deliver_error(Lane& l, const sys::ErrorQueueRecord& r) {
    if (r.origin == sys::ErrorOrigin::txstatus) {
      if (!l.transmit_keys || !r.kernel_timestamp) return;
      if (const auto probe = l.transmit_keys->find(r.data)) l.engine->on_transmit_timestamp(*probe, *r.kernel_timestamp);
      return;
    }
    if (r.origin == sys::ErrorOrigin::zerocopy || r.origin == sys::ErrorOrigin::txtime) return;
    engine::ErrorRecordIn in;
    in.offender = r.offender;
    in.original_destination = r.original_destination;
    in.from_icmp = r.origin == sys::ErrorOrigin::icmp || r.origin == sys::ErrorOrigin::icmp6;
    in.type = r.icmp_type;
    in.code = r.icmp_code;
    in.info = r.info;
    in.error_number = r.error_number;
    in.probe = r.probe;
    in.realtime = r.kernel_timestamp;
    l.engine->on_error_record(engine::Clock::now(), in);
  }

  void fail_lane(Lane& l, std::error_code ec) {
    std::vector<std::uint64_t> ids;
    requests.for_each([&](std::uint64_t id, Request& request) {
      if (request.family == l.family) ids.push_back(id);
    });
    for (auto id : ids) {
      auto* request = requests.find(id);
      if (request == nullptr) continue;  // a sweep ending above cancelled it
      request->result.statistics = l.engine->stats(request->target);
      l.engine->release(request->target);
      finish_request(id, ec);
    }
    l.socket.close();
    l.timer.cancel();
    l.timer_at.reset();
    l.engine.reset();
    l.ttl.reset();
    l.tos.reset();
    l.dont_fragment = false;
    l.outbox.clear();
    l.receive_buffer = 0;
    l.in_flight_cap = 0;
  }

  void shutdown() {
    if (shut_down) return;
    shutting_down = true;
    for (auto* l : {&v4, &v6}) {
      if (l->engine) fail_lane(*l, asio::error::operation_aborted);
    }
    shut_down = true;
    for (auto& [id, sweep] : sweeps) {
      if (sweep.completion) sweep.completion->complete(asio::error::operation_aborted, std::move(sweep.summary));
    }
    sweeps.clear();
  }
};

Pinger::Pinger(const executor_type& executor, const PingerOptions& options)
    : impl_(std::make_shared<Impl>(executor, options)) {}

Pinger::~Pinger() {
  if (impl_) impl_->shutdown();
}
Pinger::Pinger(Pinger&&) noexcept = default;
Pinger& Pinger::operator=(Pinger&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->shutdown();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Pinger::executor_type Pinger::get_executor() const noexcept { return impl_->executor; }

std::uint64_t Pinger::start_ping(const wire::IpAddress& address, const PingOptions& options, ProbeCallback on_probe,
                                 std::unique_ptr<detail::Completion<PingResult>> completion) {
  Impl::Request request;
  request.on_probe = std::move(on_probe);
  request.completion = std::move(completion);
  std::error_code ec;
  const auto id = impl_->start(address, options, request, ec);
  if (ec) {
    PingResult result;
    result.address = address;
    request.completion->complete(ec, std::move(result));
    return 0;
  }
  return id;
}

std::uint64_t Pinger::start_sweep(std::vector<wire::IpAddress> addresses, const PingOptions& options,
                                  SweepCallback on_result,
                                  std::unique_ptr<detail::Completion<SweepSummary>> completion) {
  auto& impl = *impl_;
  const auto sweep_id = impl.next_sweep_id++ | sweep_id_bit;
  auto& sweep = impl.sweeps[sweep_id];
  sweep.addresses = std::move(addresses);
  sweep.options = options;
  sweep.on_result = std::move(on_result);
  sweep.completion = std::move(completion);
  if (sweep.addresses.empty()) {
    impl.end_sweep(sweep_id, {});
    return 0;
  }
  return impl.launch_sweep(sweep_id) ? sweep_id : 0;
}

Result<void> Pinger::stream_ping(const wire::IpAddress& address, const PingOptions& options, PingStream& stream,
                                 std::uint64_t tag) {
  Impl::Request request;
  request.stream = &stream;
  request.stream_tag = tag;
  std::error_code ec;
  impl_->start(address, options, request, ec);
  if (ec) return unexpected(ec);
  impl_->add_stream(&stream);
  return {};
}

std::size_t Pinger::unsent_requests(wire::Family family) const { return impl_->unsent(impl_->lane(family)); }

void Pinger::start_in_use_check(const wire::IpAddress& address, std::chrono::nanoseconds timeout,
                                std::unique_ptr<detail::Completion<bool>> completion) {
  PingOptions options;
  options.count = 2;
  options.interval = timeout / 2;
  options.timeout = timeout - options.interval;
  if (options.timeout <= std::chrono::nanoseconds::zero()) options.timeout = std::chrono::milliseconds(1);
  options.stop_on_reply = true;
  options.payload_size = 24;
  Impl::Request request;
  std::shared_ptr<detail::Completion<bool>> shared(std::move(completion));
  request.finish = [shared](std::error_code ec, PingResult&& result) { shared->complete(ec, result.any_reply()); };
  std::error_code ec;
  impl_->start(address, options, request, ec);
  if (ec) shared->complete(ec, false);
}

void Pinger::cancel_request(const std::weak_ptr<Impl>& weak, std::uint64_t id) {
  auto impl = weak.lock();
  if (!impl) return;
  asio::post(impl->executor, [impl, id]() { impl->cancel(id); });
}

void Pinger::cancel_all() {
  std::vector<std::uint64_t> ids;
  for (auto& [id, sweep] : impl_->sweeps) ids.push_back(id);
  impl_->requests.for_each([&](std::uint64_t id, Impl::Request&) { ids.push_back(id); });
  for (auto id : ids) impl_->cancel(id);
}

std::optional<sys::SocketKind> Pinger::socket_kind(wire::Family family) const noexcept {
  auto& l = impl_->lane(family);
  if (!l.socket.is_open()) return std::nullopt;
  return l.socket.kind();
}

std::error_code Pinger::open(wire::Family family) { return impl_->open(impl_->lane(family)); }

engine::PingStatistics Pinger::total_stats(wire::Family family) const {
  auto& l = impl_->lane(family);
  return l.engine ? l.engine->total_stats() : engine::PingStatistics{};
}

SocketStats Pinger::socket_stats(wire::Family family) const {
  auto& l = impl_->lane(family);
  SocketStats out;
  if (!l.socket.is_open()) return out;
  out.receive_buffer = l.receive_buffer;
  out.in_flight_cap = l.in_flight_cap;
  if (auto drops = sys::receive_drops(l.socket.ref())) out.kernel_drops = *drops;
  return out;
}

engine::EngineCounters Pinger::engine_counters(wire::Family family) const {
  auto& l = impl_->lane(family);
  return l.engine ? l.engine->counters() : engine::EngineCounters{};
}

}  // namespace icmpkit::net
