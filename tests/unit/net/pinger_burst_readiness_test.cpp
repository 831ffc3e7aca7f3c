// While the Pinger sends and reads a burst, its socket is out of the
// reactor: registered in epoll, the kernel would wake the epoll entry for
// every datagram queued and every send completed (a few percent of a
// 65,536-target sweep). A burst can run whole inside one pump (stream
// targets refill from the events the pump delivers), so the pump must
// notice the burst while it runs, not only on its next call. Once the burst
// is over and a reply is awaited, the socket must be back in the reactor,
// or the reply would never be read.
//
// The test reads the kernel's own account: /proc/self/fdinfo of every epoll
// descriptor lists the descriptors registered in it. Runs in a private
// network namespace (loopback answers every 127.0.0.0/8 address).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "icmpkit/net/pinger.hpp"
#include "net_test_support.hpp"

using namespace std::chrono_literals;
namespace net = icmpkit::net;
namespace wire = icmpkit::wire;
namespace engine = icmpkit::engine;

namespace {

// Socket descriptors of this process that some epoll instance of this
// process has registered.
std::set<int> sockets_registered_in_epoll() {
  std::set<int> sockets;
  std::set<int> registered;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_error;
    const auto target = std::filesystem::read_symlink(entry.path(), link_error).string();
    if (link_error) continue;
    const int fd = std::stoi(entry.path().filename().string());
    if (target.rfind("socket:", 0) == 0) sockets.insert(fd);
    if (target == "anon_inode:[eventpoll]") {
      std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
      std::string word;
      while (info >> word) {
        int registered_fd = -1;
        if (word == "tfd:" && info >> registered_fd) registered.insert(registered_fd);
      }
    }
  }
  std::set<int> both;
  for (int fd : sockets) {
    if (registered.count(fd) != 0) both.insert(fd);
  }
  return both;
}

// Looks at the registrations once, at the `look_at`-th reply, from inside
// the Pinger's handlers (stream events come straight from the pump).
struct LookingStream final : net::PingStream {
  std::uint64_t look_at = 0;
  std::uint64_t replies = 0;
  std::uint64_t finished = 0;
  bool looked = false;
  std::set<int> registered_mid_burst;

  void on_probe(std::uint64_t, const engine::ProbeEvent& event) override {
    if (event.kind != engine::EventKind::outcome || !std::holds_alternative<engine::Reply>(event.outcome)) return;
    if (++replies == look_at) {
      looked = true;
      registered_mid_burst = sockets_registered_in_epoll();
    }
  }
  void on_finished(std::uint64_t, std::error_code, const engine::PingStatistics&, bool) override { ++finished; }
};

std::string describe(const std::set<int>& fds) {
  std::string out;
  for (int fd : fds) out += (out.empty() ? "" : ", ") + std::to_string(fd);
  return out;
}

TEST(PingerBurstReadiness, SocketLeavesTheReactorDuringABurstAndComesBackToWait) {
  ICMPKIT_RUN_IN_PRIVATE_NETNS([]() -> std::string {
    constexpr std::uint32_t targets = 5000;
    asio::io_context context;
    net::PingerOptions pinger_options;
    pinger_options.max_in_flight = net::PingerOptions::no_in_flight_cap;  // one burst, not a capped trickle
    net::Pinger pinger(context, pinger_options);
    net::PingOptions o;
    o.count = 1;
    o.timeout = 3s;
    LookingStream stream;
    stream.look_at = targets / 2;
    for (std::uint32_t i = 0; i < targets; ++i) {
      if (auto started = pinger.stream_ping(net::test::numbered_loopback(i), o, stream, i); !started) {
        return "stream_ping failed: " + started.error().message();
      }
    }
    context.run_for(10s);
    if (stream.finished != targets) {
      return std::to_string(stream.finished) + " of " + std::to_string(targets) + " targets finished";
    }
    if (!stream.looked) return "only " + std::to_string(stream.replies) + " replies: never looked";
    if (!stream.registered_mid_burst.empty()) {
      return "socket(s) " + describe(stream.registered_mid_burst) + " registered in epoll at reply " +
             std::to_string(stream.look_at) + " of the burst";
    }

    // Echo now goes unanswered: a probe waits, and must wait in the reactor.
    if (!net::test::write_sysctl("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1")) {
      return "could not set net.ipv4.icmp_echo_ignore_all in the private namespace";
    }
    context.restart();
    bool completed = false;
    pinger.async_ping(net::test::numbered_loopback(0), o, [&](std::error_code, net::PingResult) { completed = true; });
    context.run_for(200ms);
    if (completed) return "the unanswered probe completed within 200 ms";
    const auto registered_while_waiting = sockets_registered_in_epoll();
    pinger.cancel_all();
    context.run_for(1s);
    if (!completed) return "cancel_all did not complete the waiting probe";
    if (registered_while_waiting.empty()) return "no socket registered in epoll while a reply is awaited";
    return "";
  });
}

}  // namespace
