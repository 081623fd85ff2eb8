// xlbctl get ct --summary and xlbctl diagnose lb: the command (one API call) and its text.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cli/api_client.h"
#include "cli/format.h"
#include "common/result.h"

namespace xlb::cli {

// GET /api/v1/conntrack/summary → capacity, entries, fill, flows by state/proto, SNAT ports.
std::string format_ct_summary(const nlohmann::json& answer, Output output);
Result<void> get_ct_summary(ApiClient& api, Output output, std::ostream& out);

// GET /api/v1/diagnose → one block per finding: severity and title, evidence, fix; then what
// was checked.
std::string format_diagnose(const nlohmann::json& answer, Output output);

struct DiagnoseArgs {
  std::string vip;
  std::optional<std::string> tcp, udp;  // port
};
// Exit status of `xlbctl diagnose`: 0 healthy, 2 a problem (or warning) found.
inline constexpr int kDiagnoseFoundProblem = 2;
// The report's exit status, or an error (bad arguments, API unreachable: exit 1).
Result<int> diagnose_lb(ApiClient& api, const DiagnoseArgs& args, Output output, std::ostream& out);

}  // namespace xlb::cli
