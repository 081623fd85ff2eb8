// What a rule's mode does on this host, as `get lb -o wide` shows it: "dsr" becomes "dsr:l2" or
// "dsr:ipip" (diagnose/dsr_path.h: the one prediction, shared with diagnose).
#pragma once

#include <string>

#include "model/service.h"

namespace xlb::api {

std::string effective_mode(const model::Service& svc);

}  // namespace xlb::api
