// xlbctl get cluster: where the configuration lives and the nodes sharing it.
#include "cli/format.h"
#include "cli/table.h"

namespace xlb::cli {
namespace {

using nlohmann::json;

std::string cluster_text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string refused_text(const json& j) {
  auto it = j.find("refused");
  if (it == j.end() || !it->is_object()) return "";
  return "revision " + cluster_text(*it, "revision") + ": " + cluster_text(*it, "reason");
}

}  // namespace

std::string format_cluster(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  Table summary({"FIELD", "VALUE"});
  if (cluster_text(answer, "store") != "etcd") {
    summary.add_row({"STORE", "file " + cluster_text(answer, "location")});
    summary.add_row({"NODES", "this node only (no shared configuration)"});
    return summary.render();
  }
  summary.add_row({"STORE", "etcd " + cluster_text(answer, "location") + " (keys under " +
                                cluster_text(answer, "prefix") + ")"});
  summary.add_row({"NODE", cluster_text(answer, "node")});
  if (answer.value("connected", false)) {
    summary.add_row({"STATE", "connected to " + cluster_text(answer, "endpoint")});
  } else {
    summary.add_row({"STATE", "DISCONNECTED for " + cluster_text(answer, "disconnected_seconds") +
                                  " s: " + cluster_text(answer, "error")});
  }
  std::string applied = "revision " + cluster_text(answer, "applied_revision") + " (latest seen " +
                        cluster_text(answer, "seen_revision") + ")";
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
    nodes.add_row({cluster_text(n, "name"), n.value("self", false) ? "*" : "",
                   "revision " + cluster_text(n, "joined_revision"), refused_text(n)});
  }
  return out + nodes.render();
}

}  // namespace xlb::cli
