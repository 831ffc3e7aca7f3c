// File: tests/integration/trace/traceroute_output.hpp
//
// Reads traceroute(8)-style text output (also what `icmpkit trace` prints):
// per hop its line(s) and the addresses on it, in order. Used by the oracle
// tests and the `icmpkit trace` tests alike.
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "icmpkit/wire/address.hpp"
#include "lab/command.hpp"

namespace icmpkit::lab {

inline bool is_address(const std::string& token) { return static_cast<bool>(wire::IpAddress::parse(token)); }

// What traceroute printed, per hop.
struct TraceOutput {
  int exit_code = -1;
  std::string text;
  std::map<int, std::string> lines;                  // hop -> whole line
  std::map<int, std::vector<std::string>> addresses;  // hop -> addresses, in order, repeats kept once per change

  std::set<std::string> address_set(int hop) const {
    const auto it = addresses.find(hop);
    if (it == addresses.end()) return {};
    return std::set<std::string>(it->second.begin(), it->second.end());
  }
  std::string line(int hop) const {
    const auto it = lines.find(hop);
    return it == lines.end() ? std::string{} : it->second;
  }
};

inline TraceOutput parse_traceroute_output(int exit_code, const std::string& text) {
  TraceOutput out;
  out.exit_code = exit_code;
  out.text = text;
  std::istringstream stream(text);
  std::string line;
  int hop = 0;
  while (std::getline(stream, line)) {
    std::istringstream words(line);
    std::string first;
    if (!(words >> first)) continue;
    if (first.find_first_not_of("0123456789") == std::string::npos) {
      hop = std::stoi(first);
      out.lines[hop] = line;
    } else if (hop != 0 && line.rfind(" ", 0) == 0) {
      out.lines[hop] += "\n" + line;  // a continuation line (-e prints long extension text)
      if (is_address(first)) out.addresses[hop].push_back(first);
    } else {
      continue;
    }
    std::string word;
    while (words >> word) {
      if (is_address(word)) out.addresses[hop].push_back(word);
    }
  }
  return out;
}

inline TraceOutput parse_traceroute_output(const CommandResult& result) {
  return parse_traceroute_output(result.exit_code, result.output);
}

}  // namespace icmpkit::lab
