// Findings of `xlbctl diagnose lb`: each says what is wrong in plain words, the evidence it
// rests on (counters, conntrack states, probe results, routes) and the fix.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "diagnose/snapshot.h"

namespace xlb::diagnose {

// ok/info never make the report unhealthy; warning and problem do (non-zero exit).
enum class Severity { ok, info, warning, problem };
std::string to_string(Severity s);

struct Finding {
  Severity severity = Severity::info;
  std::string code;   // stable id for tooling, e.g. "nat_replies_bypass"
  std::string title;  // one sentence
  std::vector<std::string> evidence;
  std::string fix;  // empty for ok/info findings that need nothing
};

struct Report {
  std::string target;  // Query::describe()
  std::vector<Finding> findings;
  std::vector<std::string> checked;  // what was looked at, so silence is not mistaken for health
  bool healthy() const;
};

// Pure: the same snapshot always gives the same report.
Report analyze(const Snapshot& snapshot);

nlohmann::json to_json(const Report& report);

}  // namespace xlb::diagnose
