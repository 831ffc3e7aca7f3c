#include "sweep_pacing.hpp"

#include <algorithm>
#include <cstdint>

#include "ping_common.hpp"

namespace icmpkit::tools {

net::PingerOptions sweep_pinger_options(std::optional<double> interval_ms, std::optional<double> rate,
                                        std::string_view mode) {
  net::PingerOptions options;
  options.mode = parse_socket_mode(mode);
  options.reply_ttl = false;  // no sweep line shows it (fping prints it only with --print-ttl)
  const double interval = interval_ms.value_or(10);
  options.max_rate = rate ? *rate : (interval > 0 ? 1000.0 / interval : 0.0);
  if (options.max_rate > 0) options.max_in_flight = net::PingerOptions::no_in_flight_cap;
  // A timer cannot wake us every microsecond: above 1,000/s allow a burst of
  // one millisecond's worth, which keeps the average rate at one wake per ms.
  if (options.max_rate > 1000.0) {
    options.burst = static_cast<std::uint32_t>(std::min(options.max_rate / 1000.0, 65536.0));
  }
  return options;
}

}  // namespace icmpkit::tools
