// The one encoder of a rule's datapath value (xlb_svc), shared by the reconciler (from the
// model, reconcile/abi.h) and the datapath tests (from test endpoints): the same bytes and the
// same slot table for the same rule, whoever builds it.
#pragma once

#include <cstdint>
#include <vector>

extern "C" {
#include "xlb/abi/service.h"
}

namespace xlb::select {

// A rule in ABI terms. endpoints[i] becomes eps[i]; an index freed by a removed endpoint (a
// hole) has weight 0 and state XLB_EP_DOWN.
struct SvcValueSpec {
  uint32_t id = 0;
  uint8_t mode = XLB_MODE_NAT;
  uint8_t select = XLB_SEL_RR;
  uint8_t flags = 0;  // XLB_SVC_F_*
  uint32_t inactive_timeout_s = 0;
  uint32_t persist_timeout_s = 0;
  uint32_t maglev_size = 0;
  uint8_t maglev_gen = 0;               // maglev: which of the rule's two tables it uses
  std::vector<xlb_ip> snat;             // at most XLB_MAX_SNAT are kept
  std::vector<xlb_endpoint> endpoints;  // at most XLB_MAX_ENDPOINTS are kept
};

// Zeroed padding, the fields and endpoints copied, and the slot table the datapath picks from:
// up endpoints own slots (by weight unless the rule is rr), others none.
xlb_svc encode_svc(const SvcValueSpec& spec);

}  // namespace xlb::select
