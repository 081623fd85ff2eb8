/* Everything the BPF datapath and the control plane share. */
#ifndef XLB_ABI_XLB_H
#define XLB_ABI_XLB_H

#include "addr_filter.h"
#include "common.h"
#include "conntrack.h"
#include "ha.h"
#include "maps.h"
#include "node.h"
#include "service.h"
#include "stats.h"

#endif
