// net::Tracer: feeds one engine::TraceEngine from Asio readiness waits and a
// steady_timer. All protocol decisions (what to send, matching, waits) are
// the engine's; this file only moves bytes and time between it and sockets.
#include "icmpkit/net/tracer.hpp"

#include <array>
#include <cerrno>
#include <cstddef>
#include <map>
#include <random>
#include <vector>

#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include "icmpkit/engine/trace_engine.hpp"
#include "icmpkit/error.hpp"
#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/net/socket_ops.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/raw_ip_socket.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/tcp_connect_probe.hpp"
#include "icmpkit/sys/udp_socket.hpp"

namespace icmpkit::net {
namespace {

using engine::TraceClock;

// Bounds one drain so a flood on one socket cannot starve the others; the
// readiness wait is level-triggered and comes back at once if more is queued.
constexpr int max_reads_per_drain = 256;
// Likewise for sends: a burst of new traces is sent in slices.
constexpr int max_sends_per_pump = 1024;

std::size_t family_index(wire::Family family) noexcept { return family == wire::Family::v4 ? 0 : 1; }

std::optional<engine::ErrorQueueRecord::Origin> to_engine_origin(sys::ErrorOrigin origin) noexcept {
  switch (origin) {
    case sys::ErrorOrigin::local:
      return engine::ErrorQueueRecord::Origin::local;
    case sys::ErrorOrigin::icmp:
      return engine::ErrorQueueRecord::Origin::icmp;
    case sys::ErrorOrigin::icmp6:
      return engine::ErrorQueueRecord::Origin::icmp6;
    default:
      return std::nullopt;  // transmit timestamps and the like: not about a hop
  }
}

// Per-socket settings last applied, so a probe costs a setsockopt only when
// something changes.
struct AppliedOptions {
  std::optional<std::uint8_t> ttl;
  std::optional<std::uint8_t> tos;
  std::optional<bool> dont_fragment;
};

Result<void> apply_probe_options(sys::SocketRef ref, AppliedOptions& applied, const engine::TraceTransmit& t) {
  if (applied.ttl != t.ttl.value()) {
    if (auto r = sys::set_ttl(ref, t.ttl); !r) return r;
    applied.ttl = t.ttl.value();
  }
  if (applied.tos != t.traffic_class && (t.traffic_class != 0 || applied.tos)) {
    if (auto r = sys::set_tos(ref, t.traffic_class); !r) return r;
    applied.tos = t.traffic_class;
  }
  if (applied.dont_fragment != t.dont_fragment && (t.dont_fragment || applied.dont_fragment)) {
    if (auto r = sys::set_pmtu_mode(ref, t.dont_fragment ? sys::PmtuMode::probe : sys::PmtuMode::want); !r) return r;
    applied.dont_fragment = t.dont_fragment;
  }
  return {};
}

}  // namespace

struct Tracer::Impl : std::enable_shared_from_this<Impl> {
  struct IcmpLane {
    explicit IcmpLane(const executor_type& executor) : socket(executor) {}
    icmp_socket socket;
    std::optional<wire::EchoId> echo_id;  // raw sockets: ours to choose
    AppliedOptions applied;
    std::vector<std::byte> rx;
    std::uint64_t generation = 0;
    bool waiting = false;
  };
  struct UdpLane {
    explicit UdpLane(const executor_type& executor) : descriptor(executor) {}
    ~UdpLane() { detach(); }
    UdpLane(const UdpLane&) = delete;
    UdpLane& operator=(const UdpLane&) = delete;
    // The descriptor only waits; the UdpSocket owns and closes the fd.
    void detach() {
      if (descriptor.is_open()) {
        std::error_code ignored;
        descriptor.cancel(ignored);
        (void)descriptor.release();
      }
    }
    sys::UdpSocket socket;
    asio::posix::stream_descriptor descriptor;
    AppliedOptions applied;
    std::vector<std::byte> rx;
    std::uint64_t generation = 0;
    bool waiting = false;
  };
  // TCP SYN probes: a raw TCP socket sends SYNs and sees the SYN-ACK / RST
  // answers; the ICMP errors they cause come from a raw ICMP socket of its own
  // (a ping socket never sees errors about TCP).
  struct TcpLane {
    explicit TcpLane(const executor_type& executor) : descriptor(executor), errors(executor) {}
    ~TcpLane() { detach(); }
    TcpLane(const TcpLane&) = delete;
    TcpLane& operator=(const TcpLane&) = delete;
    void detach() {
      if (descriptor.is_open()) {
        std::error_code ignored;
        descriptor.cancel(ignored);
        (void)descriptor.release();
      }
    }
    sys::RawIpSocket socket;
    asio::posix::stream_descriptor descriptor;
    IcmpLane errors;
    sys::TcpPortReservation port;
    wire::IpAddress source;
    AppliedOptions applied;
    std::vector<std::byte> rx;
    std::uint64_t generation = 0;
    bool waiting = false;
  };
  // TCP connect() probes (no CAP_NET_RAW): one socket per probe, keyed by
  // the engine's probe id (never reused), closed once the probe has settled.
  struct ConnectProbe {
    explicit ConnectProbe(const executor_type& executor) : descriptor(executor) {}
    ~ConnectProbe() { detach(); }
    ConnectProbe(const ConnectProbe&) = delete;
    ConnectProbe& operator=(const ConnectProbe&) = delete;
    void detach() {
      if (descriptor.is_open()) {
        std::error_code ignored;
        descriptor.cancel(ignored);
        (void)descriptor.release();
      }
    }
    sys::TcpConnectProbe socket;
    asio::posix::stream_descriptor descriptor;
  };
  struct Active {
    HopCallback on_hop;
    std::unique_ptr<detail::Completion<engine::TraceResult>> completion;
  };

  Impl(const executor_type& ex, const TracerOptions& opts)
      : executor(ex), options(opts), timer(ex), icmp{IcmpLane(ex), IcmpLane(ex)} {
    udp[0] = std::make_unique<UdpLane>(ex);
    udp[1] = std::make_unique<UdpLane>(ex);
    tcp[0] = std::make_unique<TcpLane>(ex);
    tcp[1] = std::make_unique<TcpLane>(ex);
  }

  executor_type executor;
  TracerOptions options;
  engine::TraceEngine engine;
  asio::steady_timer timer;
  std::uint64_t timer_generation = 0;
  std::array<IcmpLane, 2> icmp;
  std::array<std::unique_ptr<UdpLane>, 2> udp;
  std::array<std::unique_ptr<TcpLane>, 2> tcp;
  std::map<engine::TraceId, Active> traces;
  // Per family: tcp_syn probes go out as connect() probes (the raw TCP
  // socket could not be opened for lack of privilege).
  std::array<bool, 2> tcp_connect{};
  std::map<engine::ProbeId, std::unique_ptr<ConnectProbe>> connects;
  std::vector<std::byte> connect_rx = std::vector<std::byte>(2048);
  bool in_pump = false;
  bool repump = false;
  bool shut_down = false;

  const std::optional<wire::IpAddress>& source(wire::Family family) const {
    return family == wire::Family::v4 ? options.source_v4 : options.source_v6;
  }

  std::error_code open_icmp(wire::Family family) {
    return open_icmp_lane(icmp[family_index(family)], family, options.icmp_mode);
  }

  std::error_code open_icmp_lane(IcmpLane& lane, wire::Family family, sys::SocketMode mode) {
    if (lane.socket.is_open()) return {};
    sys::OpenOptions open_options;
    open_options.mode = mode;
    open_options.receive_timestamps = false;
    open_options.receive_tos = false;
    open_options.receive_pktinfo = false;
    std::error_code ec;
    lane.socket.open(family, open_options, ec);
    if (ec) return ec;
    const sys::SocketRef ref = lane.socket.ref();
    if (const auto& src = source(family)) {
      if (auto r = sys::bind_source(ref, *src); !r) {
        lane.socket.close();
        return r.error();
      }
    }
    if (!options.interface_name.empty()) {
      if (auto r = sys::bind_device(ref, options.interface_name); !r) {
        lane.socket.close();
        return r.error();
      }
    }
    if (lane.socket.kind() == sys::SocketKind::raw) {
      // A raw socket reads the ICMP errors themselves, extensions included
      // (RFC 4884); with IP_RECVERR the same error would also be queued as a
      // record without them, and whichever the engine saw first would win.
      if (auto r = sys::set_receive_errors(ref, false); !r) {
        lane.socket.close();
        return r.error();
      }
      std::random_device device;
      lane.echo_id = wire::EchoId(static_cast<std::uint16_t>(device()));
    }
    lane.rx.resize(sys::max_datagram_size);
    return {};
  }

  std::error_code open_udp(wire::Family family) {
    UdpLane& lane = *udp[family_index(family)];
    if (lane.socket.is_open()) return {};
    auto opened = sys::UdpSocket::open(family, source(family));
    if (!opened) return opened.error();
    if (!options.interface_name.empty()) {
      if (auto r = sys::bind_device(opened->ref(), options.interface_name); !r) return r.error();
    }
    std::error_code ec;
    lane.descriptor.assign(opened->native_handle(), ec);
    if (ec) return ec;
    lane.socket = std::move(*opened);
    lane.rx.resize(sys::max_datagram_size);
    return {};
  }

  static bool is_privilege_error(const std::error_code& ec) noexcept {
    return ec == make_error_code(errc::permission_denied) || ec == std::errc::operation_not_permitted ||
           ec == std::errc::permission_denied;
  }

  std::error_code open_tcp(wire::Family family) {
    TcpLane& lane = *tcp[family_index(family)];
    if (lane.socket.is_open() || tcp_connect[family_index(family)]) return {};
    auto opened = sys::RawIpSocket::open(family, IPPROTO_TCP);
    if (!opened) {
      if (!is_privilege_error(opened.error())) return opened.error();
      tcp_connect[family_index(family)] = true;  // the connect() fallback needs no socket up front
      return {};
    }
    if (auto ec = open_icmp_lane(lane.errors, family, sys::SocketMode::raw)) {
      if (!is_privilege_error(ec)) return ec;
      tcp_connect[family_index(family)] = true;
      return {};
    }
    if (!options.interface_name.empty()) {
      if (auto r = sys::bind_device(opened->ref(), options.interface_name); !r) return r.error();
    }
    // The SYN's checksum covers the source address, so it must be known
    // before sending: the one asked for, else the kernel's choice for the
    // route (taken per trace in start(); here a placeholder of the family).
    const auto& src = source(family);
    auto reservation = sys::TcpPortReservation::reserve(
        src ? *src : (family == wire::Family::v4 ? wire::IpAddress() : wire::IpAddress(wire::Ipv6Address{})));
    if (!reservation) return reservation.error();
    if (auto r = sys::attach_tcp_port_filter(*opened, reservation->port()); !r) return r.error();
    std::error_code ec;
    lane.descriptor.assign(opened->native_handle(), ec);
    if (ec) return ec;
    lane.socket = std::move(*opened);
    lane.port = std::move(*reservation);
    lane.rx.resize(sys::max_datagram_size);
    return {};
  }

  std::error_code open(wire::Family family, engine::ProbeMethod method) {
    switch (method) {
      case engine::ProbeMethod::icmp_echo:
        return open_icmp(family);
      case engine::ProbeMethod::udp:
        return open_udp(family);
      case engine::ProbeMethod::tcp_syn:
        return open_tcp(family);
    }
    return make_error_code(errc::invalid_argument);
  }

  // --- receiving -----------------------------------------------------------

  void feed_error(const sys::ErrorQueueRecord& in, engine::ErrorQueueRecord::SocketKind kind, std::uint16_t port,
                  bool has_offender, TraceClock::time_point now) {
    auto origin = to_engine_origin(in.origin);
    if (!origin) return;
    engine::ErrorQueueRecord record;
    record.origin = *origin;
    record.socket = kind;
    record.type = in.icmp_type;
    record.code = in.icmp_code;
    record.info = in.info;
    record.error_number = in.error_number;
    if (has_offender && *origin != engine::ErrorQueueRecord::Origin::local) record.offender = in.offender;
    record.destination = in.original_destination;
    record.destination_port = port;
    record.probe = in.probe;
    record.reply_ttl = in.ttl;
    (void)engine.on_error_queue(now, record);
  }

  void drain_icmp(wire::Family family) {
    IcmpLane& lane = icmp[family_index(family)];
    if (!lane.socket.is_open()) return;
    for (int i = 0; i < max_reads_per_drain; ++i) {
      auto received = receive_now(lane.socket.ref(), lane.rx);
      if (!received) return;  // would block, or an OS error the next wait reports again
      const auto now = TraceClock::now();
      if (const auto* message = received->message()) {
        engine::IcmpInput input{message->datagram.source, message->datagram.icmp, message->datagram.ttl};
        (void)engine.on_icmp(now, input);
      } else if (const auto* error = received->error()) {
        const bool has_offender = !error->record.offender.is_unspecified();
        feed_error(error->record, engine::ErrorQueueRecord::SocketKind::ping, 0, has_offender, now);
      }
    }
  }

  void drain_udp(wire::Family family) {
    UdpLane& lane = *udp[family_index(family)];
    if (!lane.socket.is_open()) return;
    for (int i = 0; i < max_reads_per_drain; ++i) {
      auto record = sys::receive_udp_error(lane.socket, lane.rx);
      if (record) {
        feed_error(record->record, engine::ErrorQueueRecord::SocketKind::udp, record->destination_port,
                   record->has_offender, TraceClock::now());
        continue;
      }
      if (record.error() != errc::no_message && record.error() != errc::bad_length) return;
      // A datagram from a UDP service at the destination, or the pending
      // error a record left behind: consume and look again.
      auto discarded = sys::discard_datagram(lane.socket);
      if (!discarded) {
        const std::error_code ec = discarded.error();
        if (is_would_block(ec)) return;
        if (!(ec.category() == std::system_category() && sys::is_reported_icmp_error(ec.value()))) return;
      }
    }
  }

  void drain_tcp(wire::Family family) {
    TcpLane& lane = *tcp[family_index(family)];
    if (!lane.socket.is_open()) return;
    for (int i = 0; i < max_reads_per_drain; ++i) {
      auto segment = sys::receive_segment(lane.socket, lane.rx);
      if (!segment) {
        if (segment.error().category() == error_category()) continue;  // malformed, consumed
        return;
      }
      engine::TcpInput input{segment->source, segment->segment, segment->ttl};
      (void)engine.on_tcp(TraceClock::now(), input);
    }
  }

  void drain_tcp_errors(wire::Family family) {
    IcmpLane& lane = tcp[family_index(family)]->errors;
    if (!lane.socket.is_open()) return;
    for (int i = 0; i < max_reads_per_drain; ++i) {
      auto received = receive_now(lane.socket.ref(), lane.rx);
      if (!received) return;
      if (const auto* message = received->message()) {
        engine::IcmpInput input{message->datagram.source, message->datagram.icmp, message->datagram.ttl};
        (void)engine.on_icmp(TraceClock::now(), input);
      }
    }
  }

  void arm_waits() {
    for (wire::Family family : {wire::Family::v4, wire::Family::v6}) {
      IcmpLane& il = icmp[family_index(family)];
      if (il.socket.is_open() && !il.waiting) {
        il.waiting = true;
        il.socket.async_wait(icmp_socket::wait_type::wait_read,
                             [self = shared_from_this(), family, gen = il.generation](std::error_code ec) {
                               IcmpLane& lane = self->icmp[family_index(family)];
                               if (gen != lane.generation) return;
                               lane.waiting = false;
                               if (ec || self->shut_down) return;
                               self->drain_icmp(family);
                               self->pump();
                             });
      }
      UdpLane& ul = *udp[family_index(family)];
      if (ul.socket.is_open() && !ul.waiting) {
        ul.waiting = true;
        ul.descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                 [self = shared_from_this(), family, gen = ul.generation](std::error_code ec) {
                                   UdpLane& lane = *self->udp[family_index(family)];
                                   if (gen != lane.generation) return;
                                   lane.waiting = false;
                                   if (ec || self->shut_down) return;
                                   self->drain_udp(family);
                                   self->pump();
                                 });
      }
      TcpLane& tl = *tcp[family_index(family)];
      if (tl.socket.is_open() && !tl.waiting) {
        tl.waiting = true;
        tl.descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                 [self = shared_from_this(), family, gen = tl.generation](std::error_code ec) {
                                   TcpLane& lane = *self->tcp[family_index(family)];
                                   if (gen != lane.generation) return;
                                   lane.waiting = false;
                                   if (ec || self->shut_down) return;
                                   self->drain_tcp(family);
                                   self->pump();
                                 });
      }
      IcmpLane& el = tl.errors;
      if (el.socket.is_open() && !el.waiting) {
        el.waiting = true;
        el.socket.async_wait(icmp_socket::wait_type::wait_read,
                             [self = shared_from_this(), family, gen = el.generation](std::error_code ec) {
                               IcmpLane& lane = self->tcp[family_index(family)]->errors;
                               if (gen != lane.generation) return;
                               lane.waiting = false;
                               if (ec || self->shut_down) return;
                               self->drain_tcp_errors(family);
                               self->pump();
                             });
      }
    }
  }

  // Without traces nothing may keep the executor busy: a program's run()
  // returns once its traces are done.
  void disarm_waits() {
    for (auto& lane : icmp) {
      if (lane.waiting) {
        ++lane.generation;
        lane.waiting = false;
        std::error_code ignored;
        lane.socket.cancel(ignored);
      }
    }
    for (auto& lane : udp) {
      if (lane->waiting) {
        ++lane->generation;
        lane->waiting = false;
        std::error_code ignored;
        lane->descriptor.cancel(ignored);
      }
    }
    for (auto& lane : tcp) {
      for (IcmpLane* l : {&lane->errors}) {
        if (l->waiting) {
          ++l->generation;
          l->waiting = false;
          std::error_code ignored;
          l->socket.cancel(ignored);
        }
      }
      if (lane->waiting) {
        ++lane->generation;
        lane->waiting = false;
        std::error_code ignored;
        lane->descriptor.cancel(ignored);
      }
    }
    connects.clear();
    ++timer_generation;
    timer.cancel();
  }

  // --- sending -------------------------------------------------------------

  void send(const engine::TraceTransmit& t, TraceClock::time_point now) {
    const wire::Family family = t.destination.family();
    Result<sys::SendOutcome> outcome = unexpected(make_error_code(errc::operation_not_supported));
    bool drain_icmp_after = false;
    bool drain_udp_after = false;
    if (t.method == engine::ProbeMethod::icmp_echo) {
      IcmpLane& lane = icmp[family_index(family)];
      if (auto r = apply_probe_options(lane.socket.ref(), lane.applied, t); !r) {
        outcome = unexpected(r.error());
      } else {
        outcome = sys::send_to(lane.socket.ref(), t.transport, t.destination);
      }
      drain_icmp_after = true;
    } else if (t.method == engine::ProbeMethod::udp) {
      UdpLane& lane = *udp[family_index(family)];
      if (auto r = apply_probe_options(lane.socket.ref(), lane.applied, t); !r) {
        outcome = unexpected(r.error());
      } else {
        outcome = sys::send_datagram(lane.socket, t.payload, t.destination, t.destination_port);
      }
      drain_udp_after = true;
    } else if (t.method == engine::ProbeMethod::tcp_syn && tcp_connect[family_index(family)]) {
      start_connect(t, now);
      return;
    } else if (t.method == engine::ProbeMethod::tcp_syn) {
      TcpLane& lane = *tcp[family_index(family)];
      if (auto r = apply_probe_options(lane.socket.ref(), lane.applied, t); !r) {
        outcome = unexpected(r.error());
      } else {
        outcome = sys::send_to(lane.socket.ref(), t.transport, t.destination);
      }
    }
    if (!outcome) {
      std::optional<std::uint32_t> local_mtu;
      if (t.dont_fragment && outcome.error() == std::error_code(EMSGSIZE, std::system_category())) {
        if (auto mtu = sys::route_mtu(t.destination)) local_mtu = *mtu;
      }
      engine.on_send_failed(t.probe, outcome.error(), now, local_mtu);
    } else if (!outcome->pending_error_reported) {
      return;
    }
    // An earlier probe's ICMP error was (or may have been) queued: read it
    // now so its hop is not held back until the next readiness wake-up.
    if (drain_icmp_after) drain_icmp(family);
    if (drain_udp_after) drain_udp(family);
  }

  void start_connect(const engine::TraceTransmit& t, TraceClock::time_point now) {
    auto started = sys::TcpConnectProbe::start(t.destination, t.destination_port, t.ttl,
                                               source(t.destination.family()), options.interface_name);
    if (!started) {
      engine.on_send_failed(t.probe, started.error(), now);
      return;
    }
    auto probe = std::make_unique<ConnectProbe>(executor);
    std::error_code ec;
    probe->descriptor.assign(started->native_handle(), ec);
    if (ec) {
      engine.on_send_failed(t.probe, ec, now);
      return;
    }
    probe->socket = std::move(*started);
    ConnectProbe& ref = *probe;
    connects.emplace(t.probe, std::move(probe));
    wait_connect(t.probe, ref);
  }

  void wait_connect(engine::ProbeId id, ConnectProbe& probe) {
    // Writability covers both ends of a connect: completed, or failed (EPOLLERR).
    probe.descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                                [self = shared_from_this(), id](std::error_code ec) {
                                  if (ec || self->shut_down) return;
                                  auto it = self->connects.find(id);
                                  if (it == self->connects.end()) return;
                                  self->finish_connect(it);
                                  self->pump();
                                });
  }

  void finish_connect(std::map<engine::ProbeId, std::unique_ptr<ConnectProbe>>::iterator it) {
    const auto now = TraceClock::now();
    const engine::ProbeId id = it->first;
    auto checked = it->second->socket.check(connect_rx);
    engine::ConnectOutcome outcome;
    if (!checked) {
      outcome.kind = engine::ConnectOutcome::Kind::failed;
      outcome.failure = checked.error();
    } else {
      switch (checked->kind) {
        case sys::TcpConnectResult::Kind::pending:
          wait_connect(id, *it->second);
          return;
        case sys::TcpConnectResult::Kind::connected:
          outcome.kind = engine::ConnectOutcome::Kind::connected;
          break;
        case sys::TcpConnectResult::Kind::refused:
          outcome.kind = engine::ConnectOutcome::Kind::refused;
          break;
        case sys::TcpConnectResult::Kind::failed:
          outcome.kind = engine::ConnectOutcome::Kind::failed;
          outcome.failure = checked->error;
          break;
        case sys::TcpConnectResult::Kind::icmp_error: {
          const sys::ErrorQueueRecord& in = checked->record;
          auto origin = to_engine_origin(in.origin);
          if (!origin) {
            outcome.kind = engine::ConnectOutcome::Kind::failed;
            outcome.failure = make_error_code(errc::operation_not_supported);
            break;
          }
          outcome.kind = engine::ConnectOutcome::Kind::icmp_error;
          outcome.error.origin = *origin;
          outcome.error.type = in.icmp_type;
          outcome.error.code = in.icmp_code;
          outcome.error.info = in.info;
          outcome.error.error_number = in.error_number;
          if (*origin != engine::ErrorQueueRecord::Origin::local) outcome.error.offender = in.offender;
          outcome.error.destination = in.original_destination;
          outcome.error.reply_ttl = in.ttl;
          break;
        }
      }
    }
    connects.erase(it);  // closes the socket: the kernel stops retransmitting the SYN
    (void)engine.on_connect_outcome(now, id, outcome);
  }

  // Closes the connect() probes the engine no longer waits for (timed out,
  // dropped beyond a final hop, cancelled).
  void reap_connects() {
    for (auto it = connects.begin(); it != connects.end();) {
      if (engine.probe_in_flight(it->first)) {
        ++it;
      } else {
        it = connects.erase(it);
      }
    }
  }

  // --- the loop --------------------------------------------------------------

  void pump() {
    if (shut_down) return;
    if (in_pump) {
      repump = true;
      return;
    }
    in_pump = true;
    do {
      repump = false;
      auto now = TraceClock::now();
      engine.on_timer(now);
      bool more_due = true;
      for (int i = 0; i < max_sends_per_pump; ++i) {
        auto t = engine.poll_transmit(now);
        if (!t) {
          more_due = false;
          break;
        }
        send(*t, now);
        now = TraceClock::now();
      }
      if (more_due) {
        // Let replies and other handlers run between bursts of sends.
        asio::post(executor, [self = shared_from_this()] { self->pump(); });
      }
      deliver_events();
      reap_connects();
    } while (repump && !shut_down);
    in_pump = false;
    if (shut_down) return;
    if (traces.empty()) {
      disarm_waits();
      return;
    }
    arm_waits();
    arm_timer();
  }

  void deliver_events() {
    while (auto event = engine.poll_event()) {
      if (auto* hop = std::get_if<engine::HopEvent>(&*event)) {
        auto it = traces.find(hop->trace);
        if (it == traces.end() || !it->second.on_hop) continue;
        HopCallback callback = it->second.on_hop;  // the callback may start traces
        callback(*hop);
      } else if (auto* finished = std::get_if<engine::TraceFinished>(&*event)) {
        auto it = traces.find(finished->result.id);
        if (it == traces.end()) continue;
        auto completion = std::move(it->second.completion);
        traces.erase(it);
        completion->complete({}, std::move(finished->result));
      }
    }
  }

  void arm_timer() {
    auto deadline = engine.next_deadline();
    if (!deadline) {
      // Running traces with nothing in flight should not happen (each has a
      // probe due); look again soon rather than spin or stall.
      deadline = TraceClock::now() + std::chrono::milliseconds(50);
    }
    ++timer_generation;
    timer.expires_at(*deadline);
    timer.async_wait([self = shared_from_this(), gen = timer_generation](std::error_code ec) {
      if (ec || gen != self->timer_generation || self->shut_down) return;
      self->pump();
    });
  }

  engine::TraceId start(const wire::IpAddress& destination, const TraceOptions& trace_options, HopCallback on_hop,
                        std::unique_ptr<detail::Completion<engine::TraceResult>> completion) {
    if (shut_down) {
      completion->complete(asio::error::operation_aborted, {});
      return 0;
    }
    const wire::Family family = destination.family();
    if (auto ec = open(family, trace_options.method)) {
      completion->complete(ec, {});
      return 0;
    }
    engine::TraceConfig config = trace_options;
    config.destination = destination;
    if (config.method == engine::ProbeMethod::icmp_echo) {
      config.echo_id = icmp[family_index(family)].echo_id;
      config.source.reset();
    } else if (config.method == engine::ProbeMethod::udp) {
      config.source_port = udp[family_index(family)]->socket.local_port();
      config.source.reset();  // an ordinary socket sends the payload only
    } else if (config.method == engine::ProbeMethod::tcp_syn && tcp_connect[family_index(family)]) {
      // The kernel picks each probe's source port, so flows cannot be
      // steered (multipath) and the SYN carries no padding (MTU mode).
      if (config.mode == engine::TraceMode::multipath || config.path_mtu) {
        completion->complete(make_error_code(errc::permission_denied), {});
        return 0;
      }
      config.source = source(family).value_or(
          family == wire::Family::v4 ? wire::IpAddress() : wire::IpAddress(wire::Ipv6Address{}));
      config.source_port = 1;  // the engine's SYN is never sent; the kernel picks the real port
    } else if (config.method == engine::ProbeMethod::tcp_syn) {
      const auto& src = source(family);
      if (src) {
        config.source = *src;
      } else {
        auto chosen = sys::route_source(destination);
        if (!chosen) {
          completion->complete(chosen.error(), {});
          return 0;
        }
        config.source = *chosen;
      }
      config.source_port = tcp[family_index(family)]->port.port();
    }
    if (config.path_mtu && *config.path_mtu == 0) {
      auto mtu = sys::route_mtu(destination);
      if (!mtu) {
        completion->complete(mtu.error(), {});
        return 0;
      }
      config.path_mtu = *mtu;
    }
    auto id = engine.add_trace(config, TraceClock::now());
    if (!id) {
      completion->complete(id.error(), {});
      return 0;
    }
    traces.emplace(*id, Active{std::move(on_hop), std::move(completion)});
    pump();
    return *id;
  }

  void shutdown() {
    if (shut_down) return;
    disarm_waits();
    shut_down = true;
    auto pending = std::move(traces);
    traces.clear();
    for (auto& [id, active] : pending) active.completion->complete(asio::error::operation_aborted, {});
    for (auto& lane : icmp) lane.socket.close();
    for (auto& lane : udp) {
      lane->detach();
      lane->socket.close();
    }
    for (auto& lane : tcp) {
      lane->detach();
      lane->socket.close();
      lane->errors.socket.close();
    }
    connects.clear();
  }
};

Tracer::Tracer(const executor_type& executor, const TracerOptions& options)
    : impl_(std::make_shared<Impl>(executor, options)) {}

Tracer::~Tracer() {
  if (impl_) impl_->shutdown();
}

Tracer::Tracer(Tracer&&) noexcept = default;

Tracer& Tracer::operator=(Tracer&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->shutdown();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Tracer::executor_type Tracer::get_executor() const noexcept { return impl_->executor; }

engine::TraceId Tracer::start_trace(const wire::IpAddress& destination, const TraceOptions& options,
                                    HopCallback on_hop,
                                    std::unique_ptr<detail::Completion<engine::TraceResult>> completion) {
  return impl_->start(destination, options, std::move(on_hop), std::move(completion));
}

void Tracer::cancel_trace(const std::weak_ptr<Impl>& weak, engine::TraceId id) {
  auto impl = weak.lock();
  if (!impl || impl->shut_down) return;
  impl->engine.cancel(id);
  impl->pump();
}

void Tracer::cancel_all() {
  std::vector<engine::TraceId> ids;
  for (const auto& [id, active] : impl_->traces) ids.push_back(id);
  for (auto id : ids) impl_->engine.cancel(id);
  impl_->pump();
}

std::optional<sys::SocketKind> Tracer::icmp_socket_kind(wire::Family family) const noexcept {
  const auto& lane = impl_->icmp[family_index(family)];
  if (!lane.socket.is_open()) return std::nullopt;
  return lane.socket.kind();
}

std::error_code Tracer::open(wire::Family family, engine::ProbeMethod method) { return impl_->open(family, method); }

bool Tracer::uses_connect_fallback(wire::Family family) const noexcept {
  return impl_->tcp_connect[family_index(family)];
}

Result<engine::TraceResult> trace(const wire::IpAddress& destination, const TraceOptions& options,
                                  const HopCallback& on_hop, const TracerOptions& tracer_options) {
  asio::io_context context;
  Tracer tracer(context, tracer_options);
  std::error_code error;
  engine::TraceResult result;
  tracer.async_trace(destination, options, on_hop, [&](std::error_code ec, engine::TraceResult r) {
    error = ec;
    result = std::move(r);
  });
  context.run();
  if (error) return unexpected(error);
  return result;
}

}  // namespace icmpkit::net
