// `icmpkit ping`: ping(8) for iputils users. The same flags with the same
// meanings, the same output lines and exit codes; the probing is net::Pinger
// (a ping socket when the kernel allows it, a raw socket otherwise).
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "icmpkit/engine/stats.hpp"
#include "icmpkit/net/pinger.hpp"
#include "ping_common.hpp"
#include "ping_format.hpp"
#include "resolve.hpp"

namespace icmpkit::tools {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

struct PingFlags {
  std::string host;
  std::optional<std::uint64_t> count;      // -c
  std::optional<double> interval;          // -i seconds
  std::optional<double> timeout;           // -W seconds
  std::optional<double> deadline;          // -w seconds
  std::size_t size = 56;                   // -s
  std::string pattern;                     // -p
  std::optional<unsigned> ttl;             // -t
  std::string tos;                         // -Q
  std::string pmtu;                        // -M
  std::string interface_or_source;         // -I
  bool v4 = false, v6 = false;
  bool quiet = false, numeric = false, timestamps = false, outstanding = false, flood = false, audible = false;
  std::optional<std::uint32_t> preload;    // -l
  std::string mode = "auto";
  bool json = false;
};

nanoseconds seconds_to_ns(double s) { return duration_cast<nanoseconds>(duration<double>(s)); }

// State of one run, shared by the event callbacks.
struct Run {
  const PingFlags* flags = nullptr;
  std::string host;
  wire::IpAddress address;
  std::string display;                // "host (addr)" or addr
  engine::PingStatistics totals;       // summed over the requests (preload + main)
  engine::RttStats rtt;
  Clock::time_point start;
  Clock::time_point last_answer;
  int pending = 0;
  std::uint64_t count = 0;  // -c (0: endless)
  bool json = false;
  bool flood_output = false;
};

std::optional<std::chrono::system_clock::time_point> stamp(const Run& run) {
  if (!run.flags->timestamps) return std::nullopt;
  return std::chrono::system_clock::now();
}

void line(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void on_event(Run& run, std::uint32_t seq_base, const engine::ProbeEvent& event) {
  if (std::holds_alternative<engine::Reply>(event.outcome) || std::holds_alternative<engine::IcmpError>(event.outcome)) {
    run.last_answer = Clock::now();
  }
  const std::uint32_t seq = seq_base + event.probe_index + 1;
  const PingFlags& f = *run.flags;
  // Outcomes are not kept in the results (an endless ping must not grow):
  // the RTT statistics come from the events.
  if (const auto* reply = std::get_if<engine::Reply>(&event.outcome); reply && event.kind == engine::EventKind::outcome) {
    run.rtt.add(reply->rtt);
  }
  if (const auto* reply = std::get_if<engine::Reply>(&event.outcome);
      reply && event.kind != engine::EventKind::done) {
    const bool duplicate = event.kind == engine::EventKind::duplicate;
    std::optional<unsigned> ttl;
    if (reply->ttl) ttl = reply->ttl->value();
    if (run.json) {
      line(ping_reply_json(run.host, event.address, seq, reply->size, ttl, reply->rtt, duplicate).dump());
      return;
    }
    if (f.audible) std::fputc('\a', stdout);
    if (run.flood_output) {
      if (duplicate) std::fputc('D', stdout);  // iputils flood output leaves nothing for a reply
      std::fflush(stdout);
      return;
    }
    if (f.quiet) return;
    ReplyLine r;
    r.bytes = reply->size;
    r.from = event.address == run.address ? run.display : event.address.to_string();
    r.seq = seq;
    r.ttl = ttl;
    r.rtt = reply->rtt;
    r.duplicate = duplicate;
    r.timestamp = stamp(run);
    line(ping_reply_line(r));
    return;
  }
  if (event.kind != engine::EventKind::outcome) return;
  if (const auto* error = std::get_if<engine::IcmpError>(&event.outcome)) {
    const std::uint32_t info = error->kind == engine::IcmpErrorKind::packet_too_big ? error->mtu : error->pointer;
    const std::string text = ping_icmp_error_text(run.address.family(), error->type, error->code, info);
    if (run.json) {
      line(ping_error_json(run.host, error->router, seq, error->type, error->code, text).dump());
    } else if (run.flood_output) {
      std::fputc('E', stdout);
      std::fflush(stdout);
    } else if (!f.quiet) {
      line(ping_error_line(error->router.to_string(), seq, text, stamp(run)));
    }
  } else if (std::holds_alternative<engine::Timeout>(event.outcome)) {
    if (run.json) {
      line(ping_timeout_json(run.host, run.address, seq).dump());
    } else if (run.flood_output) {
      std::fputc('.', stdout);
      std::fflush(stdout);
    } else if (f.outstanding && !f.quiet && seq != run.count) {
      // iputils reports a probe at the next send, so never the last one.
      line(ping_no_answer_line(seq, stamp(run)));
    }
  } else if (const auto* failed = std::get_if<engine::SendError>(&event.outcome)) {
    fmt::print(stderr, "icmpkit ping: icmp_seq={}: sendmsg: {}\n", seq, failed->error.message());
  }
}


int run_ping(const PingFlags& f) {
  constexpr std::string_view cmd = "ping";
  // --- Flag values, checked as iputils checks them.
  if (f.count && *f.count == 0) return fail(cmd, exit_usage, "invalid argument: '0': -c must be at least 1");
  if (f.interval && !(*f.interval >= 0 && *f.interval <= 3600 * 24)) {
    return fail(cmd, exit_usage, fmt::format("bad timing interval: {}", *f.interval));
  }
  const bool root = geteuid() == 0;
  if (f.interval && *f.interval < 0.002 && !root) {
    return fail(cmd, exit_usage, "cannot flood; minimal interval allowed for user is 2ms");
  }
  if (f.timeout && !(*f.timeout > 0 && *f.timeout <= 3600 * 24)) {
    return fail(cmd, exit_usage, fmt::format("bad linger time: {}", *f.timeout));
  }
  if (f.deadline && !(*f.deadline > 0 && *f.deadline <= 3600 * 24 * 365)) {
    return fail(cmd, exit_usage, fmt::format("bad wait time: {}", *f.deadline));
  }
  if (f.size > engine::max_payload_size) {
    return fail(cmd, exit_usage,
                fmt::format("invalid -s value: '{}': out of range: 0 <= value <= {}", f.size, engine::max_payload_size));
  }
  if (f.ttl && (*f.ttl < 1 || *f.ttl > 255)) {
    return fail(cmd, exit_usage, fmt::format("invalid argument: '{}': out of range: 1 <= value <= 255", *f.ttl));
  }
  net::PingOptions options;
  options.payload_size = f.size;
  if (!f.pattern.empty()) {
    auto p = parse_ping_pattern(f.pattern);
    if (!p.error.empty()) return fail(cmd, exit_usage, p.error);
    for (std::size_t i = 0; i < p.bytes.size(); ++i) options.pattern[i] = p.bytes[i];
    options.pattern_size = static_cast<std::uint8_t>(p.bytes.size());
    if (!f.quiet && !f.json) line(ping_pattern_line(p.bytes));
  }
  if (!f.tos.empty()) {
    auto tos = parse_tos(f.tos);
    if (!tos) return fail(cmd, exit_usage, fmt::format("the decimal value of TOS bits must be in range 0-255: {}", f.tos));
    options.tos = *tos;
  }
  if (!f.pmtu.empty()) {
    auto mode = parse_pmtu_mode(f.pmtu);
    if (!mode) return fail(cmd, exit_usage, fmt::format("invalid -M argument: {}", f.pmtu));
    options.dont_fragment = *mode == PmtuMode::do_;
  }
  if (f.ttl) options.ttl = wire::Ttl(static_cast<std::uint8_t>(*f.ttl));
  const bool flood = f.flood;
  if (flood && !root && (!f.interval || *f.interval < 0.002)) {
    return fail(cmd, exit_usage, "cannot flood; minimal interval allowed for user is 2ms");
  }
  // Flood (iputils): the next probe leaves as soon as a reply arrives, or
  // after the interval (10 ms unless -i), whichever comes first.
  options.send_on_reply = flood;
  options.keep_outcomes = false;  // lines and statistics come from the probe events
  options.interval = f.interval ? seconds_to_ns(*f.interval) : (flood ? std::chrono::milliseconds(10) : std::chrono::seconds(1));
  options.timeout = f.timeout ? seconds_to_ns(*f.timeout) : std::chrono::seconds(10);
  if (f.deadline) options.deadline = seconds_to_ns(*f.deadline);
  const std::uint64_t count = f.count.value_or(0);

  // --- Target and source.
  std::optional<wire::Family> family;
  if (f.v4) family = wire::Family::v4;
  if (f.v6) family = wire::Family::v6;
  const auto target = resolve_host(f.host, family);
  if (!target.ok()) return fail(cmd, exit_usage, target.error);
  net::PingerOptions pinger_options;
  pinger_options.mode = parse_socket_mode(f.mode);
  // Every RTT is shown, so it runs from the kernel's send time: one more
  // error-queue read per probe is nothing next to an interval. Not for -f
  // with an interval, where each probe waits for the last reply and leaves
  // in a send call of its own, so the time read around that call is already
  // as good; there the reads cost about a fifth of the flood rate (measured
  // on loopback). -f -i 0 sends in batches and needs them.
  pinger_options.transmit_timestamps = !(flood && options.interval > std::chrono::nanoseconds::zero());
  std::optional<wire::IpAddress> source;
  std::string interface_name;
  if (!f.interface_or_source.empty()) {
    auto bound = source_for(f.interface_or_source, target.address.family());
    if (!bound.ok()) return fail(cmd, exit_usage, fmt::format("-I {}", bound.error));
    source = bound.address;
    interface_name = bound.interface_name;
    (target.address.is_v4() ? pinger_options.source_v4 : pinger_options.source_v6) = source;
  }

  asio::io_context io;
  net::Pinger pinger(io, pinger_options);
  if (auto ec = pinger.open(target.address.family())) {
    return fail(cmd, exit_usage, open_failure_message(target.address.family(), ec));
  }

  Run run;
  run.flags = &f;
  run.host = f.host;
  run.address = target.address;
  run.display = f.numeric || is_numeric_host(f.host) ? target.address.to_string()
                                                      : ping_display_name(f.host, target.address);
  run.json = f.json;
  run.count = count;
  run.flood_output = flood && !f.json && !f.quiet;
  if (!f.json) {
    line(ping_header_line({f.host, target.address, f.size, source, interface_name}));
  }

  // -l: that many probes leave at once, then the rest one per interval.
  std::uint32_t preload = f.preload.value_or(0);
  if (count != 0 && preload > count) preload = static_cast<std::uint32_t>(count);
  run.start = Clock::now();
  run.last_answer = run.start;
  bool cancelled = false;
  std::error_code failure;

  auto finish = [&](std::error_code ec, const net::PingResult& result) {
    if (ec && !failure && ec != std::error_code(asio::error::operation_aborted)) failure = ec;
    run.totals.add_counts(result.statistics);
    if (--run.pending == 0) io.stop();
  };
  asio::steady_timer main_start(io);
  auto start_main = [&](std::uint64_t main_count) {
    net::PingOptions o = options;
    o.count = static_cast<std::uint32_t>(main_count);
    if (o.deadline && preload != 0) o.deadline = *o.deadline > o.interval ? *o.deadline - o.interval : nanoseconds(1);
    const std::uint32_t base = preload;
    ++run.pending;
    pinger.async_ping(target.address, o, [&run, base](const engine::ProbeEvent& e) { on_event(run, base, e); },
                      [&](std::error_code ec, net::PingResult result) { finish(ec, result); });
  };
  if (preload != 0) {
    net::PingOptions o = options;
    o.count = preload;
    o.interval = nanoseconds(0);
    ++run.pending;
    pinger.async_ping(target.address, o, [&run](const engine::ProbeEvent& e) { on_event(run, 0, e); },
                      [&](std::error_code ec, net::PingResult result) { finish(ec, result); });
    if (count == 0 || count > preload) {
      ++run.pending;  // keeps the loop alive until the main request starts
      main_start.expires_after(options.interval);
      main_start.async_wait([&](std::error_code ec) {
        --run.pending;
        if (ec || cancelled) return;
        start_main(count == 0 ? 0 : count - preload);
      });
    }
  } else {
    start_main(count);
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    cancelled = true;
    main_start.cancel();
    pinger.cancel_all();
  });
  while (run.pending > 0 && io.run_one() > 0) {
  }
  signals.cancel();
  if (failure) return fail(cmd, exit_usage, fmt::format("cannot ping {}: {}", f.host, failure.message()));

  run.totals.rtt = run.rtt.summary();
  // iputils' "time": from the first probe to the last thing that happened
  // (a send or an answer), not to the final timeout. Sends are not reported
  // one by one: the last one is where the pacing put it.
  std::uint64_t paced = run.totals.sent == 0 ? 0 : run.totals.sent - 1;
  if (preload > 1) paced = paced > preload - 1 ? paced - (preload - 1) : 0;
  auto end = std::min(run.start + options.interval * static_cast<long>(paced), Clock::now());
  if (run.last_answer > end) end = run.last_answer;
  const nanoseconds elapsed = end - run.start;
  if (f.json) {
    line(ping_summary_json(f.host, target.address, run.totals, elapsed).dump());
  } else {
    for (const auto& l : ping_statistics_block(f.host, run.totals, elapsed)) line(l);
  }
  const auto socket = pinger.socket_stats(target.address.family());
  if (auto warning = kernel_drop_warning(cmd, socket.kernel_drops, socket.receive_buffer); !warning.empty()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", warning.c_str());
  }
  return ping_exit_code(run.totals, f.deadline.has_value(), count);
}

}  // namespace

Command add_ping(CLI::App& parent) {
  auto f = std::make_shared<PingFlags>();
  auto* app = parent.add_subcommand("ping", "Ping a host like iputils ping(8): same flags, output and exit codes");
  app->add_option("HOST", f->host, "Destination: IPv4/IPv6 address or host name")->required();
  app->add_option("-c", f->count, "Stop after sending (and waiting for) this many probes");
  app->add_option("-i", f->interval, "Seconds between probes (default 1; below 0.002 needs root)");
  app->add_option("-W", f->timeout, "Seconds to wait for each reply (default 10)");
  app->add_option("-w", f->deadline, "Stop after this many seconds, whatever was sent or received");
  app->add_option("-s", f->size, "Data bytes per probe (default 56)");
  app->add_option("-p", f->pattern, "Up to 16 pad bytes in hex to fill the payload with");
  app->add_option("-t", f->ttl, "IP time to live / IPv6 hop limit (1..255)");
  app->add_option("-Q", f->tos, "IPv4 TOS / IPv6 traffic class byte (decimal or 0x hex)");
  app->add_option("-M", f->pmtu, "Path MTU discovery: do (set DF, no fragmenting), dont, want");
  app->add_option("-I", f->interface_or_source, "Source address, or an interface whose address is the source");
  auto* v4 = app->add_flag("-4", f->v4, "Use IPv4 only");
  auto* v6 = app->add_flag("-6", f->v6, "Use IPv6 only");
  v4->excludes(v6);
  app->add_flag("-q", f->quiet, "Quiet: only the first line and the statistics");
  app->add_flag("-n", f->numeric, "Numeric output only (no host names)");
  app->add_flag("-D", f->timestamps, "Print a [seconds.microseconds] wall-clock stamp before each line");
  app->add_flag("-O", f->outstanding, "Report probes that got no answer in time");
  app->add_flag("-f", f->flood, "Flood: print '.' per unanswered probe, 'E' per error; 10 ms interval unless -i");
  app->add_flag("-a", f->audible, "Audible: ring the bell on each reply");
  app->add_option("-l", f->preload, "Send this many probes at once before the regular pace");
  app->add_option("--mode", f->mode, "Socket kind: auto (ping socket, else raw), dgram, raw")
      ->check(CLI::IsMember({"auto", "dgram", "raw"}))
      ->capture_default_str();
  app->add_flag("--json", f->json, "One JSON object per reply/error/timeout, then a summary object");
  return {app, [f] { return run_ping(*f); }};
}

}  // namespace icmpkit::tools
