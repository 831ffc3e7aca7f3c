// Finding lab namespaces to delete: a lab names its namespaces
// "<tag><pid>-...", so what a crashed run left behind can be told from what
// a live run is using.
#pragma once
#include <string>
#include <vector>

namespace icmpkit::lab {

/// "<tag><pid>-" for this process.
std::string process_namespace_prefix(const std::string& tag);

/// Names in /run/netns that start with `prefix`.
std::vector<std::string> namespaces_with_prefix(const std::string& prefix);

/// "<tag><pid>-..." namespaces whose process <pid> no longer exists and that
/// are at least `min_age_seconds` old (no test lives that long, so a
/// namespace of a live run in another PID namespace is never taken).
std::vector<std::string> orphaned_namespaces(const std::string& tag, long min_age_seconds);

/// Deletes the namespaces (`ip netns delete`); returns how many went.
int delete_namespaces(const std::vector<std::string>& names);

}  // namespace icmpkit::lab
