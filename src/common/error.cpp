#include "icmpkit/error.hpp"

namespace icmpkit {
namespace {

class ErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "icmpkit"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::truncated: return "input is truncated";
      case errc::bad_length: return "length field overruns the buffer or is inconsistent";
      case errc::bad_checksum: return "checksum does not verify";
      case errc::bad_version: return "unexpected IP version";
      case errc::unknown_type: return "unknown message type";
      case errc::wrong_type: return "message is not of the requested type";
      case errc::not_an_error_message: return "message is not an ICMP error and quotes no datagram";
      case errc::bad_extension: return "malformed RFC 4884 extension structure";
      case errc::buffer_too_small: return "output buffer too small";
      case errc::payload_too_large: return "payload too large";
      case errc::invalid_argument: return "invalid argument";
      case errc::permission_denied:
        return "permission denied: neither a ping socket nor a raw socket may be opened (see 'icmpkit doctor')";
      case errc::address_family_not_supported: return "address family not supported";
      case errc::operation_not_supported: return "operation not supported on this platform";
      case errc::no_message: return "no message available";
    }
    return "unknown icmpkit error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const ErrorCategory category;
  return category;
}

}  // namespace icmpkit
