// xlbctl get cluster: where the configuration lives and the nodes sharing it.
#include "cli/format.h"
#include "cli/table.h"

namespace xlb::cli {
namespace {

using nlohmann::json;

std::string refused_text(const json& j) {
  auto it = j.find("refused");
  if (it == j.end() || !it->is_object()) return "";
  return "revision " + field_text(*it, "revision") + ": " + field_text(*it, "reason");
}

}  // namespace

std::string format_cluster(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  Table summary({"FIELD", "VALUE"});
  if (field_text(answer, "store") != "etcd") {
    summary.add_row({"STORE", "file " + field_text(answer, "location")});
    summary.add_row({"NODES", "this node only (no shared configuration)"});
    return summary.render();
  }
  summary.add_row({"STORE", "etcd " + field_text(answer, "location") + " (keys under " +
                                field_text(answer, "prefix") + ")"});
  summary.add_row({"NODE", field_text(answer, "node")});
  if (answer.value("connected", false)) {
    summary.add_row({"STATE", "connected to " + field_text(answer, "endpoint")});
  } else {
    summary.add_row({"STATE", "DISCONNECTED for " + field_text(answer, "disconnected_seconds") +
                                  " s: " + field_text(answer, "error")});
  }
  std::string applied = "revision " + field_text(answer, "applied_revision") + " (latest seen " +
                        field_text(answer, "seen_revision") + ")";
  if (answer.value("local_copy", false)) applied += ", from this node's local copy";
  summary.add_row({"APPLIED", applied});
  const std::string refused = refused_text(answer);
  summary.add_row({"REFUSED", refused.empty() ? "none" : refused});
  std::string out = summary.render();
  if (!answer.value("nodes_known", false)) {
    return out + "NODES: unknown while etcd is unreachable\n";
  }
  Table nodes({"NODE", "SELF", "JOINED", "REFUSED"});
  for (const auto& n : answer.value("nodes", json::array())) {
    nodes.add_row({field_text(n, "name"), n.value("self", false) ? "*" : "",
                   "revision " + field_text(n, "joined_revision"), refused_text(n)});
  }
  return out + nodes.render();
}

}  // namespace xlb::cli
