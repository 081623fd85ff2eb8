// What each xlbctl command does: one API call (or a few) and the printed result.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/endpoint_args.h"
#include "cli/format.h"
#include "cli/lb_args.h"
#include "common/result.h"
#include "model/service.h"

namespace xlb::cli {

struct CtFilter {
  std::string name, vip, client;
};

Result<void> create_lb(ApiClient& api, const CreateLbArgs& args, std::ostream& out);
Result<void> delete_lb(ApiClient& api, const std::string& vip, const std::vector<std::string>& tcp,
                       const std::vector<std::string>& udp, std::ostream& out,
                       const std::string& host = "");
// Operator state (up|down|draining) of endpoint `ip` in every rule that lists it.
Result<void> set_ep(ApiClient& api, const std::string& ip, model::EndpointState state,
                    std::ostream& out);
// A host's own health check (create or replace), and its removal.
Result<void> create_endpoint(ApiClient& api, const CreateEndpointArgs& args, std::ostream& out);
Result<void> delete_endpoint(ApiClient& api, const std::string& ip, std::ostream& out);
Result<void> get_lb(ApiClient& api, Output output, std::ostream& out);
Result<void> get_ep(ApiClient& api, Output output, std::ostream& out);
Result<void> get_ct(ApiClient& api, const CtFilter& filter, Output output, std::ostream& out);
Result<void> get_stats(ApiClient& api, Output output, std::ostream& out);
// HA states: every instance, or only `instance` (not empty); -o wide adds times, transitions
// and the peers.
Result<void> get_ha(ApiClient& api, const std::string& instance, Output output, std::ostream& out);
// Whether `instance` may become MASTER now (keepalived's track script): "ready", or the API's
// reason as the error (exit 1).
Result<void> get_ha_ready(ApiClient& api, const std::string& instance, std::ostream& out);
// A decider's state for `instance` (MASTER, BACKUP, FAULT, NOT_DEFINED).
Result<void> set_ha(ApiClient& api, const std::string& instance, const std::string& state,
                    std::ostream& out);
Result<void> get_cluster(ApiClient& api, Output output, std::ostream& out);
// Without a file the configuration goes to `out`.
Result<void> save(ApiClient& api, const std::optional<std::string>& file, std::ostream& out);
Result<void> apply(ApiClient& api, const std::string& file, std::ostream& out);

// "-o" text → Output; anything but "wide"/"json" (or empty) is the plain table.
Output output_from(const std::string& text);

}  // namespace xlb::cli
