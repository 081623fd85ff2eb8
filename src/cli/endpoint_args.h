// `xlbctl create endpoint` arguments → the model of a host probe, whose to_json is the POST
// /api/v1/endpoints body. The flags' syntax is checked here; a value the model cannot hold is
// refused in the API decoder's own words (naming the JSON field); the API validates the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/service.h"

namespace xlb::cli {

struct CreateEndpointArgs {
  std::string ip;
  std::string probetype;                  // --probetype: none|ping|tcp|udp|http|https
  std::optional<int64_t> probeport;       // --probeport; absent = each rule's target port
  std::optional<std::string> probereq;    // --probereq: http path or udp payload
  std::vector<std::string> proberesp;     // --proberesp, repeatable (see build_endpoint_probe)
  std::optional<double> period, timeout;  // seconds
  std::optional<int64_t> retries, rise;
  std::optional<std::string> name;
  bool verify = false;  // --verify: https certificate verification
};

// --proberesp: for http(s) a status code or range ("200", "200-299") sets expect_status and any
// other text is a body substring (expect), so "--proberesp=200 --proberesp=ok" sets both; for
// the other types it is the expected reply (expect). Unset flags keep the model's defaults.
Result<model::EndpointProbe> build_endpoint_probe(const CreateEndpointArgs& args);

}  // namespace xlb::cli
