// The "speed of light" for ICMP echo on this machine: the least a pinger can
// possibly do (build echo requests, sendmmsg them to distinct loopback targets
// 127.0.0.1 + i, recvmmsg the replies, count them) with no engine, no event
// loop and no allocation per probe. Every real tool (icmpkit sweep, fping,
// oping) is compared against this number by bench/run_bench.py.
//
// Raw sockets need CAP_NET_RAW; ping sockets (--mode dgram) need the caller's
// group inside net.ipv4.ping_group_range (the driver opens it in a private
// network namespace). Only 127.0.0.0/8 is ever addressed.
//
// Deliberately self-contained (plain POSIX/Linux calls, its own checksum) so
// that it measures the kernel, not icmpkit.
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_batch = 64;
constexpr std::size_t payload_size = 56;  // as ping, fping and oping send by default
constexpr std::size_t packet_size = 8 + payload_size;
constexpr std::uint32_t magic = 0x1c3b7e57;
constexpr std::uint32_t loopback_base = 0x7f000001;  // 127.0.0.1
constexpr std::uint32_t loopback_last = 0x7ffffffe;  // 127.255.255.254 (.255.255.255 is broadcast)

struct Options {
  bool dgram = false;
  std::uint64_t targets = 1024;
  std::uint64_t count = 1;  // probes per target (rounds)
  double rate = 0;          // probes per second over all targets; 0 = as fast as possible
  std::uint64_t window = 4096;
  std::size_t send_batch = max_batch;  // probes per sendmmsg call (1: one call per probe, as sendto)
  double linger = 1.0;        // seconds to wait for replies after the last send
  double max_seconds = 120;   // hard bound on the whole run
  int rcvbuf = 32 << 20;
  bool json = false;
  // Ask for kernel receive timestamps (SO_TIMESTAMPNS) and read them, as any
  // pinger that measures RTTs from them must: the loop then shows what that
  // costs the kernel (every packet through netif_rx is stamped once any
  // socket asks) apart from what a pinger's own code costs.
  bool timestamps = false;
};

[[noreturn]] void usage(const char* argv0, const char* why) {
  std::fprintf(stderr,
               "%s: %s\n"
               "usage: %s [--mode raw|dgram] [--targets N] [--count K] [--rate PPS]\n"
               "          [--window W] [--linger S] [--max-seconds S] [--rcvbuf BYTES] [--batch 1..64]\n"
               "          [--timestamps] [--json]\n"
               "Sends K rounds of echo requests to N loopback targets 127.0.0.1+i and counts replies.\n",
               argv0, why, argv0);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(argv[0], "missing value");
      return argv[++i];
    };
    if (a == "--mode") {
      std::string_view m = value();
      if (m == "raw") o.dgram = false;
      else if (m == "dgram") o.dgram = true;
      else usage(argv[0], "mode must be raw or dgram");
    } else if (a == "--targets") o.targets = std::strtoull(value(), nullptr, 10);
    else if (a == "--count") o.count = std::strtoull(value(), nullptr, 10);
    else if (a == "--rate") o.rate = std::strtod(value(), nullptr);
    else if (a == "--window") o.window = std::strtoull(value(), nullptr, 10);
    else if (a == "--linger") o.linger = std::strtod(value(), nullptr);
    else if (a == "--max-seconds") o.max_seconds = std::strtod(value(), nullptr);
    else if (a == "--rcvbuf") o.rcvbuf = std::atoi(value());
    else if (a == "--batch") o.send_batch = std::strtoull(value(), nullptr, 10);
    else if (a == "--json") o.json = true;
    else if (a == "--timestamps") o.timestamps = true;
    else usage(argv[0], "unknown option");
  }
  if (o.targets == 0 || o.targets > loopback_last - loopback_base + 1) usage(argv[0], "targets out of range");
  if (o.count == 0 || o.window == 0) usage(argv[0], "count and window must be > 0");
  if (o.send_batch == 0 || o.send_batch > max_batch) usage(argv[0], "batch must be 1..64");
  if (o.targets * o.count > (std::uint64_t{1} << 32)) usage(argv[0], "targets*count too large");
  return o;
}

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void set_buffer(int fd, int option_force, int option, int bytes) {
  // SO_*BUFFORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN.
  if (setsockopt(fd, SOL_SOCKET, option_force, &bytes, sizeof bytes) != 0)
    (void)setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const int fd = socket(AF_INET, (o.dgram ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (fd < 0) {
    std::fprintf(stderr, "speed_of_light: socket(%s): %s\n", o.dgram ? "SOCK_DGRAM" : "SOCK_RAW",
                 std::strerror(errno));
    return 77;  // "cannot run here", not a failure of the benchmark
  }
  set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, o.rcvbuf);
  set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, o.rcvbuf);
  if (!o.dgram) {
    // A raw socket sees every ICMP message of the host, our own requests
    // included (they arrive on lo): let only echo replies through.
    icmp_filter filter{~(1U << ICMP_ECHOREPLY)};
    (void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  }
  if (o.timestamps) {
    const int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
      std::fprintf(stderr, "speed_of_light: SO_TIMESTAMPNS: %s\n", std::strerror(errno));
      return 1;
    }
  }
  const auto id = static_cast<std::uint16_t>(getpid() ^ 0x5a5a);

  const std::uint64_t total = o.targets * o.count;
  std::vector<std::uint64_t> seen((total + 63) / 64, 0);

  // Send-side buffers: one batch of prepared messages, rebuilt per call.
  std::array<std::array<std::uint8_t, packet_size>, max_batch> out{};
  std::array<sockaddr_in, max_batch> dst{};
  std::array<iovec, max_batch> out_iov{};
  std::array<mmsghdr, max_batch> out_msg{};
  // Receive side: room for an IPv4 header with options in front on raw sockets.
  std::array<std::array<std::uint8_t, 256>, max_batch> in{};
  std::array<sockaddr_in, max_batch> src{};
  std::array<iovec, max_batch> in_iov{};
  std::array<mmsghdr, max_batch> in_msg{};
  // Room for one SO_TIMESTAMPNS control message per datagram.
  std::array<std::array<std::byte, CMSG_SPACE(sizeof(timespec))>, max_batch> in_control{};
  std::uint64_t stamped = 0;  // replies that came with a kernel timestamp

  std::uint64_t sent = 0, replies = 0, duplicates = 0, foreign = 0, send_errors = 0;
  std::uint64_t send_calls = 0, recv_calls = 0;
  // Probes given up for lost so that a full window cannot stall the run.
  std::uint64_t abandoned = 0;
  const auto start = Clock::now();
  const auto hard_deadline = start + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(o.max_seconds));
  auto last_send = start;
  auto last_reply = start;
  bool timed_out = false;

  auto drain = [&] {
    for (;;) {
      for (std::size_t i = 0; i < max_batch; ++i) {
        in_iov[i] = {in[i].data(), in[i].size()};
        in_msg[i].msg_hdr = {};
        in_msg[i].msg_hdr.msg_name = &src[i];
        in_msg[i].msg_hdr.msg_namelen = sizeof src[i];
        in_msg[i].msg_hdr.msg_iov = &in_iov[i];
        in_msg[i].msg_hdr.msg_iovlen = 1;
        if (o.timestamps) {
          in_msg[i].msg_hdr.msg_control = in_control[i].data();
          in_msg[i].msg_hdr.msg_controllen = in_control[i].size();
        }
      }
      const int n = recvmmsg(fd, in_msg.data(), max_batch, MSG_DONTWAIT, nullptr);
      ++recv_calls;
      if (n <= 0) return;
      last_reply = Clock::now();
      for (int i = 0; i < n; ++i) {
        if (o.timestamps) {
          for (cmsghdr* c = CMSG_FIRSTHDR(&in_msg[i].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&in_msg[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) ++stamped;
          }
        }
        const std::uint8_t* p = in[i].data();
        std::size_t len = in_msg[i].msg_len;
        if (!o.dgram) {
          if (len < 20) { ++foreign; continue; }
          const std::size_t ihl = (p[0] & 0x0f) * 4U;
          if (ihl < 20 || len < ihl) { ++foreign; continue; }
          p += ihl;
          len -= ihl;
        }
        if (len < packet_size || p[0] != ICMP_ECHOREPLY) { ++foreign; continue; }
        if (!o.dgram && (p[4] << 8 | p[5]) != id) { ++foreign; continue; }
        std::uint32_t m, index;
        std::memcpy(&m, p + 8, 4);
        std::memcpy(&index, p + 12, 4);
        const std::uint64_t target = ntohl(src[i].sin_addr.s_addr) - std::uint64_t{loopback_base};
        if (m != magic || index >= total || index % o.targets != target) { ++foreign; continue; }
        std::uint64_t& word = seen[index / 64];
        const std::uint64_t bit = std::uint64_t{1} << (index % 64);
        if (word & bit) { ++duplicates; continue; }
        word |= bit;
        ++replies;
      }
      if (static_cast<std::size_t>(n) < max_batch) return;
    }
  };

  while (true) {
    const auto now = Clock::now();
    if (now >= hard_deadline) { timed_out = true; break; }
    if (sent >= total) {
      if (replies >= total) break;
      const auto linger_end = std::max(last_send, last_reply) +
                              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.linger));
      if (now >= linger_end) break;
    }
    std::uint64_t allowed = total - sent;
    if (o.rate > 0) {
      const auto budget = static_cast<std::uint64_t>(seconds(now - start) * o.rate) + 1;
      allowed = std::min(allowed, budget > sent ? budget - sent : 0);
    }
    std::uint64_t in_flight = sent > replies + abandoned ? sent - replies - abandoned : 0;
    if (in_flight >= o.window &&
        now - std::max(last_send, last_reply) >
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.linger))) {
      abandoned += in_flight;
      in_flight = 0;
    }
    allowed = std::min(allowed, o.window > in_flight ? o.window - in_flight : 0);
    allowed = std::min<std::uint64_t>(allowed, o.send_batch);
    if (allowed > 0) {
      for (std::size_t i = 0; i < allowed; ++i) {
        const auto index = static_cast<std::uint32_t>(sent + i);
        const std::uint32_t target = index % static_cast<std::uint32_t>(o.targets);
        std::uint8_t* p = out[i].data();
        p[0] = ICMP_ECHO;
        p[1] = 0;
        p[2] = p[3] = 0;
        p[4] = static_cast<std::uint8_t>(id >> 8);
        p[5] = static_cast<std::uint8_t>(id);
        p[6] = static_cast<std::uint8_t>(index >> 8);
        p[7] = static_cast<std::uint8_t>(index);
        std::memcpy(p + 8, &magic, 4);
        std::memcpy(p + 12, &index, 4);
        if (!o.dgram) {  // a ping socket computes the checksum itself
          const std::uint16_t c = checksum(p, packet_size);
          p[2] = static_cast<std::uint8_t>(c >> 8);
          p[3] = static_cast<std::uint8_t>(c);
        }
        dst[i] = {};
        dst[i].sin_family = AF_INET;
        dst[i].sin_addr.s_addr = htonl(loopback_base + target);
        out_iov[i] = {p, packet_size};
        out_msg[i].msg_hdr = {};
        out_msg[i].msg_hdr.msg_name = &dst[i];
        out_msg[i].msg_hdr.msg_namelen = sizeof dst[i];
        out_msg[i].msg_hdr.msg_iov = &out_iov[i];
        out_msg[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = sendmmsg(fd, out_msg.data(), static_cast<unsigned>(allowed), MSG_DONTWAIT);
      ++send_calls;
      if (n > 0) {
        sent += static_cast<std::uint64_t>(n);
        last_send = Clock::now();
      } else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
        // Count it, skip the probe: a pinger does not stop for one failed send.
        ++send_errors;
        ++sent;
      }
    }
    drain();
    if (allowed == 0 || sent >= total) {
      // Nothing to send right now: sleep until a reply or the next send slot.
      // Paced runs wake once per batch worth of budget (at most every 10 ms),
      // not per probe: waking per probe would measure the scheduler.
      double wait = 0.010;
      if (sent < total && o.rate > 0) wait = std::clamp(static_cast<double>(o.send_batch) / o.rate, 0.0005, 0.010);
      else if (sent < total) wait = 0.001;
      const timespec ts{0, static_cast<long>(wait * 1e9)};
      pollfd pfd{fd, POLLIN, 0};
      (void)ppoll(&pfd, 1, &ts, nullptr);
    }
  }
  const auto end = Clock::now();
  close(fd);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double user = static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  const double sys = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  // The interesting wall time excludes the final linger when every reply came.
  const double active = seconds((replies >= total ? std::max(last_send, last_reply) : end) - start);
  const double wall = seconds(end - start);
  const double pps = active > 0 ? static_cast<double>(sent) / active : 0;

  if (o.json) {
    std::printf(
        "{\"tool\":\"speed_of_light\",\"mode\":\"%s\",\"targets\":%llu,\"count\":%llu,\"sent\":%llu,"
        "\"replies\":%llu,\"duplicates\":%llu,\"foreign\":%llu,\"send_errors\":%llu,\"send_calls\":%llu,"
        "\"recv_calls\":%llu,\"timestamped\":%llu,\"active_seconds\":%.6f,\"wall_seconds\":%.6f,\"packets_per_second\":%.1f,"
        "\"user_seconds\":%.6f,\"sys_seconds\":%.6f,\"max_rss_kb\":%ld,\"timed_out\":%s}\n",
        o.dgram ? "dgram" : "raw", static_cast<unsigned long long>(o.targets),
        static_cast<unsigned long long>(o.count), static_cast<unsigned long long>(sent),
        static_cast<unsigned long long>(replies), static_cast<unsigned long long>(duplicates),
        static_cast<unsigned long long>(foreign), static_cast<unsigned long long>(send_errors),
        static_cast<unsigned long long>(send_calls), static_cast<unsigned long long>(recv_calls),
        static_cast<unsigned long long>(stamped), active, wall,
        pps, user, sys, usage.ru_maxrss, timed_out ? "true" : "false");
  } else {
    std::printf("speed_of_light (%s): %llu targets x %llu: sent %llu, replies %llu (dup %llu, foreign %llu, "
                "send errors %llu)\n"
                "  active %.3f s (wall %.3f s), %.0f probes/s, cpu user %.3f s sys %.3f s, max rss %ld KiB%s\n",
                o.dgram ? "dgram" : "raw", static_cast<unsigned long long>(o.targets),
                static_cast<unsigned long long>(o.count), static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(replies), static_cast<unsigned long long>(duplicates),
                static_cast<unsigned long long>(foreign), static_cast<unsigned long long>(send_errors), active,
                wall, pps, user, sys, usage.ru_maxrss, timed_out ? " (TIMED OUT)" : "");
  }
  return timed_out ? 3 : 0;
}
