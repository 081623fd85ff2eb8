// libFuzzer harness over what xlbd does with a request body before anything changes: the strict
// JSON decoding of every route (api::parse_json_object), then the configuration
// (PUT /api/v1/config, which `xlbctl apply` uses) and a single rule (POST /api/v1/loadbalancers)
// read into the model and validated. ASan and UBSan catch memory and undefined-behaviour bugs;
// the properties below catch logic bugs:
//   - a refusal is one line of text (the API hands it to the operator as it is);
//   - a configuration or rule that validates survives to_json -> from_json unchanged and still
//     validates (the store and GET /api/v1/config depend on it).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "api/request_body.h"
#include "model/json.h"
#include "model/validate.h"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "config_fuzzer: property violated: %s\n", what);
  std::abort();
}

void check_refusal(const xlb::Error& e) {
  require(!e.message.empty(), "an error has a message");
  require(e.message.find('\n') == std::string::npos, "an error message is one line");
}

template <class T, class FromJson>
void check_model(const nlohmann::json& body, FromJson from_json) {
  xlb::Result<T> parsed = from_json(body);
  if (!parsed) return check_refusal(parsed.error());
  auto valid = xlb::model::validate(*parsed);
  if (!valid) return check_refusal(valid.error());
  xlb::Result<T> again = from_json(xlb::model::to_json(*parsed));
  require(again.ok(), "to_json of a valid value reads back");
  require(*again == *parsed, "to_json -> from_json is the identity on valid values");
  require(xlb::model::validate(*again).ok(), "a value read back still validates");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = xlb::api::parse_json_object(text);
  if (!body) {
    check_refusal(body.error());
    return 0;
  }
  check_model<xlb::model::Config>(*body, xlb::model::config_from_json);
  check_model<xlb::model::Service>(*body, xlb::model::service_from_json);
  return 0;
}
