// Microbenchmarks of the codec hot path a pinger runs per probe and per
// reply: encode an echo request, parse + decode an echo reply, and the
// internet checksum over typical message sizes (RFC 1071).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace {

using namespace icmpkit;

void BM_EncodeEchoV4(benchmark::State& state) {
  std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  std::vector<std::byte> out(8 + payload.size());
  std::uint16_t seq = 0;
  for (auto _ : state) {
    auto n = wire::encode_echo(wire::Family::v4, false, wire::EchoId(0x1234), wire::EchoSeq(seq++), payload, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_EncodeEchoV4)->Arg(0)->Arg(56)->Arg(1472);

void BM_EncodeEchoV6(benchmark::State& state) {
  std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  std::vector<std::byte> out(8 + payload.size());
  std::uint16_t seq = 0;
  for (auto _ : state) {
    auto n = wire::encode_echo(wire::Family::v6, false, wire::EchoId(0x1234), wire::EchoSeq(seq++), payload, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeEchoV6)->Arg(56);

void BM_ParseDecodeEchoReplyV4(benchmark::State& state) {
  std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  std::vector<std::byte> message(8 + payload.size());
  auto n = wire::encode_echo(wire::Family::v4, true, wire::EchoId(0x1234), wire::EchoSeq(7), payload, message);
  if (!n) {
    state.SkipWithError("encode_echo failed");
    return;
  }
  for (auto _ : state) {
    auto view = wire::parse_icmp(wire::Family::v4, message);
    if (!view) {
      state.SkipWithError("parse_icmp failed");
      break;
    }
    auto echo = wire::decode_echo(*view);
    benchmark::DoNotOptimize(echo);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseDecodeEchoReplyV4)->Arg(56);

void BM_VerifyChecksumV4(benchmark::State& state) {
  std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  std::vector<std::byte> message(8 + payload.size());
  (void)wire::encode_echo(wire::Family::v4, true, wire::EchoId(0x1234), wire::EchoSeq(7), payload, message);
  for (auto _ : state) {
    benchmark::DoNotOptimize(wire::verify_icmpv4_checksum(message));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(BM_VerifyChecksumV4)->Arg(56);

void BM_InternetChecksum(benchmark::State& state) {
  std::vector<std::byte> data(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 31 + 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(wire::internet_checksum(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_InternetChecksum)->Arg(20)->Arg(64)->Arg(1500)->Arg(9000)->Arg(65507);

}  // namespace

BENCHMARK_MAIN();
