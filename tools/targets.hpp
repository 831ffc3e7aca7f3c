// Target lists for `icmpkit sweep` (fping's inputs): host arguments, a file
// or stdin with one target per line (-f), and generated lists (-g) from an
// IPv4/IPv6 CIDR block or a first..last range; and TargetTable, the compact
// form a sweep keeps them in for its whole run. Names are kept as written
// (they are resolved by the caller), generated addresses are printed in their
// canonical form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// Most targets one -g may generate: bounds memory (a sweep keeps 12 bytes
/// per IPv4 target, 44 with -c) while covering an IPv4 /12 or an IPv6 /108.
inline constexpr std::size_t max_generated_targets = std::size_t{1} << 20;

namespace detail {

/// A growable array that never moves its elements: fixed chunks of
/// 2^chunk_bits elements, so growing to a million elements never holds an old
/// and a new copy at once (std::vector's doubling would, for a moment).
template <class T, unsigned chunk_bits = 12>
class ChunkedArray {
 public:
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  void push_back(const T& value) {
    if ((size_ & (chunk_size - 1)) == 0) chunks_.push_back(std::make_unique<T[]>(chunk_size));
    chunks_.back()[size_ & (chunk_size - 1)] = value;
    ++size_;
  }
  T& operator[](std::size_t i) noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  const T& operator[](std::size_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept {
    chunks_.clear();
    size_ = 0;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace detail

/// The targets of one sweep in input order, compact because a sweep keeps a
/// million of them for its whole run: 12 bytes per target with an IPv4
/// address or no address, 12 + 24 with an IPv6 address. A target's text (a
/// host name as given, -n's reverse name, a literal written other than its
/// canonical form) lives in one shared arena and only when it differs from
/// its address's own text, so address literals and -g lists keep none.
/// Resolution errors, which are rare, sit in a side table.
class TargetTable {
 public:
  /// A target that has no address, and why.
  struct Unresolved {
    std::size_t index = 0;
    std::string error;
  };

  /// Appends a target with `address`, shown as `text` (empty: as the address).
  /// Throws std::length_error past 2^32 - 1 targets or 4 GiB of text.
  void add(const wire::IpAddress& address, std::string_view text = {});
  /// Appends a target whose name did not resolve, with the reason.
  /// Throws as add().
  void add_unresolved(std::string_view name, std::string error);

  std::size_t size() const noexcept { return records_.size(); }
  /// How many targets have an address.
  std::size_t resolved() const noexcept { return records_.size() - unresolved_.size(); }
  bool has_address(std::size_t i) const noexcept { return records_[i].kind != Kind::none; }
  /// Target i's address; meaningful when has_address(i).
  wire::IpAddress address(std::size_t i) const noexcept;
  /// The text kept for target i ("" when it is shown as its address).
  std::string_view text(std::size_t i) const noexcept;
  /// What output lines call target i: its text, else its address's text.
  std::string shown(std::size_t i) const;
  /// Room for any address's text, an IPv6 address with a %scope included.
  using ShownBuffer = std::array<char, 64>;
  /// As shown(i), without a string per call: the kept text, or the address's
  /// text written into `buffer`. Valid until the table or `buffer` changes.
  std::string_view shown(std::size_t i, ShownBuffer& buffer) const;
  /// The longest shown() of all targets (fping pads names to it).
  std::size_t width() const noexcept { return width_; }
  /// The targets without an address, in input order.
  const std::vector<Unresolved>& unresolved() const noexcept { return unresolved_; }
  /// Bytes of text kept for all targets together (0 for a list of addresses).
  std::size_t text_bytes() const noexcept { return arena_.size(); }
  void clear() noexcept;

 private:
  enum class Kind : std::uint8_t { none, v4, v6 };
  static constexpr std::uint32_t no_text = 0xffffffffu;
  struct Record {
    std::uint32_t address = 0;  // IPv4 address (network order), or index into v6_
    std::uint32_t text = no_text;  // offset into arena_: 4-byte length, then the bytes
    Kind kind = Kind::none;
  };
  static_assert(sizeof(Record) == 12);

  std::uint32_t keep_text(std::string_view text);
  void append(const Record& record);

  detail::ChunkedArray<Record> records_;
  detail::ChunkedArray<wire::IpAddress, 10> v6_;
  std::string arena_;
  std::vector<Unresolved> unresolved_;
  std::size_t width_ = 0;
};

/// Targets, or the reason there are none.
struct TargetList {
  std::vector<std::string> targets;
  std::string error;  ///< Empty on success.
  bool ok() const noexcept { return error.empty(); }
};

/// Every host address of a CIDR block ("10.0.0.0/24", "fd00::/120").
/// fping's rule for IPv4: prefixes shorter than /31 leave out the network
/// and broadcast addresses; /31 and /32 (RFC 3021) keep both. IPv6 has no
/// broadcast address: every address of the block is listed.
/// Errors: not ADDRESS/LENGTH, a bad address, a length beyond 32/128, more
/// than `limit` hosts.
TargetList expand_cidr(std::string_view cidr, std::size_t limit = max_generated_targets);

/// Every address from `first` to `last` inclusive (fping -g START END).
/// Errors: bad addresses, mixed families, last before first, more than `limit`.
TargetList expand_range(std::string_view first, std::string_view last, std::size_t limit = max_generated_targets);

/// The targets of -g's arguments: one CIDR block, or START END, or several
/// CIDR blocks. Errors: as expand_cidr / expand_range, no argument, or a
/// form that is neither.
TargetList generate_targets(const std::vector<std::string>& arguments, std::size_t limit = max_generated_targets);

/// Calls `visit` with every address -g's `arguments` generate, in order
/// (the same addresses as generate_targets, without their text). Every
/// argument is checked first, so nothing is visited when one is wrong.
/// Returns the error (as generate_targets), or "" on success.
std::string for_each_generated(const std::vector<std::string>& arguments, std::size_t limit,
                               const std::function<void(const wire::IpAddress&)>& visit);

/// Targets from a text stream (fping -f): the first word of each line;
/// blank lines and lines starting with '#' are skipped, and a '#' after the
/// word starts a comment. `source` names the input in errors.
/// Errors: a read error on the stream.
TargetList read_targets(std::istream& in, std::string_view source);

/// As read_targets, handing each word to `visit` as it is read instead of
/// collecting them (the view is valid during the call only). Returns the
/// error, or "" on success; words before a read error have been visited.
std::string for_each_listed(std::istream& in, std::string_view source,
                            const std::function<void(std::string_view)>& visit);

/// Whether `text` is written as a numeric IPv4 or IPv6 address (with an
/// optional %scope), i.e. needs no resolver.
bool is_numeric_address(std::string_view text);

}  // namespace icmpkit::tools
