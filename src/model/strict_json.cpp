#include "model/strict_json.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/quote.h"

namespace xlb::model {
namespace {

using json = nlohmann::json;

// A SAX pass that builds nothing and stops at the first duplicate key or too-deep value; it
// runs before the DOM parse, so a hostile body never becomes a deep tree in memory.
class StrictJsonCheck final : public nlohmann::json_sax<json> {
 public:
  std::optional<Error> problem;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }

  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }

  bool key(string_t& name) override {
    Frame& f = frames_.back();
    f.key = name;
    if (!f.keys.insert(name).second) {
      return fail(invalid(
          path(), "duplicate key " + xlb::quoted(name) + " in JSON object; give each key once"));
    }
    return true;
  }

  explicit StrictJsonCheck(std::string_view what) : what_(what) {}

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    const std::string what = ex.what();
    if (what.find("UTF-8") != std::string::npos) {
      return fail(invalid("", what_ + " is not valid UTF-8 (byte " + std::to_string(position) +
                                  "); send UTF-8 encoded JSON"));
    }
    // what() reads "[json.exception.parse_error.101] parse error at ...: <reason>"; keep the
    // reason.
    const auto colon = what.find(": ");
    const std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    return fail(invalid("", what_ + " is not valid JSON: " + reason));
  }

 private:
  std::string what_;  // "request body", "etcd key /xlb/v1/rules/..."
  struct Frame {
    bool object = false;
    std::set<std::string> keys;
    std::string key;   // current key in an object
    size_t index = 0;  // elements seen so far in an array
  };
  std::vector<Frame> frames_;

  // "endpoints[1].ip": the same notation the model uses for fields. An array's current element
  // is the one last counted by value().
  std::string path() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (f.object && !f.key.empty()) {
        out += (out.empty() ? "" : ".") + f.key;
      } else if (!f.object && f.index > 0) {
        out += "[" + std::to_string(f.index - 1) + "]";
      }
    }
    return out;
  }

  bool value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }

  bool open(bool object) {
    value();
    if (static_cast<int>(frames_.size()) >= kMaxJsonDepth) {
      return fail(invalid(path(), "JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                                      " levels; rules need at most 3"));
    }
    frames_.push_back(Frame{object, {}, {}, 0});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  bool fail(Error e) {
    if (!problem) problem = std::move(e);
    return false;  // stops the parse
  }
};

}  // namespace

Result<json> parse_strict_json_object(std::string_view text, std::string_view what) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return invalid("", std::string(what) + " is empty; send a JSON object");
  }

  StrictJsonCheck check(what);
  if (!json::sax_parse(text, &check) || check.problem) {
    return check.problem.value_or(invalid("", std::string(what) + " is not valid JSON"));
  }

  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return invalid("", std::string(what) + " must be a JSON object, got " +
                           (parsed.is_discarded() ? "invalid JSON" : parsed.type_name()));
  }
  return parsed;
}

}  // namespace xlb::model
