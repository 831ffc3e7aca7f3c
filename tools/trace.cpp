// `icmpkit trace`: traceroute(8) for many destinations at once. The common
// flags with traceroute's meanings, its output lines; the probing is
// net::Tracer (ICMP over a ping socket or raw, UDP over an ordinary UDP
// socket: both work without privileges where the kernel allows ping sockets).
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "icmpkit/engine/trace_probe.hpp"
#include "icmpkit/error.hpp"
#include "icmpkit/net/tracer.hpp"
#include "resolve.hpp"
#include "targets.hpp"
#include "trace_format.hpp"

namespace icmpkit::tools {
namespace {

struct TraceFlags {
  std::vector<std::string> hosts;
  std::string file;
  bool icmp = false, udp = false, tcp = false, paris = false, mda = false;
  bool v4 = false, v6 = false, numeric = false, extensions = false, mtu = false, json = false;
  unsigned first_ttl = 1, max_ttl = 30, queries = 3, parallel = 16;
  std::string wait = "5.0";
  std::optional<std::uint16_t> port;
  std::string source, interface_name;
  std::optional<unsigned> tos;
  std::string mode = "auto";
};

// traceroute -w MAX[,HERE[,NEAR]] (also accepts '/' as separator).
bool parse_wait(const std::string& text, engine::WaitPolicy& out) {
  std::vector<double> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find_first_of(",/", start);
    const std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    try {
      std::size_t used = 0;
      values.push_back(std::stod(part, &used));
      if (used != part.size() || values.back() < 0) return false;
    } catch (...) {
      return false;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (values.empty() || values.size() > 3) return false;
  out.max = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(values[0]));
  if (values.size() > 1) out.here = values[1];
  if (values.size() > 2) out.near = values[2];
  return true;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string reverse_name(const wire::IpAddress& address) {
  static std::map<std::string, std::string> cache;
  const std::string key = address.to_string();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, address.v4().data(), 4);
    length = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, address.v6().data(), 16);
    sin6->sin6_scope_id = address.scope_id();
    length = sizeof *sin6;
  }
  char host[NI_MAXHOST] = {};
  std::string name;
  if (getnameinfo(reinterpret_cast<sockaddr*>(&storage), length, host, sizeof host, nullptr, 0, NI_NAMEREQD) == 0) {
    name = host;
  }
  cache.emplace(key, name);
  return name;
}

// One destination's output: its lines are held until every earlier
// destination is printed, so several traces running at once still print as
// consecutive traceroute blocks (the first one streams live).
struct Block {
  std::string host;
  wire::IpAddress address;
  std::string pending;
  bool done = false;
  std::optional<std::uint32_t> last_mtu;
  std::optional<engine::TraceResult> result;
  std::string error;
};

int run_trace(const TraceFlags& f, std::size_t packet_length) {
  const char* name = "trace";
  if (f.v4 && f.v6) return fail(name, exit_usage, "-4 and -6 are exclusive");
  if (int(f.icmp) + int(f.udp) + int(f.tcp) > 1) return fail(name, exit_usage, "-I, -U and -T are exclusive");
  std::vector<std::string> hosts = f.hosts;
  if (!f.file.empty()) {
    TargetList list;
    if (f.file == "-") {
      list = read_targets(std::cin, "stdin");
    } else {
      std::ifstream in(f.file);
      if (!in) return fail(name, exit_usage, "cannot open " + f.file);
      list = read_targets(in, f.file);
    }
    if (!list.ok()) return fail(name, exit_usage, list.error);
    hosts.insert(hosts.end(), list.targets.begin(), list.targets.end());
  }
  if (hosts.empty()) return fail(name, exit_usage, "no destination given");

  net::TraceOptions options;
  options.method = f.icmp ? engine::ProbeMethod::icmp_echo
                           : (f.tcp ? engine::ProbeMethod::tcp_syn : engine::ProbeMethod::udp);
  options.flow_mode = f.paris ? engine::FlowMode::paris : engine::FlowMode::classic;
  options.mode = f.mda ? engine::TraceMode::multipath : engine::TraceMode::hops;
  if (f.first_ttl < 1 || f.first_ttl > 255 || f.max_ttl < 1 || f.max_ttl > 255 || f.first_ttl > f.max_ttl) {
    return fail(name, exit_usage, "-f and -m must satisfy 1 <= first <= max <= 255");
  }
  options.first_ttl = static_cast<std::uint8_t>(f.first_ttl);
  options.max_ttl = static_cast<std::uint8_t>(f.max_ttl);
  if (f.queries < 1 || f.queries > 10) return fail(name, exit_usage, "-q must be 1..10");
  options.queries = f.queries;
  if (f.parallel < 1) return fail(name, exit_usage, "-N must be at least 1");
  options.parallel = f.parallel;
  if (!parse_wait(f.wait, options.wait)) return fail(name, exit_usage, "bad -w: want MAX[,HERE[,NEAR]] seconds");
  if (f.port) options.destination_port = *f.port;
  if (f.tos) {
    if (*f.tos > 255) return fail(name, exit_usage, "-t must be 0..255");
    options.traffic_class = static_cast<std::uint8_t>(*f.tos);
  }
  if (f.mtu) options.path_mtu = 0;  // start at the route's MTU

  net::TracerOptions tracer_options;
  if (f.mode == "dgram") {
    tracer_options.icmp_mode = sys::SocketMode::dgram;
  } else if (f.mode == "raw") {
    tracer_options.icmp_mode = sys::SocketMode::raw;
  } else if (f.mode != "auto") {
    return fail(name, exit_usage, "--mode must be auto, dgram or raw");
  }
  std::optional<wire::Family> family;
  if (f.v4) family = wire::Family::v4;
  if (f.v6) family = wire::Family::v6;
  if (!f.source.empty()) {
    auto src = resolve_host(f.source, family);
    if (!src.ok()) return fail(name, exit_usage, "-s " + f.source + ": " + src.error);
    (src.address.is_v4() ? tracer_options.source_v4 : tracer_options.source_v6) = src.address;
    if (!family) family = src.address.family();
  }
  tracer_options.interface_name = f.interface_name;

  std::vector<Block> blocks;
  for (const auto& host : hosts) {
    auto resolved = resolve_host(host, family);
    if (!resolved.ok()) return fail(name, exit_usage, host + ": " + resolved.error);
    blocks.push_back(Block{host, resolved.address, {}, false, {}, {}, {}});
  }

  TraceFormat format;
  if (!f.numeric) format.name_of = reverse_name;
  format.show_extensions = f.extensions;
  format.show_mtu = f.mtu;
  format.multipath = f.mda;

  asio::io_context context;
  net::Tracer tracer(context, tracer_options);
  std::size_t next_to_print = 0;
  auto flush = [&] {
    if (f.json) return;
    while (next_to_print < blocks.size()) {
      Block& b = blocks[next_to_print];
      std::fputs(b.pending.c_str(), stdout);
      b.pending.clear();
      if (!b.done) break;
      if (!b.error.empty()) fmt::print(stderr, "icmpkit trace: {}: {}\n", b.host, b.error);
      ++next_to_print;
    }
    std::fflush(stdout);
  };

  if (f.tcp) {
    // Without CAP_NET_RAW the Tracer falls back to connect() probes: say so
    // once, and what it changes, before any output.
    bool fallback = false;
    for (const Block& b : blocks) {
      if (!tracer.open(b.address.family(), engine::ProbeMethod::tcp_syn)) {
        fallback = fallback || tracer.uses_connect_fallback(b.address.family());
      }
    }
    if (fallback) {
      fmt::print(stderr,
                 "icmpkit trace: no CAP_NET_RAW: using TCP connect() probes (the kernel picks the source "
                 "ports, so the Paris flow is not kept; a SYN may be retransmitted)\n");
    }
  }

  for (std::size_t i = 0; i < blocks.size(); ++i) {
    Block& b = blocks[i];
    const std::size_t ip_header = b.address.is_v4() ? 20 : 40;
    const std::size_t transport_header = f.tcp ? 20 : 8;
    std::size_t payload = packet_length == 0 ? std::size_t{32}  // traceroute: 60 (v4) and 80 (v6) bytes
                                             : (packet_length > ip_header + transport_header
                                                    ? packet_length - ip_header - transport_header
                                                    : 0);
    payload = f.tcp ? 0 : std::max(payload, engine::probe_min_payload);  // a SYN carries no data
    net::TraceOptions per = options;
    per.payload_size = payload;
    b.pending = format_trace_header(b.host, b.address, f.max_ttl, ip_header + transport_header + payload) + "\n";
    tracer.async_trace(
        b.address, per,
        [&, i](const engine::HopEvent& event) {
          blocks[i].pending += format_hop(event.hop, format, &blocks[i].last_mtu) + "\n";
          flush();
        },
        [&, i](std::error_code ec, engine::TraceResult result) {
          Block& done = blocks[i];
          done.done = true;
          if (ec) {
            done.error = ec.message();
            if (ec == make_error_code(errc::permission_denied)) {
              done.error += f.tcp ? " (TCP multipath / MTU probes need raw sockets: CAP_NET_RAW; plain -T falls back to connect())"
                                  : " (ICMP needs a ping socket: group in net.ipv4.ping_group_range, or CAP_NET_RAW "
                                    "for raw; -U works unprivileged)";
            }
          } else {
            done.result = std::move(result);
          }
          flush();
        });
  }
  context.run();

  bool any_error = false;
  nlohmann::json traces = nlohmann::json::array();
  for (auto& b : blocks) {
    if (!b.error.empty()) any_error = true;
    if (f.json) {
      if (b.result) {
        traces.push_back(trace_to_json(b.host, *b.result));
      } else {
        traces.push_back({{"host", b.host}, {"destination", b.address.to_string()}, {"error", b.error}});
        fmt::print(stderr, "icmpkit trace: {}: {}\n", b.host, b.error);
      }
    }
  }
  if (f.json) fmt::print("{}\n", nlohmann::json{{"traces", traces}}.dump(2));
  return any_error ? exit_usage : exit_ok;
}

}  // namespace

Command add_trace(CLI::App& parent) {
  auto* app = parent.add_subcommand("trace", "traceroute(8): print the route to one or more hosts");
  auto f = std::make_shared<TraceFlags>();
  app->add_option("HOSTS", f->hosts, "Destinations (a trailing number is traceroute's packet length)");
  app->add_option("--file", f->file, "Read destinations from a file, one per line ('-' = stdin)");
  app->add_flag("-I,--icmp", f->icmp, "Probe with ICMP echo requests");
  app->add_flag("-U,--udp", f->udp, "Probe with UDP datagrams to high ports (default)");
  app->add_flag("-T,--tcp", f->tcp, "Probe with TCP SYN (raw socket; without CAP_NET_RAW: TCP connect() probes)");
  app->add_flag("-P,--paris", f->paris, "Paris traceroute: keep the flow fields constant across probes");
  app->add_flag("--mda", f->mda, "Multipath detection algorithm: enumerate every interface per hop");
  app->add_flag("-4", f->v4, "IPv4 only");
  app->add_flag("-6", f->v6, "IPv6 only");
  app->add_option("-f,--first", f->first_ttl, "First TTL (default 1)");
  app->add_option("-m,--max-hops", f->max_ttl, "Maximum TTL (default 30)");
  app->add_option("-q,--queries", f->queries, "Probes per hop (default 3)");
  app->add_option("-N,--sim-queries", f->parallel, "Probes in flight at once per destination (default 16)");
  app->add_option("-w,--wait", f->wait, "MAX[,HERE[,NEAR]]: seconds to wait for an answer (default 5.0,3,10)");
  app->add_option("-p,--port", f->port, "UDP: base destination port (default 33434); TCP: destination port (default 80)");
  app->add_option("-s,--source", f->source, "Source address");
  app->add_option("-i,--interface", f->interface_name, "Send through this interface");
  app->add_option("-t,--tos", f->tos, "IPv4 TOS / IPv6 traffic class");
  app->add_flag("-n", f->numeric, "Print addresses numerically (no reverse DNS)");
  app->add_flag("-e,--extensions", f->extensions, "Show ICMP extensions (RFC 4950 MPLS labels)");
  app->add_flag("--mtu", f->mtu, "Discover the path MTU (probes with DF set, F=<mtu> where it changes)");
  app->add_flag("--json", f->json, "Print the results as JSON");
  app->add_option("--mode", f->mode, "ICMP socket: auto (ping socket, else raw), dgram or raw");
  return {app, [f] {
            TraceFlags flags = *f;
            std::size_t packet_length = 0;
            if (flags.hosts.size() >= 2 && all_digits(flags.hosts.back())) {
              packet_length = std::stoul(flags.hosts.back());
              flags.hosts.pop_back();
            }
            return run_trace(flags, packet_length);
          }};
}

}  // namespace icmpkit::tools
