// A plain text table with aligned columns, in the style of loxicmd's tables.
#pragma once

#include <string>
#include <vector>

namespace xlb::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Missing trailing cells render empty; extra cells are an error in the caller.
  void add_row(std::vector<std::string> cells);
  // "| A | B |" rows with a "|---|---|" rule under the header; each line ends with '\n'.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace xlb::cli
