// The change each API request makes to the configuration a node applied, when the
// configuration is shared (etcd): what the node then writes, conditionally, to the store. The
// refusals (a rule that is not there, too many rules) are the local path's, in its words.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "model/service.h"
#include "store/store_items.h"

namespace xlb {

Result<ConfigChange> shared_upsert(const model::Config& applied, const model::Service& svc,
                                   uint32_t max_services);
Result<ConfigChange> shared_remove(const model::Config& applied, const model::ServiceKey& key);
Result<ConfigChange> shared_replace(const model::Config& applied, const model::Config& cfg,
                                    uint32_t max_services);
Result<ConfigChange> shared_endpoint_state(const model::Config& applied, const std::string& ip,
                                           model::EndpointState state);
Result<ConfigChange> shared_probe_upsert(const model::EndpointProbe& probe);
Result<ConfigChange> shared_probe_remove(const model::Config& applied, const std::string& ip);

// The errors both paths give.
Error no_rule_error(const model::ServiceKey& key);
Error too_many_rules_error(uint32_t max);
Error no_rule_lists_endpoint_error(const std::string& ip);
Error no_endpoint_probe_error(const std::string& ip);

}  // namespace xlb
