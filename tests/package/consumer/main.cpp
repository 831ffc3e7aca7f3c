// A consumer of the installed (or embedded) icmpkit: encodes an echo request
// with the wire codec and checks the checksum verifies.
#include <icmpkit/wire/icmp.hpp>

#include <array>
#include <cstdio>

int main() {
  using namespace icmpkit::wire;
  std::array<std::byte, 64> buffer{};
  const std::array<std::byte, 4> payload{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  auto length = encode_echo(Family::v4, false, EchoId(1), EchoSeq(2), payload, buffer);
  if (!length || !verify_icmpv4_checksum(std::span(buffer).first(*length))) {
    std::puts("consumer: encode failed");
    return 1;
  }
  std::printf("consumer: %zu-byte echo request encoded\n", *length);
  return 0;
}
