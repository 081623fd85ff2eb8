#include "golden_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace xlb::cli {
namespace {

std::string golden_path(const std::string& name) {
  return std::string(XLB_CLI_GOLDEN_DIR) + "/" + name;
}

}  // namespace

std::string read_golden(const std::string& name) {
  std::ifstream in(golden_path(name), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  if (std::getenv("XLB_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(read_golden(name), actual)
      << "golden file " << path << " differs; rerun with XLB_UPDATE_GOLDEN=1 if intended";
}

}  // namespace xlb::cli
