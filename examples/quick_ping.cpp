// quick_ping: the README's library example — three echo requests, synchronously.
#include <icmpkit/net/ping.hpp>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) try {
  icmpkit::net::PingOptions options;  // 56 data bytes, 1 s apart, 1 s timeout
  options.count = 3;
  const auto result = icmpkit::ping(argc > 1 ? argv[1] : "127.0.0.1", options);
  const auto& stats = result.statistics;
  std::printf("%s: %llu sent, %llu received, avg %.3f ms\n", result.address.to_string().c_str(),
              static_cast<unsigned long long>(stats.sent), static_cast<unsigned long long>(stats.received),
              std::chrono::duration<double, std::milli>(stats.rtt.avg).count());
  return result.any_reply() ? 0 : 1;
} catch (const std::system_error& error) {  // bad host, no permission (see `icmpkit doctor`)
  std::fprintf(stderr, "quick_ping: %s\n", error.what());
  return 2;
}
