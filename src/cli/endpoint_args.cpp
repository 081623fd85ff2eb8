#include "cli/endpoint_args.h"

#include <regex>

namespace xlb::cli {
namespace {

bool is_http(const std::string& type) { return type == "http" || type == "https"; }

bool looks_like_status(const std::string& text) {
  static const std::regex kStatus("[0-9]{3}(-[0-9]{3})?");
  return std::regex_match(text, kStatus);
}

}  // namespace

Result<nlohmann::json> build_endpoint_probe(const CreateEndpointArgs& args) {
  if (args.probetype.empty()) {
    return invalid("--probetype", "create endpoint needs --probetype=none|ping|tcp|udp|http|https");
  }
  nlohmann::json body = {{"ip", args.ip}, {"type", args.probetype}};
  if (args.name) body["name"] = *args.name;
  if (args.probeport) body["port"] = *args.probeport;
  if (args.probereq) body["request"] = *args.probereq;
  for (const auto& resp : args.proberesp) {
    const char* field =
        is_http(args.probetype) && looks_like_status(resp) ? "expect_status" : "expect";
    if (body.contains(field)) {
      return invalid("--proberesp", std::string("--proberesp gives the expected ") +
                                        (field == std::string("expect") ? "reply text" : "status") +
                                        " twice (\"" + body[field].get<std::string>() +
                                        "\" and \"" + resp + "\"); give it once");
    }
    body[field] = resp;
  }
  if (args.period) body["period"] = *args.period;
  if (args.timeout) body["timeout"] = *args.timeout;
  if (args.retries) body["retries"] = *args.retries;
  if (args.rise) body["rise"] = *args.rise;
  if (args.verify) body["verify"] = true;
  return body;
}

}  // namespace xlb::cli
