// File: icmpkit/error.hpp
//
// icmpkit's one error type: std::error_code with the icmpkit::errc category,
// following Asio's misc_errors pattern. An error_code means an operation
// could not be done (truncated input, socket would not open); a probe's
// outcome (reply, timeout, unreachable) is data, never an error.
#pragma once

#include <string>
#include <system_error>

namespace icmpkit {

/// Error conditions raised by icmpkit itself (OS errors keep std::system_category).
enum class errc {
  ok = 0,
  truncated,             ///< Input shorter than the structure it must hold.
  bad_length,            ///< A length field overruns the buffer or is inconsistent.
  bad_checksum,          ///< Checksum does not verify.
  bad_version,           ///< IP version nibble is not the one expected.
  unknown_type,          ///< Message type not known to the decoder (a raw view exists).
  wrong_type,            ///< Message is valid but not of the type asked for.
  not_an_error_message,  ///< Asked for a quoted datagram of a non-error message.
  bad_extension,         ///< RFC 4884 extension structure is malformed.
  buffer_too_small,      ///< Output buffer cannot hold the encoded message.
  payload_too_large,     ///< Payload would exceed the largest datagram.
  invalid_argument,      ///< An argument is out of its allowed range.
  permission_denied,     ///< Neither a ping socket nor a raw socket may be opened.
  address_family_not_supported,
  operation_not_supported,
  no_message,            ///< Nothing to read (e.g. empty error queue).
};

/// The category of icmpkit::errc.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace icmpkit

template <>
struct std::is_error_code_enum<icmpkit::errc> : std::true_type {};
