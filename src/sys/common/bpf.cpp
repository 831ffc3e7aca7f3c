// The classic BPF reply filter for raw IPv4 ICMP sockets and a small
// interpreter to test it without a socket. Opcode values are those of
// <linux/filter.h> / <net/bpf.h> (identical on Linux and the BSDs).
#include "icmpkit/sys/bpf.hpp"

#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::sys {
namespace {

// Instruction classes, sizes, modes and operations of classic BPF.
constexpr std::uint16_t ld = 0x00, ldx = 0x01, alu = 0x04, jmp = 0x05, ret = 0x06;
constexpr std::uint16_t size_w = 0x00, size_h = 0x08, size_b = 0x10;
constexpr std::uint16_t mode_imm = 0x00, mode_abs = 0x20, mode_ind = 0x40, mode_msh = 0xa0;
constexpr std::uint16_t op_ja = 0x00, op_jeq = 0x10, op_jgt = 0x20, op_jge = 0x30, op_jset = 0x40;
constexpr std::uint16_t op_and = 0x50;
constexpr std::uint16_t src_k = 0x00, src_x = 0x08;
constexpr std::uint16_t ret_a = 0x10;

constexpr std::uint32_t keep_all = 0xFFFFFFFFu;

// Types that pass besides the echo reply: the ICMP errors an echo probe can
// cause (RFC 792, RFC 1812) and the RFC 8335 extended echo reply.
constexpr std::uint8_t passing_types[] = {
    wire::icmpv4_type::destination_unreachable, wire::icmpv4_type::source_quench,
    wire::icmpv4_type::redirect,                wire::icmpv4_type::time_exceeded,
    wire::icmpv4_type::parameter_problem,       wire::icmpv4_type::extended_echo_reply,
};

}  // namespace

BpfProgram icmpv4_reply_filter(std::optional<wire::EchoId> only_id) noexcept {
  // Layout (indices fixed so jumps, which only go forward, are constants):
  //  0  ldh [6]                 flags + fragment offset
  //  1  jset #0x1fff -> drop    non-first fragments carry no ICMP header
  //  2  ldx 4*([0]&0xf)         IPv4 header length
  //  3  ldb [x+0]               ICMP type
  //  4  jeq #0 -> echo          echo reply
  //  5..10 jeq #t -> pass       error types
  //  11 drop: ret #0
  //  12 echo (no id check: this is "pass") / ldh [x+4] identifier
  //  13 jeq #id -> pass         14 ret #0     15 pass: ret #-1
  BpfProgram program;
  auto& code = program.instructions;
  std::size_t n = 0;
  const std::size_t drop = 11;
  const std::size_t pass = only_id ? 15 : 12;
  const std::size_t echo = 12;
  auto jump_to = [&](std::size_t target) { return static_cast<std::uint8_t>(target - (n + 1)); };

  code[n] = {ld | size_h | mode_abs, 0, 0, 6}; ++n;
  code[n] = {jmp | op_jset | src_k, jump_to(drop), 0, 0x1fff}; ++n;
  code[n] = {ldx | size_b | mode_msh, 0, 0, 0}; ++n;
  code[n] = {ld | size_b | mode_ind, 0, 0, 0}; ++n;
  code[n] = {jmp | op_jeq | src_k, jump_to(echo), 0, wire::icmpv4_type::echo_reply}; ++n;
  for (const std::uint8_t type : passing_types) {
    code[n] = {jmp | op_jeq | src_k, jump_to(pass), 0, type}; ++n;
  }
  code[n] = {ret, 0, 0, 0}; ++n;  // drop
  if (only_id) {
    code[n] = {ld | size_h | mode_ind, 0, 0, 4}; ++n;
    code[n] = {jmp | op_jeq | src_k, jump_to(pass), 0, only_id->value()}; ++n;
    code[n] = {ret, 0, 0, 0}; ++n;
  }
  code[n] = {ret, 0, 0, keep_all}; ++n;
  program.size = n;
  return program;
}

std::uint32_t icmpv4_blocked_types_mask() noexcept {
  std::uint32_t passing = 1u << wire::icmpv4_type::echo_reply;
  for (const std::uint8_t type : passing_types) {
    if (type < 32) passing |= 1u << type;
  }
  return ~passing;
}

std::uint32_t run_bpf(std::span<const BpfInstruction> program, ConstBytes packet) noexcept {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  auto load = [&](std::uint64_t offset, std::uint16_t size, bool& ok) -> std::uint32_t {
    const std::uint64_t width = size == size_w ? 4 : size == size_h ? 2 : 1;
    if (offset + width > packet.size()) {
      ok = false;
      return 0;
    }
    const auto at = packet.subspan(static_cast<std::size_t>(offset));
    if (width == 4) return wire::detail::load_be32(at, 0);
    if (width == 2) return wire::detail::load_be16(at, 0);
    return std::to_integer<std::uint32_t>(at[0]);
  };
  // Classic BPF only jumps forward, so the loop ends within program.size() steps.
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const BpfInstruction& insn = program[pc];
    const std::uint16_t cls = insn.code & 0x07;
    bool ok = true;
    switch (cls) {
      case ld: {
        const std::uint16_t mode = insn.code & 0xe0;
        const std::uint16_t size = insn.code & 0x18;
        if (mode == mode_abs) a = load(insn.k, size, ok);
        else if (mode == mode_ind) a = load(std::uint64_t{x} + insn.k, size, ok);
        else if (mode == mode_imm) a = insn.k;
        else return 0;
        if (!ok) return 0;
        break;
      }
      case ldx: {
        const std::uint16_t mode = insn.code & 0xe0;
        if (mode == mode_msh) {
          x = 4 * (load(insn.k, size_b, ok) & 0x0f);
          if (!ok) return 0;
        } else if (mode == mode_imm) {
          x = insn.k;
        } else {
          return 0;
        }
        break;
      }
      case alu: {
        const std::uint32_t operand = (insn.code & src_x) ? x : insn.k;
        if ((insn.code & 0xf0) != op_and) return 0;
        a &= operand;
        break;
      }
      case jmp: {
        const std::uint16_t op = insn.code & 0xf0;
        if (op == op_ja) {
          pc += insn.k;
          break;
        }
        const std::uint32_t operand = (insn.code & src_x) ? x : insn.k;
        bool taken = false;
        if (op == op_jeq) taken = a == operand;
        else if (op == op_jgt) taken = a > operand;
        else if (op == op_jge) taken = a >= operand;
        else if (op == op_jset) taken = (a & operand) != 0;
        else return 0;
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case ret:
        return (insn.code & 0x18) == ret_a ? a : insn.k;
      default:
        return 0;
    }
  }
  return 0;  // fell off the end: the kernel's checker would have refused it
}

}  // namespace icmpkit::sys
