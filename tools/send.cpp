// `icmpkit send`: build one ICMP/ICMPv6 message from flags, send it --count
// times and print what comes back (replies, ICMP errors, error-queue records).
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "format_message.hpp"
#include "hex_input.hpp"
#include "icmpkit/sys/options.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/icmpv4.hpp"
#include "icmpkit/wire/icmpv6.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/quoted.hpp"
#include "resolve.hpp"
#include "send_spec.hpp"

namespace icmpkit::tools {
namespace {

using Clock = std::chrono::steady_clock;
using wire::Family;

struct SendOptions {
  std::string host;
  std::string type = "echo-request";
  unsigned code = 0;
  std::optional<unsigned> id;
  unsigned seq = 1;
  std::string rest;
  std::optional<std::uint32_t> mtu;
  std::optional<std::uint32_t> pointer;
  std::string gateway;
  std::optional<std::string> data;
  std::optional<std::string> hex;
  std::optional<std::string> file;
  std::optional<unsigned> ttl;
  std::optional<unsigned> tos;
  std::string interface_name;
  std::string source;
  bool v4 = false;
  bool v6 = false;
  std::string mode = "auto";
  unsigned count = 1;
  double timeout = 2.0;
  double interval = 1.0;
  bool json = false;
};

std::string_view kind_name(sys::SocketKind kind) { return kind == sys::SocketKind::raw ? "raw" : "dgram"; }

double millis(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Payload from exactly one of --data, --hex, --file; without any, a random
// 8-byte cookie plus a tag, so that replies on a ping socket (whose kernel
// owns the identifier) can still be told apart from other programs' traffic.
bool load_payload(const SendOptions& o, std::vector<std::byte>& payload, std::string& error) {
  const int given = int{o.data.has_value()} + int{o.hex.has_value()} + int{o.file.has_value()};
  if (given > 1) {
    error = "give the payload once: --data, --hex and --file exclude each other";
    return false;
  }
  if (o.data) {
    for (char c : *o.data) payload.push_back(static_cast<std::byte>(c));
  } else if (o.hex) {
    auto parsed = parse_hex(*o.hex);
    if (!parsed.ok()) {
      error = fmt::format("--hex: {}", parsed.error);
      return false;
    }
    payload = std::move(parsed.bytes);
  } else if (o.file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(*o.file, ec);
    if (ec) {
      error = fmt::format("--file '{}': {}", *o.file, ec.message());
      return false;
    }
    if (size > max_payload(Family::v6)) {
      error = fmt::format("payload of {} bytes (--file '{}') is too large: one ICMP datagram carries at most {} bytes",
                          size, *o.file, max_payload(Family::v4));
      return false;
    }
    std::ifstream in(*o.file, std::ios::binary);
    if (!in) {
      error = fmt::format("--file: cannot open '{}'", *o.file);
      return false;
    }
    std::vector<char> chars(static_cast<std::size_t>(size));
    in.read(chars.data(), static_cast<std::streamsize>(chars.size()));
    chars.resize(static_cast<std::size_t>(in.gcount()));
    for (char c : chars) payload.push_back(static_cast<std::byte>(c));
  } else {
    std::random_device rd;
    for (int i = 0; i < 8; ++i) payload.push_back(static_cast<std::byte>(rd() & 0xff));
    for (char c : std::string_view("icmpkit")) payload.push_back(static_cast<std::byte>(c));
    payload.push_back(std::byte{0});
  }
  return true;
}

struct Exchange {
  Family family;
  sys::IcmpSocket socket;
  wire::IpAddress target;
  std::uint8_t type = 0;
  std::vector<std::byte> message;  // as sent (id/seq patched per probe)
  bool json = false;
  unsigned replies = 0;
  unsigned errors = 0;
};

void emit(const Exchange& x, Json event, const std::string& line) {
  if (x.json) {
    event["socket"] = kind_name(x.socket.kind());
    fmt::print("{}\n", event.dump());
  } else {
    fmt::print("{} (socket: {})\n", line, kind_name(x.socket.kind()));
  }
  std::fflush(stdout);
}

// Is a received message the answer to the probe with this id/seq?
// Ping sockets deliver only replies to our own echo requests; raw sockets
// see every ICMP message on the host, including our own request looped back.
enum class Match { none, reply, error };

Match classify(const Exchange& x, const sys::ReceivedDatagram& d, std::uint16_t id, std::uint16_t seq) {
  auto view = wire::parse_icmp(x.family, d.icmp);
  if (!view) return Match::none;
  if (wire::is_error_type(x.family, view->type)) {
    // An error is ours when it quotes an ICMP message of our type to our
    // target (with our sequence, and on a raw socket our identifier).
    auto body = wire::split_error_body(*view);
    if (!body) return Match::none;
    auto quoted = wire::decode_quoted(x.family, *body);
    if (!quoted || !(quoted->destination == x.target)) return Match::none;
    const auto icmp_protocol = x.family == Family::v4 ? wire::ip_protocol::icmp : wire::ip_protocol::icmpv6;
    if (quoted->protocol != icmp_protocol || quoted->upper_layer.empty() ||
        static_cast<std::uint8_t>(quoted->upper_layer[0]) != x.type) {
      return Match::none;
    }
    if (const auto* echo = std::get_if<wire::QuotedEcho>(&quoted->probe)) {
      if (echo->seq.value() != seq) return Match::none;
      if (x.socket.kind() == sys::SocketKind::raw && echo->id.value() != id) return Match::none;
    }
    return Match::error;
  }
  if (!(d.source == x.target) && !x.target.is_unspecified()) return Match::none;
  // A type with no reply type (an error, a redirect, an advertisement) is
  // answered only by an ICMP error quoting it; anything else arriving on
  // the raw socket belongs to someone else.
  const auto reply = reply_type_for(x.family, x.type);
  if (!reply || view->type != *reply) return Match::none;
  if (has_id_and_seq(x.family, view->type) && has_id_and_seq(x.family, x.type)) {
    const std::uint16_t got_id = wire::detail::load_be16(ConstBytes(view->rest), 0);
    const std::uint16_t got_seq = wire::detail::load_be16(ConstBytes(view->rest), 2);
    if (got_seq != seq) return Match::none;
    if (x.socket.kind() == sys::SocketKind::raw && got_id != id) return Match::none;
  }
  return Match::reply;
}

void print_datagram(Exchange& x, const sys::ReceivedDatagram& d, Match match, std::chrono::nanoseconds rtt) {
  const std::string what = match == Match::reply ? "reply" : "error";
  std::string line = fmt::format("{} from {}: {}", what, d.source.to_string(), summarize_icmp(x.family, d.icmp));
  Json event;
  event["event"] = what;
  event["from"] = d.source.to_string();
  if (d.destination) event["to"] = d.destination->to_string();
  event["message"] = summary_json(x.family, d.icmp);
  event["bytes"] = d.icmp.size();
  if (d.ttl) {
    line += fmt::format(" ttl={}", d.ttl->value());
    event["ttl"] = d.ttl->value();
  }
  line += fmt::format(" time={:.3f} ms", millis(rtt));
  event["rtt_ms"] = millis(rtt);
  emit(x, std::move(event), line);
}

void print_error_record(Exchange& x, const sys::ErrorQueueRecord& r) {
  const bool from_icmp = r.origin == sys::ErrorOrigin::icmp || r.origin == sys::ErrorOrigin::icmp6;
  Json event;
  event["event"] = "error";
  event["via"] = "error-queue";
  std::string line;
  if (from_icmp) {
    const auto name = wire::type_name(x.family, r.icmp_type);
    event["from"] = r.offender.to_string();
    event["type"] = r.icmp_type;
    event["type_name"] = name;
    event["code"] = r.icmp_code;
    const auto code_name = x.family == Family::v4 ? wire::icmpv4_code_name(r.icmp_type, r.icmp_code)
                                                  : wire::icmpv6_code_name(r.icmp_type, r.icmp_code);
    if (!code_name.empty()) event["code_name"] = code_name;
    line = fmt::format("error from {}: {} code={}{}", r.offender.to_string(),
                       name.empty() ? fmt::format("type={}", r.icmp_type) : std::string(name), r.icmp_code,
                       code_name.empty() ? std::string() : fmt::format(" ({})", code_name));
  } else {
    line = fmt::format("local error: {}", std::error_code(r.error_number, std::system_category()).message());
  }
  if (r.info != 0) {
    line += fmt::format(" mtu={}", r.info);
    event["mtu"] = r.info;
  }
  if (auto probe = wire::parse_icmp(x.family, r.probe); probe && has_id_and_seq(x.family, probe->type)) {
    const auto seq = wire::detail::load_be16(ConstBytes(probe->rest), 2);
    line += fmt::format(" for probe seq={} to {}", seq, r.original_destination.to_string());
    event["probe_seq"] = seq;
  }
  event["errno"] = r.error_number;
  event["error"] = std::error_code(r.error_number, std::system_category()).message();
  if (r.ttl) {
    line += fmt::format(" ttl={}", r.ttl->value());
    event["ttl"] = r.ttl->value();
  }
  line += " [error queue]";
  emit(x, std::move(event), line);
}

// Waits for the answer to one probe until `deadline`; prints what arrives.
bool await_answer(Exchange& x, std::uint16_t id, std::uint16_t seq, Clock::time_point sent,
                  std::chrono::system_clock::time_point sent_wall, Clock::time_point deadline) {
  std::vector<std::byte> buffer(sys::max_datagram_size);
  std::vector<std::byte> control(sys::recommended_control_size);
  bool answered = false;
  while (!answered) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    pollfd pfd{x.socket.native_handle(), POLLIN, 0};
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(wait, 1)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) continue;
    if (pfd.revents & POLLERR) {
      while (true) {
        auto record = sys::receive_error(x.socket, buffer, control);
        if (!record) break;
        print_error_record(x, *record);
        ++x.errors;
        answered = true;
      }
    }
    if (pfd.revents & POLLIN) {
      while (true) {
        auto d = sys::receive(x.socket, buffer, control);
        if (!d) {
          if (d.error() == std::errc::resource_unavailable_try_again) break;
          if (d.error().category() == error_category()) continue;  // malformed datagram, consumed
          break;
        }
        const Match match = classify(x, *d, id, seq);
        if (match == Match::none) continue;
        std::chrono::nanoseconds rtt = Clock::now() - sent;
        if (d->kernel_timestamp) {
          const auto wall = std::chrono::nanoseconds(sent_wall.time_since_epoch());
          if (*d->kernel_timestamp > wall) rtt = *d->kernel_timestamp - wall;
        }
        print_datagram(x, *d, match, rtt);
        if (match == Match::reply) ++x.replies; else ++x.errors;
        answered = true;
      }
    }
  }
  return answered;
}

int open_failure(Family family, sys::SocketMode mode, bool needs_raw, std::string_view type_text,
                 const std::error_code& ec, const sys::OpenReport& report) {
  const std::string fam = family == Family::v4 ? "ICMP" : "ICMPv6";
  std::string message;
  if (needs_raw) {
    message = fmt::format("cannot open a raw {} socket: {}. Sending {} needs a raw socket (CAP_NET_RAW). ", fam,
                          report.raw ? report.raw->error.message() : ec.message(), type_text);
  } else {
    message = fmt::format("cannot open an {} socket ({} mode)", fam,
                          mode == sys::SocketMode::automatic ? "auto" : (mode == sys::SocketMode::raw ? "raw" : "dgram"));
    if (ec != make_error_code(errc::permission_denied)) message += fmt::format(": {}", ec.message());
    if (report.dgram) message += fmt::format("; ping socket: {}", report.dgram->error.message());
    if (report.dgram && !report.dgram->reason.empty()) message += fmt::format(" ({})", report.dgram->reason);
    if (report.raw) message += fmt::format("; raw socket: {}", report.raw->error.message());
    if (report.raw && !report.raw->reason.empty()) message += fmt::format(" ({})", report.raw->reason);
    message += ". ";
  }
  message += "Run 'icmpkit doctor' to see why and how to fix it";
  return fail("send", exit_usage, message);
}

int run_send(const SendOptions& o) {
  std::optional<Family> family;
  if (o.v4) family = Family::v4;
  if (o.v6) family = Family::v6;
  auto target = resolve_host(o.host, family);
  if (!target.ok()) return fail("send", exit_usage, target.error);
  const Family fam = target.address.family();

  auto type = parse_icmp_type(fam, o.type);
  if (!type.ok()) return fail("send", exit_usage, type.error);
  if (o.code > 255) return fail("send", exit_usage, fmt::format("--code {} is out of range (0..255)", o.code));
  if (o.id && *o.id > 0xffff) return fail("send", exit_usage, fmt::format("--id {} is out of range (0..65535)", *o.id));
  if (o.seq > 0xffff) return fail("send", exit_usage, fmt::format("--seq {} is out of range (0..65535)", o.seq));
  if (o.ttl && (*o.ttl < 1 || *o.ttl > 255)) return fail("send", exit_usage, fmt::format("--ttl {} is out of range (1..255)", *o.ttl));
  if (o.tos && *o.tos > 255) return fail("send", exit_usage, fmt::format("--tos {} is out of range (0..255)", *o.tos));
  if (o.count == 0) return fail("send", exit_usage, "--count must be at least 1");
  if (!(o.timeout > 0) || o.timeout > 3600) return fail("send", exit_usage, "--timeout must be in (0, 3600] seconds");
  if (!(o.interval >= 0) || o.interval > 3600) return fail("send", exit_usage, "--interval must be in [0, 3600] seconds");

  MessageFlags flags;
  flags.type = type.type;
  flags.code = static_cast<std::uint8_t>(o.code);
  flags.id = static_cast<std::uint16_t>(o.id.value_or(static_cast<unsigned>(::getpid()) & 0xffffU));
  flags.seq = static_cast<std::uint16_t>(o.seq);
  flags.mtu = o.mtu;
  flags.pointer = o.pointer;
  if (!o.rest.empty()) {
    auto rest = parse_hex(o.rest);
    if (!rest.ok()) return fail("send", exit_usage, fmt::format("--rest: {}", rest.error));
    flags.rest = std::move(rest.bytes);
  }
  if (!o.gateway.empty()) {
    auto gateway = wire::IpAddress::parse(o.gateway);
    if (!gateway) return fail("send", exit_usage, fmt::format("--gateway '{}' is not an IP address", o.gateway));
    flags.gateway = *gateway;
  }
  std::string error;
  if (!load_payload(o, flags.payload, error)) return fail("send", exit_usage, error);
  auto built = build_message(fam, flags);
  if (!built.ok()) return fail("send", exit_usage, built.error);

  const auto type_name = wire::type_name(fam, type.type);
  const std::string type_text = type_name.empty() ? fmt::format("type {}", type.type) : std::string(type_name);
  const bool is_echo_request = type.type == (fam == Family::v4 ? wire::icmpv4_type::echo_request
                                                               : wire::icmpv6_type::echo_request);
  sys::OpenOptions open;
  if (o.mode == "dgram") {
    open.mode = sys::SocketMode::dgram;
  } else if (o.mode == "raw") {
    open.mode = sys::SocketMode::raw;
  } else {
    open.mode = is_echo_request ? sys::SocketMode::automatic : sys::SocketMode::raw;
  }
  if (!is_echo_request && open.mode == sys::SocketMode::dgram) {
    return fail("send", exit_usage,
                fmt::format("a ping (dgram) socket sends echo requests only, not {}; use --mode raw or auto "
                            "(a raw socket needs CAP_NET_RAW)", type_text));
  }
  // The raw socket's default kernel filter passes echo replies and errors
  // only; other requests expect other answers, so they see everything.
  open.install_kernel_filter = is_echo_request;
  // A raw socket gets the ICMP errors themselves as datagrams; the error
  // queue would report each a second time.
  open.receive_errors = open.mode == sys::SocketMode::dgram || open.mode == sys::SocketMode::automatic;

  sys::OpenReport report;
  auto socket = sys::IcmpSocket::open(fam, open, &report);
  if (!socket) return open_failure(fam, open.mode, !is_echo_request, type_text, socket.error(), report);
  Exchange x{fam, std::move(*socket), target.address, type.type, std::move(built.bytes), o.json};
  if (x.socket.kind() == sys::SocketKind::raw) {
    // Errors reach a raw socket as datagrams; turn the queue off after an
    // automatic fallback enabled it.
    (void)sys::set_receive_errors(x.socket, false);
  }

  // A ping socket takes its echo identifier from its bind, so --id is
  // honoured there by binding (to --source or the wildcard) with it.
  const bool bind_id = x.socket.kind() == sys::SocketKind::dgram && o.id.has_value();
  if (!o.source.empty() || bind_id) {
    wire::IpAddress source = fam == Family::v4 ? wire::IpAddress(wire::Ipv4Address{}) : wire::IpAddress(wire::Ipv6Address{});
    if (!o.source.empty()) {
      auto resolved = resolve_host(o.source, fam);
      if (!resolved.ok()) return fail("send", exit_usage, fmt::format("--source: {}", resolved.error));
      source = resolved.address;
    }
    const wire::EchoId echo_id(bind_id ? flags.id : std::uint16_t{0});
    if (auto r = sys::bind_source(x.socket, source, echo_id); !r) {
      return fail("send", exit_usage,
                  fmt::format("{}: {}", o.source.empty() ? fmt::format("--id {}", flags.id) : fmt::format("--source {}", o.source),
                              r.error().message()));
    }
  }
  if (!o.interface_name.empty()) {
    if (auto r = sys::bind_device(x.socket, o.interface_name); !r) {
      return fail("send", exit_usage, fmt::format("--interface {}: {}", o.interface_name, r.error().message()));
    }
  }
  if (o.ttl) {
    if (auto r = sys::set_ttl(x.socket, wire::Ttl(static_cast<std::uint8_t>(*o.ttl))); !r) {
      return fail("send", exit_usage, fmt::format("--ttl: {}", r.error().message()));
    }
  }
  if (o.tos) {
    if (auto r = sys::set_tos(x.socket, static_cast<std::uint8_t>(*o.tos)); !r) {
      return fail("send", exit_usage, fmt::format("--tos: {}", r.error().message()));
    }
  }
  if (x.socket.fallback_reason() && !o.json) {
    const auto& why = *x.socket.fallback_reason();
    fmt::print(stderr, "icmpkit send: note: {} ({}); using a raw socket instead\n",
               why.reason.empty() ? std::string_view("ping socket refused") : why.reason, why.error.message());
  }

  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.interval));
  std::uint16_t seq = flags.seq;
  const bool numbered = has_id_and_seq(fam, type.type) && !flags.rest;
  for (unsigned i = 0; i < o.count; ++i) {
    if (numbered) wire::detail::store_be16(MutableBytes(x.message), 6, seq);
    if (fam == Family::v4 && numbered) wire::set_icmpv4_checksum(MutableBytes(x.message));
    const auto started = Clock::now();
    const auto started_wall = std::chrono::system_clock::now();
    auto sent = sys::send_to(x.socket, ConstBytes(x.message), x.target);
    if (!sent) {
      const auto ec = sent.error();
      if (!o.json) {
        fmt::print("send to {} failed: {} (socket: {})\n", x.target.to_string(), ec.message(), kind_name(x.socket.kind()));
      } else {
        emit(x, Json{{"event", "send-failed"}, {"to", x.target.to_string()}, {"error", ec.message()}}, "");
      }
      if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) {
        return fail("send", exit_usage, "the kernel refused the send (a firewall rule, or a missing permission: run 'icmpkit doctor')");
      }
    } else {
      if (o.json) {
        emit(x, Json{{"event", "sent"}, {"to", x.target.to_string()}, {"message", summary_json(fam, ConstBytes(x.message))},
                     {"bytes", x.message.size()}}, "");
      }
      const bool answered = await_answer(x, flags.id, seq, started, started_wall, started + timeout);
      if (!answered) {
        const std::string line = fmt::format("no answer from {} to {} seq={} within {:g} s", x.target.to_string(),
                                             type_text, seq, o.timeout);
        emit(x, Json{{"event", "timeout"}, {"to", x.target.to_string()}, {"seq", seq}, {"timeout_s", o.timeout}}, line);
      }
    }
    seq = static_cast<std::uint16_t>(seq + 1);
    if (i + 1 < o.count) {
      const auto next = started + interval;
      if (next > Clock::now()) std::this_thread::sleep_until(next);
    }
  }
  return x.replies > 0 ? exit_ok : exit_no_reply;
}

}  // namespace

Command add_send(CLI::App& parent) {
  auto o = std::make_shared<SendOptions>();
  auto* app = parent.add_subcommand("send", "Build an ICMP/ICMPv6 message from flags, send it and print the answers");
  app->add_option("HOST", o->host, "Destination: IPv4/IPv6 address or host name")->required();
  app->add_option("--type", o->type, "Type name (echo-request, timestamp-request, ...) or number")
      ->capture_default_str();
  app->add_option("--code", o->code, "Code (0..255)")->capture_default_str();
  app->add_option("--id", o->id, "Identifier of echo-like types (default: process id; a ping socket replaces it)");
  app->add_option("--seq", o->seq, "First sequence number (incremented per --count)")->capture_default_str();
  app->add_option("--rest", o->rest, "The 4 rest-of-header bytes in hex (overrides --id/--seq/--mtu/...)");
  app->add_option("--mtu", o->mtu, "MTU field (v4 destination-unreachable code 4, v6 packet-too-big)");
  app->add_option("--pointer", o->pointer, "Pointer field of parameter-problem");
  app->add_option("--gateway", o->gateway, "Gateway address of an ICMP redirect");
  app->add_option("--data", o->data, "Payload as text");
  app->add_option("--hex", o->hex, "Payload as hex bytes");
  app->add_option("--file", o->file, "Payload read from a file");
  app->add_option("--ttl", o->ttl, "IPv4 TTL / IPv6 hop limit (1..255)");
  app->add_option("--tos", o->tos, "IPv4 TOS / IPv6 traffic class byte");
  app->add_option("--interface,-I", o->interface_name, "Send through this interface (SO_BINDTODEVICE)");
  app->add_option("--source,-S", o->source, "Source address to bind");
  auto* v4 = app->add_flag("-4", o->v4, "Use IPv4 (ICMP)");
  auto* v6 = app->add_flag("-6", o->v6, "Use IPv6 (ICMPv6)");
  v4->excludes(v6);
  app->add_option("--mode", o->mode, "Socket kind: auto (ping socket, else raw), dgram, raw")
      ->check(CLI::IsMember({"auto", "dgram", "raw"}))
      ->capture_default_str();
  app->add_option("--count,-c", o->count, "Messages to send")->capture_default_str();
  app->add_option("--timeout,-W", o->timeout, "Seconds to wait for each answer")->capture_default_str();
  app->add_option("--interval,-i", o->interval, "Seconds between sends")->capture_default_str();
  app->add_flag("--json", o->json, "One JSON object per line (events: sent, reply, error, timeout)");
  app->footer(
      "Non-echo types need a raw socket (CAP_NET_RAW). Exit status: 0 an answer arrived, 1 none, "
      "2 bad input or no socket could be opened.");
  return {app, [o] { return run_send(*o); }};
}

}  // namespace icmpkit::tools
