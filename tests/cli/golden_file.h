// Golden files under tests/cli/golden: read them, and compare output with them byte for byte.
// XLB_UPDATE_GOLDEN=1 rewrites them instead (review the diff).
#pragma once

#include <string>

namespace xlb::cli {

std::string read_golden(const std::string& name);
void expect_golden(const std::string& name, const std::string& actual);

}  // namespace xlb::cli
