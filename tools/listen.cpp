// `icmpkit listen`: print every ICMP/ICMPv6 message reaching this host,
// decoded one line each, from raw sockets without a kernel filter.
#include <poll.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "format_message.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/sys/socket.hpp"
#include "resolve.hpp"
#include "send_spec.hpp"

namespace icmpkit::tools {
namespace {

using Clock = std::chrono::steady_clock;
using wire::Family;

struct ListenOptions {
  bool v4 = false;
  bool v6 = false;
  std::vector<std::string> types;
  std::string source;
  unsigned count = 0;
  double timeout = 10.0;
  bool json = false;
};

struct Listener {
  Family family;
  sys::IcmpSocket socket;
  std::vector<std::uint8_t> types;  // empty: every type
};

std::string wall_time(std::optional<std::chrono::nanoseconds> stamp) {
  const auto ns = stamp ? *stamp : std::chrono::nanoseconds(std::chrono::system_clock::now().time_since_epoch());
  const auto seconds = static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(ns).count());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(ns).count() % 1000000;
  return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

int run_listen(const ListenOptions& o) {
  std::vector<Family> families;
  if (!o.v6) families.push_back(Family::v4);
  if (!o.v4) families.push_back(Family::v6);
  if (o.timeout < 0 || o.timeout > 86400) return fail("listen", exit_usage, "--timeout must be in [0, 86400] seconds (0: no limit)");
  if (o.count == 0 && o.timeout == 0) return fail("listen", exit_usage, "give --count or a non-zero --timeout: listening must end");

  std::optional<wire::IpAddress> source_filter;
  if (!o.source.empty()) {
    auto r = resolve_host(o.source, std::nullopt);
    if (!r.ok()) return fail("listen", exit_usage, fmt::format("--source: {}", r.error));
    source_filter = r.address;
  }

  std::vector<Listener> listeners;
  for (auto family : families) {
    Listener l{family, {}, {}};
    for (const auto& t : o.types) {
      auto type = parse_icmp_type(family, t);
      if (!type.ok()) {
        // With both families a name may exist in only one of them.
        if (families.size() == 2 && !parse_icmp_type(family == Family::v4 ? Family::v6 : Family::v4, t).ok()) {
          return fail("listen", exit_usage, type.error);
        }
        if (families.size() == 1) return fail("listen", exit_usage, type.error);
        continue;
      }
      l.types.push_back(type.type);
    }
    if (!o.types.empty() && l.types.empty()) continue;  // no type of this family asked for
    if (source_filter && source_filter->family() != family) continue;
    sys::OpenOptions open;
    open.mode = sys::SocketMode::raw;
    open.install_kernel_filter = false;
    open.receive_errors = false;
    sys::OpenReport report;
    auto socket = sys::IcmpSocket::open(family, open, &report);
    if (!socket) {
      const auto ec = report.raw ? report.raw->error : socket.error();
      return fail("listen", exit_usage,
                  fmt::format("cannot open a raw {} socket: {}. Listening needs CAP_NET_RAW; run 'icmpkit doctor'",
                              family == Family::v4 ? "ICMP" : "ICMPv6", ec.message()));
    }
    l.socket = std::move(*socket);
    listeners.push_back(std::move(l));
  }
  if (listeners.empty()) return fail("listen", exit_usage, "nothing to listen for: --type/--source match no family");

  std::vector<std::byte> buffer(sys::max_datagram_size);
  std::vector<std::byte> control(sys::recommended_control_size);
  const bool bounded_time = o.timeout > 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  unsigned printed = 0;
  while (o.count == 0 || printed < o.count) {
    int wait_ms = 1000;
    if (bounded_time) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) break;
      wait_ms = static_cast<int>(std::max<long long>(1, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    }
    std::vector<pollfd> fds;
    for (const auto& l : listeners) fds.push_back({l.socket.native_handle(), POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) return fail("listen", exit_usage, std::error_code(errno, std::system_category()).message());
    if (ready <= 0) continue;
    for (std::size_t i = 0; i < listeners.size() && (o.count == 0 || printed < o.count); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      auto& l = listeners[i];
      while (o.count == 0 || printed < o.count) {
        auto d = sys::receive(l.socket, buffer, control);
        if (!d) {
          if (d.error() == std::errc::resource_unavailable_try_again) break;
          continue;
        }
        if (source_filter && !(d->source == *source_filter)) continue;
        if (!l.types.empty() && (d->icmp.empty() ||
                                 std::find(l.types.begin(), l.types.end(), static_cast<std::uint8_t>(d->icmp[0])) == l.types.end())) {
          continue;
        }
        std::optional<wire::IpAddress> destination = d->destination;
        if (!destination && d->ip_header.size() >= 20) {
          wire::Ipv4Address a{};
          std::copy(d->ip_header.begin() + 16, d->ip_header.begin() + 20, a.begin());
          destination = wire::IpAddress(a);
        }
        const std::string to = destination ? destination->to_string() : std::string("?");
        if (o.json) {
          Json j;
          j["time"] = wall_time(d->kernel_timestamp);
          j["family"] = l.family == Family::v4 ? "ipv4" : "ipv6";
          j["from"] = d->source.to_string();
          j["to"] = destination ? Json(to) : Json(nullptr);
          if (d->ttl) j["ttl"] = d->ttl->value();
          j["bytes"] = d->icmp.size();
          j["message"] = summary_json(l.family, d->icmp);
          fmt::print("{}\n", j.dump());
        } else {
          std::string line = fmt::format("{} {} -> {}: {}", wall_time(d->kernel_timestamp), d->source.to_string(), to,
                                         summarize_icmp(l.family, d->icmp));
          if (d->ttl) line += fmt::format(" ttl={}", d->ttl->value());
          line += fmt::format(" len={}", d->icmp.size());
          fmt::print("{}\n", line);
        }
        std::fflush(stdout);
        ++printed;
      }
    }
  }
  return printed > 0 ? exit_ok : exit_no_reply;
}

}  // namespace

Command add_listen(CLI::App& parent) {
  auto o = std::make_shared<ListenOptions>();
  auto* app = parent.add_subcommand("listen", "Print every ICMP/ICMPv6 message arriving at this host (raw socket)");
  auto* v4 = app->add_flag("-4", o->v4, "ICMP (IPv4) only");
  auto* v6 = app->add_flag("-6", o->v6, "ICMPv6 only");
  v4->excludes(v6);
  app->add_option("--type", o->types, "Only this type (name or number); repeat for more");
  app->add_option("--source", o->source, "Only messages from this address");
  app->add_option("--count,-c", o->count, "Stop after this many messages (0: no limit)")->capture_default_str();
  app->add_option("--timeout,-W", o->timeout, "Stop after this many seconds (0: no limit)")->capture_default_str();
  app->add_flag("--json", o->json, "One JSON object per line");
  app->footer("Needs CAP_NET_RAW. Exit status: 0 something was printed, 1 nothing arrived, 2 bad input / no socket.");
  return {app, [o] { return run_listen(*o); }};
}

}  // namespace icmpkit::tools
