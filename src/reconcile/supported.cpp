#include "reconcile/supported.h"

namespace xlb {
namespace {

// Features the datapath has not built yet (issue 5: ppv2, issue 7: health checks).
constexpr bool kPpv2Supported = false;
constexpr bool kMonitorSupported = false;

Error not_supported(const std::string& field, const std::string& message) {
  return Error{"not_supported", message, field};
}

}  // namespace

bool supported(model::Mode mode) { return mode == model::Mode::nat; }

bool supported(model::Select select) {
  switch (select) {
    case model::Select::rr:
    case model::Select::priority:
    case model::Select::hash:
      return true;
    default:
      return false;
  }
}

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
