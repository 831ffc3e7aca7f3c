// The raw IPv4 reply filter, run by the test interpreter over captured
// packets (and variants of them). The same program is attached to a real
// socket in real_socket_test.cpp.
#include <gtest/gtest.h>

#include <vector>

#include "captures.hpp"
#include "icmpkit/sys/bpf.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit {
namespace {

using test_captures::bytes;

std::vector<std::byte> copy(std::span<const std::byte> in) { return {in.begin(), in.end()}; }

std::uint16_t captured_reply_id() {
  return wire::detail::load_be16(bytes(test_captures::lo_v4_echo_reply), 24);
}

TEST(BpfFilter, PassesCapturedEchoReply) {
  const auto program = sys::icmpv4_reply_filter();
  EXPECT_NE(sys::run_bpf(program.view(), bytes(test_captures::lo_v4_echo_reply)), 0u);
}

TEST(BpfFilter, DropsCapturedEchoRequest) {
  const auto program = sys::icmpv4_reply_filter();
  EXPECT_EQ(sys::run_bpf(program.view(), bytes(test_captures::lo_v4_echo_request)), 0u);
  EXPECT_EQ(sys::run_bpf(program.view(), bytes(test_captures::veth_v4_echo_request)), 0u);
}

TEST(BpfFilter, PassesCapturedHostUnreachable) {
  const auto program = sys::icmpv4_reply_filter();
  EXPECT_NE(sys::run_bpf(program.view(), bytes(test_captures::veth_v4_host_unreachable)), 0u);
  // With an identifier the error still passes: its quote is matched in user space.
  const auto with_id = sys::icmpv4_reply_filter(wire::EchoId(1));
  EXPECT_NE(sys::run_bpf(with_id.view(), bytes(test_captures::veth_v4_host_unreachable)), 0u);
}

TEST(BpfFilter, TypeDecidesForEveryType) {
  const auto program = sys::icmpv4_reply_filter();
  auto packet = copy(bytes(test_captures::lo_v4_echo_reply));
  for (int type = 0; type < 256; ++type) {
    packet[20] = static_cast<std::byte>(type);
    const bool should_pass = type == 0 || type == 3 || type == 4 || type == 5 || type == 11 || type == 12 ||
                             type == 43;
    EXPECT_EQ(sys::run_bpf(program.view(), packet) != 0, should_pass) << "type " << type;
  }
}

// The ICMP_FILTER mask is tested by the kernel before the program; it must
// block exactly the types below 32 that the program drops, or a reply type
// would be lost before the program could pass it.
TEST(BpfFilter, TypeMaskBlocksWhatTheProgramDrops) {
  const auto program = sys::icmpv4_reply_filter();
  const std::uint32_t blocked = sys::icmpv4_blocked_types_mask();
  auto packet = copy(bytes(test_captures::lo_v4_echo_reply));
  for (int type = 0; type < 32; ++type) {
    packet[20] = static_cast<std::byte>(type);
    const bool program_drops = sys::run_bpf(program.view(), packet) == 0;
    EXPECT_EQ((blocked >> type & 1u) != 0, program_drops) << "type " << type;
  }
  EXPECT_NE(blocked >> 8 & 1u, 0u) << "echo requests (our own, looped back on lo) must be blocked";
}

TEST(BpfFilter, IdentifierFilterKeepsOnlyOurReplies) {
  const std::uint16_t id = captured_reply_id();
  const auto ours = sys::icmpv4_reply_filter(wire::EchoId(id));
  const auto other = sys::icmpv4_reply_filter(wire::EchoId(static_cast<std::uint16_t>(id + 1)));
  EXPECT_NE(sys::run_bpf(ours.view(), bytes(test_captures::lo_v4_echo_reply)), 0u);
  EXPECT_EQ(sys::run_bpf(other.view(), bytes(test_captures::lo_v4_echo_reply)), 0u);
}

TEST(BpfFilter, HonoursIpOptionsLength) {
  // Same reply with 4 bytes of IP options (NOP NOP NOP EOL): IHL 6.
  const auto original = bytes(test_captures::lo_v4_echo_reply);
  std::vector<std::byte> packet(original.begin(), original.begin() + 20);
  packet[0] = std::byte{0x46};
  for (std::byte b : {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}}) packet.push_back(b);
  packet.insert(packet.end(), original.begin() + 20, original.end());
  const std::uint16_t id = captured_reply_id();
  EXPECT_NE(sys::run_bpf(sys::icmpv4_reply_filter(wire::EchoId(id)).view(), packet), 0u);
  // Under IHL 5 the filter would read the options as the ICMP type (1): dropped.
  packet[0] = std::byte{0x45};
  EXPECT_EQ(sys::run_bpf(sys::icmpv4_reply_filter().view(), packet), 0u);
}

TEST(BpfFilter, DropsNonFirstFragmentsAndShortPackets) {
  auto packet = copy(bytes(test_captures::lo_v4_echo_reply));
  packet[6] = std::byte{0x00};
  packet[7] = std::byte{0xb9};  // fragment offset 185
  EXPECT_EQ(sys::run_bpf(sys::icmpv4_reply_filter().view(), packet), 0u);
  const auto reply = bytes(test_captures::lo_v4_echo_reply);
  EXPECT_EQ(sys::run_bpf(sys::icmpv4_reply_filter().view(), reply.first(20)), 0u);
  // Identifier beyond the end: the kernel drops on an out-of-range load.
  EXPECT_EQ(sys::run_bpf(sys::icmpv4_reply_filter(wire::EchoId(1)).view(), reply.first(23)), 0u);
}

TEST(BpfFilter, ProgramsFitAndEndInReturn) {
  for (const auto& program : {sys::icmpv4_reply_filter(), sys::icmpv4_reply_filter(wire::EchoId(7))}) {
    ASSERT_GT(program.size, 0u);
    ASSERT_LE(program.size, sys::bpf_max_instructions);
    EXPECT_EQ(program.instructions[program.size - 1].code & 0x07, 0x06);
    for (std::size_t i = 0; i < program.size; ++i) {
      const auto& insn = program.instructions[i];
      if ((insn.code & 0x07) == 0x05) {  // jumps stay inside the program
        EXPECT_LT(i + 1 + insn.jt, program.size);
        EXPECT_LT(i + 1 + insn.jf, program.size);
      }
    }
  }
}

}  // namespace
}  // namespace icmpkit
