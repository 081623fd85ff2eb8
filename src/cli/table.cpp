#include "cli/table.h"

#include <algorithm>

namespace xlb::cli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (size_t c = 0; c < cells.size(); ++c) {
      out += ' ' + cells[c] + std::string(width[c] - cells[c].size(), ' ') + " |";
    }
    return out + '\n';
  };
  std::string out = line(headers_);
  out += '|';
  for (size_t w : width) out += std::string(w + 2, '-') + '|';
  out += '\n';
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace xlb::cli
