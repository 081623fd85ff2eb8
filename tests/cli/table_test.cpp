#include "cli/table.h"

#include <gtest/gtest.h>

namespace xlb::cli {
namespace {

TEST(Table, ColumnsAreAsWideAsTheirWidestCell) {
  Table t({"A", "LONG HEADER"});
  t.add_row({"wide cell", "x"});
  t.add_row({"y"});  // missing cells render empty
  EXPECT_EQ(t.render(),
            "| A         | LONG HEADER |\n"
            "|-----------|-------------|\n"
            "| wide cell | x           |\n"
            "| y         |             |\n");
}

}  // namespace
}  // namespace xlb::cli
