// Helpers shared by the fuzz targets: read every byte a decoder's view points
// at (so AddressSanitizer sees a view that escapes the input) and every field
// of a decoded value, and fail loudly when an invariant breaks.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/quoted.hpp"

namespace icmpkit::fuzz {

inline volatile unsigned sink = 0;

/// Reads every byte of `b` (out-of-bounds views trip ASan here).
inline void touch(ConstBytes b) noexcept {
  unsigned sum = 0;
  for (std::byte x : b) sum += static_cast<unsigned>(x);
  sink = sink + sum;
}

inline void touch(std::string_view s) noexcept { touch(std::as_bytes(std::span(s.data(), s.size()))); }

/// Reads a trivially copyable value field by field via its object bytes.
template <class T>
void touch_value(const T& value) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  sink = sink + raw[0];
}

/// `b` must lie inside `outer`.
inline void check_inside(ConstBytes b, ConstBytes outer, const char* what) {
  if (b.empty()) return;
  if (b.data() < outer.data() || b.data() + b.size() > outer.data() + outer.size()) {
    std::fprintf(stderr, "view escapes its input: %s\n", what);
    std::abort();
  }
}

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

/// Walks an extension structure and every typed decoder over each object.
inline void exercise_extensions(const wire::ExtensionStructure& s) {
  touch(s.bytes);
  std::size_t count = 0;
  for (const auto& object : s) {
    ++count;
    check_inside(object.bytes, s.objects, "extension object");
    touch(object.payload);
    touch_value(object.length);
    if (auto mpls = wire::decode_mpls_label_stack(object)) {
      for (std::size_t i = 0; i < mpls->size(); ++i) touch_value((*mpls)[i]);
    }
    if (auto info = wire::decode_interface_information(object)) {
      touch_value(info->role);
      if (info->if_index) touch_value(*info->if_index);
      if (info->address) touch(info->address->bytes());
      if (info->name) touch(*info->name);
      if (info->mtu) touch_value(*info->mtu);
    }
    if (auto id = wire::decode_interface_identification(object)) {
      touch(id->name);
      touch(id->address);
      check_inside(id->address, object.payload, "interface identification address");
      if (id->ip) touch(id->ip->bytes());
    }
  }
  require(count == s.object_count, "object_count matches the iteration");
}

/// Decodes what an error body holds: the quoted datagram and the extensions.
inline void exercise_error_body(wire::Family family, const wire::ErrorBody& body) {
  touch(body.original_datagram);
  touch(body.extensions);
  if (auto q = wire::decode_quoted(family, body)) {
    touch(q->ip_header);
    touch(q->upper_layer);
    touch(q->source.bytes());
    touch(q->destination.bytes());
    touch_value(q->probe);
    touch_value(q->total_length);
    check_inside(q->ip_header, body.original_datagram, "quoted ip header");
    check_inside(q->upper_layer, body.original_datagram, "quoted upper layer");
  }
  if (auto s = wire::parse_extensions_compat(body)) exercise_extensions(*s);
  if (!body.extensions.empty()) {
    if (auto s = wire::parse_extensions(body.extensions)) exercise_extensions(*s);
  }
}

/// Touches the byte views a typed message may carry, whatever its type,
/// by the member names the codec uses.
template <class M>
void touch_message(wire::Family family, const M& m) {
  if constexpr (requires { m.body.original_datagram; }) exercise_error_body(family, m.body);
  if constexpr (requires { ConstBytes(m.body); }) touch(m.body);
  if constexpr (requires { ConstBytes(m.bytes); }) touch(m.bytes);
  if constexpr (requires { ConstBytes(m.data); }) touch(m.data);
  if constexpr (requires { ConstBytes(m.extensions); }) {
    touch(m.extensions);
    if (auto s = wire::parse_extensions(m.extensions)) exercise_extensions(*s);
  }
  if constexpr (requires { ConstBytes(m.options); }) touch(m.options);
  if constexpr (requires { ConstBytes(m.entry_bytes()); }) touch(m.entry_bytes());
  if constexpr (requires { ConstBytes(m.trailing()); }) touch(m.trailing());
  if constexpr (requires { m.begin(); m.end(); }) {
    for (const auto& entry : m) touch_value(entry);
  }
}

}  // namespace icmpkit::fuzz
