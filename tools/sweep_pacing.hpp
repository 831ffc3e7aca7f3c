// How `icmpkit sweep` paces its probes (fping's -i and our --rate) and
// whether the Pinger caps the probes in flight: the choices, kept apart from
// the command so that they are unit-tested.
#pragma once

#include <optional>
#include <string_view>

#include "icmpkit/net/pinger.hpp"

namespace icmpkit::tools {

/// The Pinger options of a sweep. `interval_ms` is -i (default 10 ms, as
/// fping: at most 100 probes/s), `rate` is --rate (probes/s over all
/// targets; overrides -i), `mode` the socket kind (auto, dgram, raw).
///
/// Paced sending (-i above 0, or --rate) lifts the cap on probes in flight:
/// replies then come back at about the rate they were asked for, and the
/// cap would only hold silent hosts back (it follows the receive buffer,
/// which without root is net.core.rmem_max: about 160 replies). Drops, if
/// any, are still counted and reported. -i 0 (as fast as possible, root
/// only) keeps the cap: there the sender can outrun the reader.
net::PingerOptions sweep_pinger_options(std::optional<double> interval_ms, std::optional<double> rate,
                                        std::string_view mode);

}  // namespace icmpkit::tools
