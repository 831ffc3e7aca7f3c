// inet_pton/inet_ntop are pure libc text conversions (no system call), so the
// wire layer may use them without breaking its "no OS calls" rule.
#include "icmpkit/wire/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

IpAddress::IpAddress(const Ipv4Address& v4) noexcept : family_(Family::v4) {
  std::copy(v4.begin(), v4.end(), bytes_.begin());
}

IpAddress::IpAddress(const Ipv6Address& v6, std::uint32_t scope_id) noexcept
    : family_(Family::v6), bytes_(v6), scope_id_(scope_id) {}

namespace {

// inet_pton(AF_INET) by hand, rule for rule (glibc's resolv/inet_pton.c, the
// ISC code the BSDs share): exactly four decimal parts, each 0-255 without a
// leading zero, nothing else. A sweep parses one per line of a target list,
// and inet_pton's C string wants a copy first.
bool parse_dotted_quad(std::string_view text, Ipv4Address& out) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  const auto digit = [&](unsigned& d) {
    if (p == end || *p < '0' || *p > '9') return false;
    d = static_cast<unsigned>(*p++ - '0');
    return true;
  };
  std::uint32_t address = 0;  // one store at the end: byte stores read back whole stall the load
  for (int i = 0; i < 4; ++i) {
    if (i != 0 && (p == end || *p++ != '.')) return false;
    unsigned value = 0;
    unsigned d = 0;
    if (!digit(value)) return false;
    if (digit(d)) {
      if (value == 0) return false;  // "01"
      value = value * 10 + d;
      if (digit(d)) {
        value = value * 10 + d;
        if (value > 255) return false;
        if (digit(d)) return false;  // four digits: above 255, or a leading zero
      }
    }
    address = address << 8 | value;
  }
  if (p != end) return false;
  detail::store_be32(out, 0, address);
  return true;
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  char buffer[64];
  if (text.empty() || text.size() >= sizeof(buffer)) return errc::invalid_argument;
  Ipv4Address v4{};
  if (parse_dotted_quad(text, v4)) return IpAddress(v4);
  // Not a dotted quad as a whole. Text without a ':' is IPv4 or nothing; it
  // used to reach inet_pton as a C string, which ends at a NUL.
  if (text.find(':') == std::string_view::npos) {
    const auto nul = text.find('\0');
    if (nul != std::string_view::npos && parse_dotted_quad(text.substr(0, nul), v4)) return IpAddress(v4);
    return errc::invalid_argument;
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  std::uint32_t scope = 0;
  if (char* percent = std::strchr(buffer, '%')) {
    *percent = '\0';
    const char* scope_text = percent + 1;
    const char* end = buffer + text.size();
    const auto [ptr, ec] = std::from_chars(scope_text, end, scope);
    if (ec != std::errc{} || ptr != end) return errc::invalid_argument;
  }
  Ipv6Address v6{};
  if (inet_pton(AF_INET6, buffer, v6.data()) != 1) return errc::invalid_argument;
  return IpAddress(v6, scope);
}

Ipv4Address IpAddress::v4() const noexcept {
  Ipv4Address out{};
  std::copy_n(bytes_.begin(), 4, out.begin());
  return out;
}

Ipv6Address IpAddress::v6() const noexcept { return bytes_; }

bool IpAddress::is_unspecified() const noexcept {
  const auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

bool IpAddress::is_loopback() const noexcept {
  if (is_v4()) return bytes_[0] == std::byte{127};
  for (std::size_t i = 0; i < 15; ++i) {
    if (bytes_[i] != std::byte{0}) return false;
  }
  return bytes_[15] == std::byte{1};
}

namespace {

// The text of every octet value, so that writing a dotted quad is four table
// reads instead of divisions by 10 and 100.
struct OctetText {
  std::array<char, 3> digits{};  // left-aligned, unused places '\0'
  std::uint8_t size = 0;
};

constexpr std::array<OctetText, 256> octet_texts = [] {
  std::array<OctetText, 256> table{};
  for (unsigned value = 0; value < 256; ++value) {
    auto& entry = table[value];
    if (value >= 100) entry.digits[entry.size++] = static_cast<char>('0' + value / 100);
    if (value >= 10) entry.digits[entry.size++] = static_cast<char>('0' + value / 10 % 10);
    entry.digits[entry.size++] = static_cast<char>('0' + value % 10);
  }
  return table;
}();

}  // namespace

char* write_ipv4_text(char* out, const Ipv4Address& address) noexcept {
  // By hand: glibc's inet_ntop formats IPv4 with sprintf, which showed in
  // the profile of a sweep printing one line per target. All three digit
  // places are copied and the end moved by the octet's size: a later octet or
  // dot overwrites the spare places, and the last octet's spares stay within
  // ipv4_text_max_size (at most 12 characters come before it).
  for (std::size_t i = 0; i < address.size(); ++i) {
    if (i != 0) *out++ = '.';
    const auto& text = octet_texts[static_cast<std::uint8_t>(address[i])];
    std::memcpy(out, text.digits.data(), text.digits.size());
    out += text.size;
  }
  return out;
}

std::string IpAddress::to_string() const {
  if (is_v4()) {
    char text[ipv4_text_max_size];
    return std::string(text, write_ipv4_text(text, v4()));
  }
  char buffer[INET6_ADDRSTRLEN + 16] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof(buffer));
  std::string out(buffer);
  if (is_v6() && scope_id_ != 0) out += "%" + std::to_string(scope_id_);
  return out;
}

std::size_t IpAddressHash::operator()(const IpAddress& address) const noexcept {
  // FNV-1a over family, bytes and scope: cheap and well spread for addresses.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t byte) {
    h ^= byte;
    h *= 1099511628211ull;
  };
  mix(static_cast<std::uint8_t>(address.family()));
  for (auto b : address.bytes()) mix(static_cast<std::uint8_t>(b));
  for (int i = 0; i < 4; ++i) mix(static_cast<std::uint8_t>(address.scope_id() >> (8 * i)));
  return static_cast<std::size_t>(h);
}

}  // namespace icmpkit::wire
