#include "api/effective_mode.h"

#include "diagnose/dsr_path.h"

namespace xlb::api {

std::string effective_mode(const model::Service& svc) { return diagnose::effective_mode_here(svc); }

}  // namespace xlb::api
