// `icmpkit sweep`: fping(8) for fping users. Many targets (arguments, -f
// file or stdin, -g CIDR blocks and ranges, IPv4 and IPv6 mixed) pinged over
// one socket per family by net::Pinger, with fping's flags, lines, -s
// statistics and exit codes, plus --rate and --json.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "icmpkit/net/pinger.hpp"
#include "ping_common.hpp"
#include "resolve.hpp"
#include "sweep_format.hpp"
#include "sweep_pacing.hpp"
#include "targets.hpp"

namespace icmpkit::tools {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

struct SweepFlags {
  std::vector<std::string> targets;
  std::string file;                    // -f (- = stdin)
  bool generate = false;               // -g
  std::optional<std::uint32_t> count;  // -c
  std::optional<std::uint32_t> vcount; // -C
  bool quiet = false, stats = false, alive = false, unreach = false, elapsed = false, names = false;
  bool v4 = false, v6 = false;
  std::optional<double> timeout_ms;    // -t
  std::optional<std::uint32_t> retries;// -r
  std::optional<double> interval_ms;   // -i (between any two sends)
  std::optional<double> period_ms;     // -p (between sends to one target)
  std::optional<std::size_t> size;     // -b
  std::optional<double> backoff;       // -B
  std::optional<double> rate;          // --rate
  std::string mode = "auto";
  bool json = false;
};

// Sweeps longer than this show a progress line on a terminal's stderr.
constexpr auto progress_after = std::chrono::seconds(2);
// Targets started and not yet sent when each target gets one probe (see
// Pinger::unsent_requests): four send batches ahead of the socket, refilled
// after every pump that sent, while a -g list of a million hosts is not
// started all at once. A target that sent its probe no longer counts, so
// silent hosts cost one timeout in all. Small on purpose: on loopback, where
// replies come at once, the running targets are about this many, and 256
// instead of 4,096 kept the working set in cache (65,536 targets: 4-6% less
// wall time, measured interleaved). With -c/-C N > 1 every target runs at
// once (fping pings each target once per period -p), so memory follows the list.
constexpr std::size_t one_probe_window = 256;
// Targets running at once when each gets one probe: bounds memory (about
// 1 KiB each in all) when hosts are silent and nothing else caps the probes
// in flight (--rate); without --rate the receive buffer's cap comes first.
constexpr std::size_t one_probe_max_running = std::size_t{1} << 17;

// A target's counters and RTTs while it is pinged, and in -c mode until the
// summary at the end. fping keeps int counters; the RTTs stay in nanoseconds
// because fping_time prints microseconds and rounds. In default mode
// (count 1, stop on the first reply) a request has at most one Reply outcome
// (one per probe), so `min` is also the first RTT that -e shows.
struct Tally {
  std::uint32_t sent = 0, received = 0;
  nanoseconds sum{0}, min{0}, max{0};
};

std::optional<RttTriple> triple(const Tally& t) {
  if (t.received == 0) return std::nullopt;
  return RttTriple{t.min, t.sum / static_cast<long>(t.received), t.max};
}

// fping -n: the name the address has in DNS or /etc/hosts.
std::string reverse_name(const wire::IpAddress& address) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    const auto bytes = address.v4();
    std::memcpy(&sin.sin_addr, bytes.data(), bytes.size());
    std::memcpy(&storage, &sin, sizeof sin);
    length = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    const auto bytes = address.v6();
    std::memcpy(&sin6.sin6_addr, bytes.data(), bytes.size());
    sin6.sin6_scope_id = address.scope_id();
    std::memcpy(&storage, &sin6, sizeof sin6);
    length = sizeof sin6;
  }
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host, sizeof host, nullptr, 0, NI_NAMEREQD) != 0) {
    return address.to_string();
  }
  return host;
}

// Output. stdout goes through stdio's buffer (line-buffered on a terminal,
// otherwise full) instead of a flush per line; the sweep flushes it at most
// 100 ms after a line was written, so a pipe reader still sees results
// promptly. stderr stays unbuffered: a line leaves in one write, text and
// newline together, after whatever stdout still holds (so with 2>&1 the lines
// keep the order they were made in); blocks of lines (the summaries at the
// end) leave in large writes.
constexpr auto flush_every = milliseconds(100);

void out_line(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

void err_line(std::string_view text) {
  std::fflush(stdout);
  std::string line;
  line.reserve(text.size() + 1);
  line.append(text);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// Many stderr lines gathered into writes of up to 64 KiB (a million-target
// -c summary would otherwise be a million writes).
class StderrBlock {
 public:
  StderrBlock() { std::fflush(stdout); }
  ~StderrBlock() { flush(); }
  StderrBlock(const StderrBlock&) = delete;
  StderrBlock& operator=(const StderrBlock&) = delete;

  void line(std::string_view text) {
    buffer_.append(text);
    buffer_ += '\n';
    if (buffer_.size() >= flush_at) flush();
  }
  // A line that `write(std::string&)` appends straight into the block.
  template <class Write>
  void line_with(Write&& write) {
    write(buffer_);
    buffer_ += '\n';
    if (buffer_.size() >= flush_at) flush();
  }
  void flush() {
    if (buffer_.empty()) return;
    std::fwrite(buffer_.data(), 1, buffer_.size(), stderr);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t flush_at = std::size_t{64} << 10;
  std::string buffer_;
};

// The sweep hears its targets through net::PingStream: every event comes
// straight from the Pinger, with no completion posted per target.
class Sweep final : public net::PingStream {
 public:
  Sweep(const SweepFlags& f, const TargetTable& targets) : f_(f), targets_(targets) {}

  int run();

  void on_probe(std::uint64_t slot, const engine::ProbeEvent& e) override;
  void on_finished(std::uint64_t slot, std::error_code ec, const engine::PingStatistics& statistics,
                   bool cancelled) override;
  void on_probes_sent() override { launch(); }

 private:
  // A request in flight: which target, and its tally outside -c mode.
  struct Flight {
    std::uint32_t target = 0;
    Tally tally;
  };

  bool count_mode() const { return f_.count || f_.vcount; }
  std::uint32_t probes() const { return f_.vcount ? *f_.vcount : f_.count.value_or(1); }
  Tally& tally(Flight& flight) { return tallies_.empty() ? flight.tally : tallies_[flight.target]; }
  void launch();
  void line(std::string_view text);
  void clear_progress();
  void show_progress();
  void schedule_progress();

  const SweepFlags& f_;
  const TargetTable& targets_;
  asio::io_context io_;
  std::optional<net::Pinger> pinger_;
  net::PingOptions options_;
  std::size_t window_ = one_probe_window;         // targets waiting to send
  std::size_t max_running_ = one_probe_max_running;
  std::vector<Flight> flights_;       // grows to the most targets running at once
  std::vector<std::uint32_t> free_;   // unused slots of flights_
  std::vector<Tally> tallies_;        // per target, -c only (its summary lines)
  std::vector<nanoseconds> rtts_;     // per target and probe, -C only; no_rtt for none
  std::size_t next_ = 0;              // next target to launch
  std::size_t running_ = 0;
  std::size_t finished_ = 0;
  std::size_t width_ = 0;
  bool cancelled_ = false;
  std::error_code failure_;
  SweepTotals totals_;
  std::uint64_t rtt_samples_ = 0;
  Clock::time_point start_;
  std::optional<asio::steady_timer> progress_timer_;
  bool progress_shown_ = false;
  bool progress_enabled_ = false;
  std::optional<asio::steady_timer> flush_timer_;  // unset when stdout is a terminal
  bool flush_armed_ = false;
};

// A stdout line, flushed within flush_every.
void Sweep::line(std::string_view text) {
  out_line(text);
  if (flush_armed_ || !flush_timer_) return;
  flush_armed_ = true;
  flush_timer_->expires_after(flush_every);
  flush_timer_->async_wait([this](std::error_code ec) {
    flush_armed_ = false;
    if (!ec) std::fflush(stdout);
  });
}

void Sweep::clear_progress() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stderr);
  progress_shown_ = false;
}

void Sweep::show_progress() {
  const double seconds = duration<double>(Clock::now() - start_).count();
  fmt::print(stderr, "\r\033[K{}/{} targets done, {} alive, {:.1f} s", finished_, targets_.resolved(), totals_.alive,
             seconds);
  std::fflush(stderr);
  progress_shown_ = true;
}

void Sweep::schedule_progress() {
  progress_timer_->expires_after(milliseconds(250));
  progress_timer_->async_wait([this](std::error_code ec) {
    if (ec || finished_ == targets_.resolved()) return;
    if (Clock::now() - start_ >= progress_after) show_progress();
    schedule_progress();
  });
}

void Sweep::launch() {
  std::size_t unsent = pinger_->unsent_requests(wire::Family::v4) + pinger_->unsent_requests(wire::Family::v6);
  while (!cancelled_ && unsent < window_ && running_ < max_running_ && next_ < targets_.size()) {
    const std::size_t index = next_++;
    if (!targets_.has_address(index)) continue;
    if (free_.empty()) {
      free_.push_back(static_cast<std::uint32_t>(flights_.size()));
      flights_.emplace_back();
    }
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    ++unsent;
    flights_[slot] = Flight{static_cast<std::uint32_t>(index), {}};
    ++running_;
    if (auto started = pinger_->stream_ping(targets_.address(index), options_, *this, slot); !started) {
      // As a failed socket would: the sweep stops with this error.
      --running_;
      ++finished_;
      free_.push_back(slot);
      if (!failure_) failure_ = started.error();
      cancelled_ = true;
      pinger_->cancel_all();
      return;
    }
  }
}

void Sweep::on_probe(std::uint64_t slot, const engine::ProbeEvent& e) {
  Flight& flight = flights_[slot];
  Tally& t = tally(flight);
  const bool show_probes = count_mode() && !f_.quiet;
  if (e.kind == engine::EventKind::duplicate) {
    const auto& reply = std::get<engine::Reply>(e.outcome);
    ++totals_.received;
    if (f_.json) {
      line(sweep_reply_json(targets_.shown(flight.target), targets_.address(flight.target), e.probe_index, reply.size, reply.rtt, true)
               .dump());
    } else if (show_probes) {
      clear_progress();
      err_line(sweep_duplicate_line(targets_.shown(flight.target), width_, e.probe_index, reply.size, reply.rtt));
    }
    return;
  }
  if (e.kind != engine::EventKind::outcome) return;
  if (std::holds_alternative<engine::Cancelled>(e.outcome)) return;
  if (!std::holds_alternative<engine::SendError>(e.outcome)) ++t.sent;
  if (const auto* reply = std::get_if<engine::Reply>(&e.outcome)) {
    t.min = t.received == 0 ? reply->rtt : std::min(t.min, reply->rtt);
    t.max = t.received == 0 ? reply->rtt : std::max(t.max, reply->rtt);
    t.sum += reply->rtt;
    ++t.received;
    ++totals_.received;
    if (!rtts_.empty() && e.probe_index < *f_.vcount) {
      rtts_[std::size_t{flight.target} * *f_.vcount + e.probe_index] = reply->rtt;
    }
    if (!totals_.rtt) {
      totals_.rtt = RttTriple{reply->rtt, nanoseconds(0), reply->rtt};
    } else {
      totals_.rtt->min = std::min(totals_.rtt->min, reply->rtt);
      totals_.rtt->max = std::max(totals_.rtt->max, reply->rtt);
    }
    totals_.rtt->avg += reply->rtt;  // a sum until the end
    ++rtt_samples_;
    if (f_.json) {
      if (count_mode()) {
        line(sweep_reply_json(targets_.shown(flight.target), targets_.address(flight.target), e.probe_index, reply->size, reply->rtt, false)
                 .dump());
      }
    } else if (show_probes) {
      clear_progress();
      line(sweep_reply_line(targets_.shown(flight.target), width_, e.probe_index, reply->size, reply->rtt,
                            triple(t)->avg, fping_loss(t.sent, t.received)));
    }
    return;
  }
  if (const auto* error = std::get_if<engine::IcmpError>(&e.outcome)) {
    // fping counts an ICMP error as "other ICMP" and the probe as timed out.
    ++totals_.other_icmp;
    ++totals_.timeouts;
    const std::string shown = targets_.shown(flight.target);
    const std::string text = sweep_icmp_error_line(targets_.address(flight.target).family(), error->type, error->code, error->router, shown);
    if (f_.json) {
      line(sweep_error_json(shown, targets_.address(flight.target), e.probe_index, error->router, error->type, error->code, text).dump());
      return;
    }
    if (!f_.quiet) {
      clear_progress();
      err_line(text);
    }
  } else if (std::holds_alternative<engine::Timeout>(e.outcome)) {
    ++totals_.timeouts;
    if (f_.json) {
      if (count_mode()) line(sweep_timeout_json(targets_.shown(flight.target), targets_.address(flight.target), e.probe_index).dump());
      return;
    }
  } else if (const auto* failed = std::get_if<engine::SendError>(&e.outcome)) {
    if (!f_.quiet && !f_.json) {
      clear_progress();
      err_line(fmt::format("{}: error while sending ping: {}", targets_.shown(flight.target), failed->error.message()));
    }
    return;
  }
  if (show_probes) {
    clear_progress();
    const auto avg = triple(t);
    line(sweep_timeout_line(targets_.shown(flight.target), width_, e.probe_index,
                            avg ? std::optional(avg->avg) : std::nullopt, fping_loss(t.sent, t.received)));
  }
}

void Sweep::on_finished(std::uint64_t slot, std::error_code ec, const engine::PingStatistics& statistics,
                        bool /*cancelled*/) {
  Flight& flight = flights_[slot];
  Tally& t = tally(flight);
  // A probe cancelled in flight (SIGINT) was sent all the same, and fping's
  // xmt counts it: take the engine's count of probes handed to the kernel.
  if (statistics.sent > t.sent) t.sent = static_cast<std::uint32_t>(statistics.sent);
  --running_;
  ++finished_;
  if (ec && ec != std::error_code(asio::error::operation_aborted) && !failure_) failure_ = ec;
  totals_.sent += statistics.sent;
  const bool alive = t.received > 0;
  if (alive) ++totals_.alive;
  if (f_.json) {
    line(sweep_target_json(targets_.shown(flight.target), targets_.address(flight.target), alive, t.sent, t.received,
                           triple(t))
             .dump());
  } else if (!count_mode()) {
    // -a / -u choose what is shown even with -q; otherwise -q hides both.
    const bool names_only = f_.alive || f_.unreach;
    const bool show = names_only ? (f_.alive && alive) || (f_.unreach && !alive) : !f_.quiet;
    if (show) {
      clear_progress();
      const std::string shown = targets_.shown(flight.target);
      line(alive ? sweep_alive_line(shown, names_only, f_.elapsed ? std::optional(t.min) : std::nullopt)
                 : sweep_unreachable_line(shown, names_only));
    }
  } else if ((f_.alive && alive) || (f_.unreach && !alive)) {
    clear_progress();
    line(targets_.shown(flight.target));
  }
  free_.push_back(static_cast<std::uint32_t>(slot));
  launch();
}

int Sweep::run() {
  constexpr std::string_view cmd = "sweep";
  width_ = targets_.width();
  std::fflush(stdout);  // --json lines of unresolved targets
  // Timing as fping: -p per target in count mode (timeout = period, at most
  // 2 s), -t 500 ms and -r 3 retries in default mode, -i 10 ms between sends.
  const bool counting = count_mode();
  options_.payload_size = f_.size.value_or(56);
  options_.count = probes();
  options_.interval = duration_cast<nanoseconds>(duration<double, std::milli>(f_.period_ms.value_or(1000)));
  if (f_.timeout_ms) {
    options_.timeout = duration_cast<nanoseconds>(duration<double, std::milli>(*f_.timeout_ms));
  } else if (counting) {
    options_.timeout = std::min<nanoseconds>(options_.interval, std::chrono::seconds(2));
  } else {
    options_.timeout = milliseconds(500);
  }
  options_.retries = counting ? 0 : f_.retries.value_or(3);
  options_.backoff = f_.backoff.value_or(1.5);
  options_.stop_on_reply = !counting;
  options_.keep_outcomes = false;  // everything shown comes from the probe events

  const net::PingerOptions pinger_options = sweep_pinger_options(f_.interval_ms, f_.rate, f_.mode);
  pinger_.emplace(io_, pinger_options);
  bool need[2] = {false, false};
  for (std::size_t i = 0; i < targets_.size() && !(need[0] && need[1]); ++i) {
    if (targets_.has_address(i)) need[targets_.address(i).is_v4() ? 0 : 1] = true;
  }
  for (int k = 0; k < 2; ++k) {
    const auto family = k == 0 ? wire::Family::v4 : wire::Family::v6;
    if (!need[k]) continue;
    if (auto ec = pinger_->open(family)) return fail(cmd, sweep_exit_system, open_failure_message(family, ec));
  }
  if (probes() > 1) window_ = max_running_ = std::max<std::size_t>(targets_.resolved(), 1);
  flights_.reserve(std::min(window_, targets_.resolved()));  // launch() adds slots as it needs them
  if (f_.count) tallies_.resize(targets_.size());
  if (f_.vcount) rtts_.assign(targets_.size() * *f_.vcount, no_rtt);

  start_ = Clock::now();
  progress_enabled_ = isatty(STDERR_FILENO) == 1 && !f_.json;
  if (progress_enabled_) {
    progress_timer_.emplace(io_);
    schedule_progress();
  }
  if (isatty(STDOUT_FILENO) != 1) flush_timer_.emplace(io_);
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](std::error_code ec, int) {
    if (ec) return;
    cancelled_ = true;
    pinger_->cancel_all();
  });
  launch();
  while (finished_ < targets_.resolved() && !(cancelled_ && running_ == 0) && io_.run_one() > 0) {
  }
  signals.cancel();
  if (progress_timer_) progress_timer_->cancel();
  if (flush_timer_) flush_timer_->cancel();
  clear_progress();
  std::fflush(stdout);
  if (failure_) return fail(cmd, sweep_exit_system, fmt::format("the sweep failed: {}", failure_.message()));

  StderrBlock err;
  for (auto family : {wire::Family::v4, wire::Family::v6}) {
    const auto socket = pinger_->socket_stats(family);
    if (auto warning = kernel_drop_warning(cmd, socket.kernel_drops, socket.receive_buffer); !warning.empty()) {
      err.line(warning);
    }
  }
  totals_.elapsed = Clock::now() - start_;
  totals_.targets = targets_.size();
  totals_.unknown = targets_.size() - targets_.resolved();
  totals_.unreachable = targets_.resolved() - totals_.alive;
  if (totals_.rtt) {
    const std::uint64_t replies = std::max<std::uint64_t>(1, rtt_samples_);
    totals_.rtt->avg /= static_cast<long>(replies);
  }
  if (f_.json) {
    out_line(sweep_summary_json(totals_).dump());
    std::fflush(stdout);
    return sweep_exit_code(totals_);
  }
  if (counting) {
    // fping prints the per-target summaries on stderr, after a blank line
    // unless -q.
    if (!f_.quiet) err.line("");
    TargetTable::ShownBuffer shown_buffer;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      if (!targets_.has_address(i)) continue;
      const std::string_view shown = targets_.shown(i, shown_buffer);
      if (f_.vcount) {
        const auto probes = std::span<const nanoseconds>(rtts_).subspan(i * *f_.vcount, *f_.vcount);
        err.line_with([&](std::string& out) { append_sweep_vcount_line(out, shown, width_, probes); });
      } else {
        const Tally& t = tallies_[i];
        err.line_with([&](std::string& out) {
          append_sweep_target_summary_line(out, shown, width_, t.sent, t.received, triple(t));
        });
      }
    }
  }
  if (f_.stats) {
    for (const auto& l : sweep_stats_block(totals_)) err.line(l);
  }
  return sweep_exit_code(totals_);
}

// fping's resolution of one target as given (argument or -f line): the name
// kept when it is not the address's own text, or the error kept for later.
void add_target(TargetTable& table, std::string_view text, std::optional<wire::Family> family, bool names) {
  auto resolved = resolve_host(text, family);
  if (!resolved.ok()) {
    table.add_unresolved(text, std::move(resolved.error));
  } else if (names) {
    table.add(resolved.address, reverse_name(resolved.address));
  } else {
    table.add(resolved.address, text);
  }
}

// A -g address: no resolver needed, only the family check, whose error reads
// as for the same literal given by hand.
void add_generated(TargetTable& table, const wire::IpAddress& address, std::optional<wire::Family> family,
                   bool names) {
  if (family && address.family() != *family) {
    add_target(table, address.to_string(), family, names);
  } else {
    table.add(address, names ? reverse_name(address) : std::string());
  }
}

int run_sweep(const SweepFlags& f) {
  constexpr std::string_view cmd = "sweep";
  // --- Flag values (fping exits 3 on each of these).
  if (f.alive && f.unreach) return fail(cmd, sweep_exit_usage, "specify only one of -a, -u");
  if (f.count && f.vcount) return fail(cmd, sweep_exit_usage, "specify only one of -c, -C");
  if ((f.count && *f.count == 0) || (f.vcount && *f.vcount == 0)) {
    return fail(cmd, sweep_exit_usage, "the count (-c / -C) must be at least 1");
  }
  if (f.timeout_ms && !(*f.timeout_ms > 0)) return fail(cmd, sweep_exit_usage, "-t must be more than 0 ms");
  if (f.period_ms && !(*f.period_ms >= 0)) return fail(cmd, sweep_exit_usage, "-p must be at least 0 ms");
  if (f.interval_ms && !(*f.interval_ms >= 0)) return fail(cmd, sweep_exit_usage, "-i must be at least 0 ms");
  if (f.rate && !(*f.rate > 0)) return fail(cmd, sweep_exit_usage, "--rate must be more than 0 packets per second");
  if (f.backoff && !(*f.backoff >= 1.0 && *f.backoff <= 5.0)) {
    return fail(cmd, sweep_exit_usage, "-B must be between 1.0 and 5.0");
  }
  if (f.retries && *f.retries > 100) return fail(cmd, sweep_exit_usage, "-r must be at most 100");
  if (f.size && *f.size > engine::max_payload_size) {
    return fail(cmd, sweep_exit_usage, fmt::format("-b must be at most {} bytes", engine::max_payload_size));
  }
  if (geteuid() != 0 && f.interval_ms && *f.interval_ms < 1) {
    return fail(cmd, sweep_exit_usage, "-i below 1 ms needs root");
  }

  // --- The target list, resolved as it is read: one compact record per
  // target, the input's text never held for all of them at once.
  std::optional<wire::Family> family;
  if (f.v4) family = wire::Family::v4;
  if (f.v6) family = wire::Family::v6;
  TargetTable targets;
  const auto add_text = [&](std::string_view text) { add_target(targets, text, family, f.names); };
  std::string error;
  if (f.generate) {
    if (!f.file.empty()) return fail(cmd, sweep_exit_usage, "give -g or -f, not both");
    error = for_each_generated(f.targets, max_generated_targets,
                               [&](const wire::IpAddress& address) { add_generated(targets, address, family, f.names); });
  } else if (!f.file.empty()) {
    if (!f.targets.empty()) return fail(cmd, sweep_exit_usage, "give targets either with -f or as arguments");
    if (f.file == "-") {
      error = for_each_listed(std::cin, "stdin", add_text);
    } else {
      std::ifstream in(f.file);
      if (!in) return fail(cmd, sweep_exit_system, fmt::format("cannot open target file '{}'", f.file));
      error = for_each_listed(in, f.file, add_text);
    }
  } else {
    for (const auto& text : f.targets) add_text(text);
  }
  if (!error.empty()) return fail(cmd, sweep_exit_usage, error);
  if (targets.size() == 0) return fail(cmd, sweep_exit_usage, "no targets: give hosts, -f FILE (- for stdin) or -g");

  if (f.json) {
    for (const auto& u : targets.unresolved()) {
      out_line(sweep_target_json(targets.text(u.index), std::nullopt, false, 0, 0, std::nullopt, u.error).dump());
    }
  } else {
    StderrBlock err;
    for (const auto& u : targets.unresolved()) err.line(fmt::format("{}: {}", targets.text(u.index), u.error));
  }
  Sweep sweep(f, targets);
  return sweep.run();
}

}  // namespace

Command add_sweep(CLI::App& parent) {
  auto f = std::make_shared<SweepFlags>();
  auto* app = parent.add_subcommand("sweep", "Ping many hosts like fping(8): same flags, output and exit codes");
  app->add_option("TARGETS", f->targets, "Hosts; with -g a CIDR block (or several) or START END");
  app->add_option("-f", f->file, "Read targets from a file, one per line ('-' = stdin)");
  app->add_flag("-g", f->generate, "Generate targets from a CIDR block or a START END range (IPv4 or IPv6)");
  app->add_option("-c", f->count, "Count mode: send this many probes to each target");
  app->add_option("-C", f->vcount, "Like -c, and report every RTT per target at the end");
  app->add_flag("-q", f->quiet, "Quiet: no per-target or per-probe lines");
  app->add_flag("-s", f->stats, "Print the statistics block at the end (stderr)");
  app->add_flag("-a", f->alive, "Show targets that are alive (names only)");
  app->add_flag("-u", f->unreach, "Show targets that are unreachable (names only)");
  app->add_flag("-e", f->elapsed, "Show the round-trip time on alive lines");
  app->add_option("-t", f->timeout_ms, "Initial per-probe timeout in ms (default 500; -c/-C: the period up to 2000)");
  app->add_option("-r", f->retries, "Retries per target in default mode (default 3)");
  app->add_option("-i", f->interval_ms, "Milliseconds between any two probes sent (default 10)");
  app->add_option("-p", f->period_ms, "Milliseconds between probes to one target in -c/-C mode (default 1000)");
  app->add_option("-b", f->size, "Data bytes per probe (default 56)");
  app->add_option("-B", f->backoff, "Timeout factor per retry (default 1.5)");
  auto* v4 = app->add_flag("-4", f->v4, "IPv4 targets only");
  auto* v6 = app->add_flag("-6", f->v6, "IPv6 targets only");
  v4->excludes(v6);
  app->add_flag("-n", f->names, "Show targets by name (reverse DNS / hosts file)");
  app->add_option("--rate", f->rate, "Probes per second over the whole sweep (overrides -i)");
  app->add_option("--mode", f->mode, "Socket kind: auto (ping socket, else raw), dgram, raw")
      ->check(CLI::IsMember({"auto", "dgram", "raw"}))
      ->capture_default_str();
  app->add_flag("--json", f->json, "One JSON object per result line, then a summary object");
  return {app, [f] { return run_sweep(*f); }, sweep_exit_usage};
}

}  // namespace icmpkit::tools
