// File: icmpkit/engine/mda_stopping.hpp
//
// The stopping rule of the Multipath Detection Algorithm (Augustin, Friedman,
// Teixeira, "Multipath tracing with Paris traceroute", E2EMON 2007; Veitch et
// al., "Failure control in multipath route tracing", INFOCOM 2009): after
// seeing k next hops, n_k probes are sent before concluding there is no
// (k+1)-th, where n_k is the least n such that n probes spread uniformly over
// k+1 next hops miss at least one of them with probability at most 1 - confidence.
#pragma once

#include <cstdint>

namespace icmpkit::engine {

/// Probability that `probes` probes, each going to one of `next_hops` equally
/// likely next hops, leave at least one of them unseen.
double mda_miss_probability(std::uint32_t next_hops, std::uint32_t probes) noexcept;

/// n_k: probes needed to reject the hypothesis of k+1 next hops having seen k
/// (k >= 1; k = 0 is treated as 1) with the given confidence (0 < c < 1).
/// At 0.95 this reproduces the published table 6, 11, 16, 21, 27, 33, 38, 44,
/// 51, 57, 63, 70, 76, 83, 90, 96 for k = 1..16. Capped at 100000.
std::uint32_t mda_probes_needed(std::uint32_t k, double confidence = 0.95) noexcept;

}  // namespace icmpkit::engine
