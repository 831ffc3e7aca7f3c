// File: icmpkit/sys/bpf.hpp
//
// The classic BPF program (Linux SO_ATTACH_FILTER, the same instruction set
// as BSD bpf(4)) that keeps a raw IPv4 ICMP socket from waking for every
// ICMP message on the host: it lets echo replies (optionally only those with
// our identifier) and ICMP error messages through. Built as plain data so it
// is unit-tested with an interpreter, without a socket.
//
// On a raw IPv4 socket the program sees the packet from the IPv4 header on
// (offset 0 = version/IHL), RFC 791 / RFC 792.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// One classic BPF instruction (layout of struct sock_filter).
struct BpfInstruction {
  std::uint16_t code;
  std::uint8_t jt;
  std::uint8_t jf;
  std::uint32_t k;
};

/// Enough room for every program built here.
inline constexpr std::size_t bpf_max_instructions = 24;

/// A program in a fixed buffer (no allocation).
struct BpfProgram {
  std::array<BpfInstruction, bpf_max_instructions> instructions{};
  std::size_t size = 0;
  std::span<const BpfInstruction> view() const noexcept { return {instructions.data(), size}; }
};

/// Builds the filter: pass echo reply (type 0; with `only_id`, only that
/// identifier), destination unreachable (3), source quench (4), redirect (5),
/// time exceeded (11), parameter problem (12) and extended echo reply (43);
/// drop the rest. Non-first fragments are dropped (no ICMP header in them).
BpfProgram icmpv4_reply_filter(std::optional<wire::EchoId> only_id = std::nullopt) noexcept;

/// The same choice of types as a Linux raw-socket ICMP_FILTER mask (a set
/// bit blocks that type; types 32 and up are never blocked by it). The
/// kernel tests this mask before it clones a packet for the socket, the BPF
/// program only after: with both, our own echo requests looping back on lo
/// (and every other program's) cost the raw socket nothing.
std::uint32_t icmpv4_blocked_types_mask() noexcept;

/// Runs a classic BPF program over `packet` (the subset of opcodes the
/// builders emit: LD/LDX/JMP/RET/ALU-AND, absolute, indirect and MSH modes)
/// and returns the number of bytes to keep (0 = drop), as the kernel would.
/// Out-of-range loads drop the packet, as in the kernel.
std::uint32_t run_bpf(std::span<const BpfInstruction> program, ConstBytes packet) noexcept;

}  // namespace icmpkit::sys
