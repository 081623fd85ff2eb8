// What a rule's mode does on this host: "dsr" becomes "dsr:l2" (every endpoint on a directly
// connected subnet, as the datapath's route lookup will find) or "dsr:ipip" (routed, or forced).
#pragma once

#include <string>

#include "model/service.h"

namespace xlb::api {

std::string effective_mode(const model::Service& svc);

}  // namespace xlb::api
