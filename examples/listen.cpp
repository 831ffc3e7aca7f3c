// listen: receive and decode ICMP messages, one line each.
//
//   listen [v4|v6] [count] [seconds]      (default v4, 10 messages, 10 s)
//
// Opens a raw socket without the kernel filter (needs CAP_NET_RAW) so every
// ICMP message reaching this host is seen; without privileges it falls back
// to a ping socket, which only sees replies to its own requests and the
// error-queue records of its own probes. Bounded by a count and a time.
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace {

namespace wire = icmpkit::wire;
namespace net = icmpkit::net;
namespace sys = icmpkit::sys;

std::string describe(wire::Family family, std::uint8_t type) {
  const auto name = wire::type_name(family, type);
  return name.empty() ? "unassigned" : std::string(name);
}

void print(const net::Received& received) {
  if (const auto* message = net::as_message(received)) {
    const auto& icmp = message->icmp;
    const auto& datagram = message->datagram;
    std::string line = datagram.source.to_string();
    if (datagram.destination) line += " -> " + datagram.destination->to_string();
    if (datagram.interface_index != 0) line += " if=" + std::to_string(datagram.interface_index);
    if (datagram.ttl) line += " ttl=" + std::to_string(datagram.ttl->value());
    line += " type=" + std::to_string(icmp.type) + " (" + describe(icmp.family, icmp.type) + ")";
    line += " code=" + std::to_string(icmp.code) + " len=" + std::to_string(icmp.bytes.size());
    if (auto echo = wire::decode_echo(icmp))
      line += " id=" + std::to_string(echo->id.value()) + " seq=" + std::to_string(echo->seq.value());
    if (datagram.truncated) line += " (truncated)";
    std::printf("%s\n", line.c_str());
    return;
  }
  const auto& record = net::as_error(received)->record;
  const auto family = record.origin == sys::ErrorOrigin::icmp6 ? wire::Family::v6 : wire::Family::v4;
  std::printf("error-queue: offender=%s about %s type=%u (%s) code=%u info=%u errno=%d\n",
              record.offender.to_string().c_str(), record.original_destination.to_string().c_str(),
              record.icmp_type, describe(family, record.icmp_type).c_str(), record.icmp_code, record.info,
              record.error_number);
}

asio::awaitable<void> listen(net::icmp_socket& socket, long count) {
  std::vector<std::byte> buffer(sys::max_datagram_size);
  for (long i = 0; i < count; ++i) {
    auto [ec, received] = co_await socket.async_receive(buffer, asio::experimental::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;  // time is up
    if (ec) {
      std::fprintf(stderr, "receive: %s\n", ec.message().c_str());
      co_return;
    }
    print(received);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view family_text = argc > 1 ? argv[1] : "v4";
  const long count = argc > 2 ? std::atol(argv[2]) : 10;
  const long seconds = argc > 3 ? std::atol(argv[3]) : 10;
  if ((family_text != "v4" && family_text != "v6") || count <= 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: listen [v4|v6] [count] [seconds]\n");
    return 2;
  }
  const auto family = family_text == "v4" ? wire::Family::v4 : wire::Family::v6;

  asio::io_context context;
  net::icmp_socket socket(context);
  sys::OpenOptions options;
  options.mode = sys::SocketMode::raw;
  options.install_kernel_filter = false;  // see everything, not only replies and errors
  std::error_code ec;
  socket.open(family, options, ec);
  if (ec) {
    std::fprintf(stderr, "raw socket refused (%s); using a ping socket: only its own replies and errors\n",
                 ec.message().c_str());
    socket.open(family, sys::OpenOptions{}, ec);
    if (ec) {
      std::fprintf(stderr, "cannot open an ICMP socket: %s\n", ec.message().c_str());
      return 1;
    }
  }

  asio::steady_timer deadline(context, std::chrono::seconds(seconds));
  deadline.async_wait([&](std::error_code wait_error) {
    if (!wait_error) socket.cancel();
  });
  asio::co_spawn(context, listen(socket, count), [&](std::exception_ptr) { deadline.cancel(); });
  context.run();
  return 0;
}
