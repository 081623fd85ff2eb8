// `xlbctl create endpoint` arguments → the POST /api/v1/endpoints body. Only syntax is checked
// here; the API is the authority on values (its messages name the JSON field).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

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
// the other types it is the expected reply (expect).
Result<nlohmann::json> build_endpoint_probe(const CreateEndpointArgs& args);

}  // namespace xlb::cli
