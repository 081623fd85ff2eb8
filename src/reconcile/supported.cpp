#include "reconcile/supported.h"

namespace xlb {
namespace {

// Feature switches; all built (monitor since issue 7).
constexpr bool kPpv2Supported = true;
constexpr bool kMonitorSupported = true;

Error not_supported(const std::string& field, const std::string& message) {
  return Error{ErrorCode::not_supported, message, field};
}

}  // namespace

bool supported(model::Mode) { return true; }

bool supported(model::Select) { return true; }

Result<void> check_supported(const model::Service& svc, const std::string& prefix) {
  if (!supported(svc.mode)) {
    return not_supported(prefix + "mode", "mode " + to_string(svc.mode) + " is not supported yet");
  }
  if (!supported(svc.select)) {
    return not_supported(prefix + "select",
                         "select " + to_string(svc.select) + " is not supported yet");
  }
  if (svc.ppv2 && !kPpv2Supported)
    return not_supported(prefix + "ppv2", "ppv2 is not supported yet");
  if (svc.monitor && !kMonitorSupported) {
    return not_supported(prefix + "monitor",
                         "monitor (endpoint health checks) is not supported yet");
  }
  return Ok{};
}

}  // namespace xlb
