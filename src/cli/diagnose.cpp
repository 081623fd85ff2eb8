#include "cli/diagnose.h"

#include <cctype>
#include <cstdio>
#include <tuple>

#include "cli/lb_args.h"
#include "cli/table.h"
#include "common/quote.h"

namespace xlb::cli {
namespace {

using nlohmann::json;

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A JSON object of counts as "name=N, name=N" (empty: "none").
std::string counts(const json& obj) {
  std::string out;
  if (obj.is_object()) {
    for (const auto& [name, n] : obj.items()) {
      out += (out.empty() ? "" : ", ") + name + "=" + n.dump();
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string format_ct_summary(const json& a, Output output) {
  if (output == Output::json) return format_json(a);
  Table t({"CAPACITY", "ENTRIES", "FLOWS", "FILL"});
  t.add_row({a.value("capacity", json(0)).dump(), a.value("entries", json(0)).dump(),
             a.value("flows", json(0)).dump(), percent(a.value("fill_percent", 0.0))});
  std::string out = t.render();
  out += "handshakes (syn map): " + a.value("syn_entries", json(0)).dump() + " of " +
         a.value("syn_capacity", json(0)).dump() + " entries, " +
         percent(a.value("syn_fill_percent", 0.0)) + "\n";
  out += "flows by state: " + counts(a.value("flows_by_state", json::object())) + "\n";
  out += "flows by proto: " + counts(a.value("flows_by_proto", json::object())) + "\n";
  const auto targets = a.value("snat_ports_by_target", json::object());
  if (!targets.empty()) {
    const uint64_t cap = a.value("snat_port_capacity", uint64_t{0});
    Table snat({"SNAT -> ENDPOINT", "PORTS", "OF", "USED"});
    for (const auto& [target, used] : targets.items()) {
      const uint64_t n = used.get<uint64_t>();
      snat.add_row(
          {target, std::to_string(n), std::to_string(cap), percent(cap ? 100.0 * n / cap : 0)});
    }
    out += "FullNAT source ports (" + std::to_string(cap) +
           " per SNAT address, endpoint and port):\n" + snat.render();
  }
  return out;
}

Result<void> get_ct_summary(ApiClient& api, Output output, std::ostream& out) {
  auto answer = api.get("/api/v1/conntrack/summary");
  if (!answer) return answer.error();
  out << format_ct_summary(*answer, output);
  return Ok{};
}

std::string format_diagnose(const json& a, Output output) {
  if (output == Output::json) return format_json(a);
  std::string out;
  const auto findings = a.value("findings", json::array());
  size_t bad = 0;
  for (const auto& f : findings) {
    const std::string sev = f.value("severity", "");
    bad += sev == "problem" || sev == "warning";
  }
  out += "diagnose " + a.value("target", std::string()) + ": " +
         (bad ? std::to_string(bad) + (bad == 1 ? " problem found" : " problems found")
              : std::string("healthy")) +
         "\n";
  for (const auto& f : findings) {
    out += "\n" + upper(f.value("severity", "")) + "  " + f.value("title", "") + "\n";
    for (const auto& e : f.value("evidence", json::array())) {
      out += "  evidence: " + e.get<std::string>() + "\n";
    }
    const std::string fix = f.value("fix", "");
    if (!fix.empty()) out += "  fix: " + fix + "\n";
  }
  out += "\nchecked:";
  for (const auto& c : a.value("checked", json::array())) out += "\n  - " + c.get<std::string>();
  return out + "\n";
}

Result<int> diagnose_lb(ApiClient& api, const DiagnoseArgs& args, Output output,
                        std::ostream& out) {
  if (args.tcp && args.udp) {
    return invalid("--tcp", "diagnose lb takes --tcp=<port> or --udp=<port>, not both");
  }
  ApiClient::Query query{{"vip", args.vip}};
  for (const auto& [flag, proto, value] :
       {std::tuple{"--tcp", "tcp", args.tcp}, std::tuple{"--udp", "udp", args.udp}}) {
    if (!value) continue;
    auto ports = parse_ports(flag, {*value});
    if (!ports) return ports.error();
    if (ports->size() != 1 || ports->front() < 1 || ports->front() > 65535) {
      return invalid(
          flag, std::string(flag) + " takes one port from 1 to 65535, got " + xlb::quoted(*value));
    }
    query.emplace("port", std::to_string(ports->front()));
    query.emplace("proto", proto);
  }
  auto answer = api.get("/api/v1/diagnose", query);
  if (!answer) return answer.error();
  out << format_diagnose(*answer, output);
  return answer->value("healthy", false) ? 0 : kDiagnoseFoundProblem;
}

}  // namespace xlb::cli
