// ping_once: send one ICMP echo request and await the reply with a coroutine.
//
//   ping_once [address] [timeout-ms]      (default 127.0.0.1, 1000 ms)
//
// Opens a ping socket where the kernel allows it (no privileges needed when
// your group is in net.ipv4.ping_group_range), a raw socket otherwise, and
// prints the reply's type/code/id/seq/TTL, the round-trip time and which kind
// of socket was used. An ICMP error about the probe (e.g. destination
// unreachable) arrives through the same receive and is printed instead.
#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "icmpkit/net/icmp_socket.hpp"
#include "icmpkit/sys/receive.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
namespace wire = icmpkit::wire;
namespace net = icmpkit::net;

const char* kind_name(icmpkit::sys::SocketKind kind) {
  return kind == icmpkit::sys::SocketKind::dgram ? "dgram (ping socket)" : "raw";
}

asio::awaitable<int> ping_once(net::icmp_socket& socket, wire::IpAddress destination,
                               std::chrono::milliseconds timeout) {
  // The payload doubles as a cookie: a reply must echo it (a ping socket's
  // kernel rewrites the identifier, so id alone proves nothing).
  std::array<std::byte, 32> payload{};
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>('A' + i % 26);
  const wire::EchoSeq seq(1);
  std::array<std::byte, 64> request{};
  auto size = wire::encode_echo(destination.family(), false, wire::EchoId(static_cast<std::uint16_t>(getpid())),
                                seq, payload, request);
  if (!size) co_return 1;

  const auto sent_at = std::chrono::steady_clock::now();
  co_await socket.async_send_to(icmpkit::ConstBytes(request).first(*size), destination, asio::use_awaitable);

  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  std::vector<std::byte> buffer(icmpkit::sys::max_datagram_size);
  for (;;) {
    // Whichever finishes first cancels the other (through its cancellation slot).
    auto next = co_await (socket.async_receive(buffer, asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
    if (next.index() == 1) {
      std::printf("no reply from %s within %lld ms (socket %s)\n", destination.to_string().c_str(),
                  static_cast<long long>(timeout.count()), kind_name(socket.kind()));
      co_return 1;
    }
    const auto& received = std::get<0>(next);
    if (const auto* message = net::as_message(received)) {
      auto echo = wire::decode_echo(message->icmp);
      if (!echo || !echo->is_reply || echo->seq != seq ||
          !std::equal(echo->data.begin(), echo->data.end(), payload.begin(), payload.end()))
        continue;  // a raw socket sees every echo reply on the host
      const auto rtt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent_at);
      const std::string ttl = message->datagram.ttl ? std::to_string(message->datagram.ttl->value()) : "?";
      std::printf("reply from %s: type=%u (%.*s) code=%u id=%u seq=%u ttl=%s rtt=%.3f ms socket=%s\n",
                  message->datagram.source.to_string().c_str(), message->icmp.type,
                  static_cast<int>(wire::type_name(message->icmp.family, message->icmp.type).size()),
                  wire::type_name(message->icmp.family, message->icmp.type).data(), message->icmp.code,
                  echo->id.value(), echo->seq.value(), ttl.c_str(), rtt.count(), kind_name(socket.kind()));
      co_return 0;
    }
    if (const auto* error = net::as_error(received)) {
      const auto& record = error->record;
      const auto family = record.origin == icmpkit::sys::ErrorOrigin::icmp6 ? wire::Family::v6 : wire::Family::v4;
      const auto name = wire::type_name(family, record.icmp_type);
      std::printf("error from %s: type=%u (%.*s) code=%u mtu=%u socket=%s\n", record.offender.to_string().c_str(),
                  record.icmp_type, static_cast<int>(name.size()), name.data(), record.icmp_code, record.info,
                  kind_name(socket.kind()));
      co_return 1;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* target = argc > 1 ? argv[1] : "127.0.0.1";
  const auto timeout = std::chrono::milliseconds(argc > 2 ? std::atol(argv[2]) : 1000);
  auto destination = wire::IpAddress::parse(target);
  if (!destination || timeout.count() <= 0) {
    std::fprintf(stderr, "usage: ping_once [address] [timeout-ms]\n");
    return 2;
  }

  asio::io_context context;
  net::icmp_socket socket(context);
  std::error_code ec;
  socket.open(destination->family(), {}, ec);
  if (ec) {
    std::fprintf(stderr, "cannot open an ICMP socket: %s\n", ec.message().c_str());
    return 1;
  }

  int status = 1;
  asio::co_spawn(context, ping_once(socket, *destination, timeout), [&](std::exception_ptr e, int result) {
    status = result;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "ping failed: %s\n", x.what());
      status = 1;
    }
  });
  context.run();
  return status;
}
