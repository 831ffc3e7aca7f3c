// File: icmpkit/result.hpp
//
// Result<T>: the value of a fallible pure function or the std::error_code that
// says why there is none. A small subset of C++23 std::expected, so it can be
// replaced by it later without changing call sites that use this subset.
#pragma once

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "icmpkit/error.hpp"

namespace icmpkit {

/// Wrapper used to construct a failed Result unambiguously.
struct Unexpected {
  std::error_code error;
};

inline Unexpected unexpected(std::error_code ec) noexcept { return {ec}; }
inline Unexpected unexpected(errc e) noexcept { return {make_error_code(e)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) noexcept(std::is_nothrow_copy_constructible_v<T>)  // NOLINT: implicit like expected
      : state_(std::in_place_index<0>, value) {}
  Result(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT
      : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Unexpected failure) noexcept  // NOLINT
      : state_(std::in_place_index<1>, failure.error) {}
  Result(errc e) noexcept : Result(unexpected(e)) {}  // NOLINT

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & noexcept { assert(has_value()); return *std::get_if<0>(&state_); }
  const T& value() const& noexcept { assert(has_value()); return *std::get_if<0>(&state_); }
  T&& value() && noexcept { assert(has_value()); return std::move(*std::get_if<0>(&state_)); }

  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  /// The error; a default (success) error_code when there is a value.
  std::error_code error() const noexcept {
    if (const auto* ec = std::get_if<1>(&state_)) return *ec;
    return {};
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, std::error_code> state_;
};

/// Result of an operation that yields no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(Unexpected failure) noexcept : error_(failure.error) {}  // NOLINT
  Result(errc e) noexcept : error_(make_error_code(e)) {}        // NOLINT
  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }
  std::error_code error() const noexcept { return error_; }

 private:
  std::error_code error_{};
};

}  // namespace icmpkit
