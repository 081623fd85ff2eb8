#include "cli/endpoint_args.h"

#include <regex>

#include "model/field_values.h"

namespace xlb::cli {
namespace {

bool probe_type_is_http(const std::string& type) { return type == "http" || type == "https"; }

bool looks_like_status(const std::string& text) {
  static const std::regex kStatus("[0-9]{3}(-[0-9]{3})?");
  return std::regex_match(text, kStatus);
}

// --proberesp values sorted into the expected status and the expected text.
struct ProbeResponses {
  std::optional<std::string> expect_status, expect;
};

Result<ProbeResponses> sort_proberesp(const CreateEndpointArgs& args) {
  ProbeResponses out;
  for (const auto& resp : args.proberesp) {
    const bool status = probe_type_is_http(args.probetype) && looks_like_status(resp);
    std::optional<std::string>& slot = status ? out.expect_status : out.expect;
    if (slot) {
      return invalid("--proberesp", std::string("--proberesp gives the expected ") +
                                        (status ? "status" : "reply text") + " twice (\"" + *slot +
                                        "\" and \"" + resp + "\"); give it once");
    }
    slot = resp;
  }
  return out;
}

}  // namespace

// Fields are converted in the order the API's decoder reads them, so the first refusal is the
// one the API would have sent.
Result<model::EndpointProbe> build_endpoint_probe(const CreateEndpointArgs& args) {
  if (args.probetype.empty()) {
    return invalid("--probetype", "create endpoint needs --probetype=none|ping|tcp|udp|http|https");
  }
  auto responses = sort_proberesp(args);
  if (!responses) return responses.error();

  model::EndpointProbe probe;
  probe.ip = args.ip;
  health::ProbeSpec& spec = probe.probe;
  auto type = model::probe_type_field(args.probetype, "type");
  if (!type) return type.error();
  spec.type = *type;
  probe.name = args.name.value_or("");
  if (args.probeport) {
    XLB_TRY(model::store_int_field(spec.port, *args.probeport, "port", model::kProbePortRange));
  }
  spec.request = args.probereq.value_or("");
  spec.expect = responses->expect.value_or("");
  if (responses->expect_status) {
    auto range = health::parse_status_range(*responses->expect_status, "expect_status");
    if (!range) return range.error();
    spec.expect_status = *range;
  }
  spec.period_s = args.period.value_or(spec.period_s);
  spec.timeout_s = args.timeout.value_or(health::default_timeout(spec.period_s));
  if (args.retries) {
    XLB_TRY(model::store_int_field(spec.retries, *args.retries, "retries",
                                   model::kProbeThresholdRange));
  }
  if (args.rise) {
    XLB_TRY(model::store_int_field(spec.rise, *args.rise, "rise", model::kProbeThresholdRange));
  }
  spec.verify = args.verify;
  return probe;
}

}  // namespace xlb::cli
