#include "cli/format.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <vector>

#include "cli/table.h"
#include "common/ip.h"

namespace xlb::cli {

std::string field_text(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

namespace {

using nlohmann::json;

// "packets:bytes", as loxicmd shows counters; a DSR rule's and endpoint's also say how the
// datapath sent them: "packets:bytes l2:N ipip:M".
std::string counters(const json& obj) {
  auto it = obj.find("counters");
  if (it == obj.end()) return "";
  std::string text = field_text(*it, "packets") + ":" + field_text(*it, "bytes");
  if (auto dsr = it->find("dsr"); dsr != it->end() && dsr->is_object())
    text += " l2:" + field_text(*dsr, "l2") + " ipip:" + field_text(*dsr, "ipip");
  return text;
}

// The endpoint's health object, or an empty one when its rule is not monitored.
const json& health(const json& ep) {
  static const json kNone = json::object();
  auto it = ep.find("health");
  return it != ep.end() && it->is_object() ? *it : kNone;
}

// What the endpoint gets: the operator's draining/down first, then its health (ok, down,
// unknown); unknown when it is not monitored.
std::string effective_state(const json& ep) {
  const std::string state = field_text(ep, "state");
  if (state == "draining" || state == "down") return state;
  const std::string probed = field_text(health(ep), "state");
  return probed.empty() ? "unknown" : probed;
}

// "1.25ms", or "" while no probe was answered.
std::string delay(const json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || !it->is_number()) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fms", it->get<double>());
  return text;
}

// "5s", "0.5s", or "" when absent.
std::string seconds(const json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || !it->is_number()) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%gs", it->get<double>());
  return text;
}

// "host=www.a.com xff=append reuse=safe" of a fullproxy rule (host=* for the default), or "".
std::string l7_cell(const json& r) {
  if (!r.contains("host")) return "";
  std::string host = field_text(r, "host");
  std::string text = "host=" + (host.empty() ? "*" : host) + " xff=" + field_text(r, "xff");
  auto trusted = r.find("xff_trusted");
  if (trusted != r.end() && trusted->is_array() && !trusted->empty()) {
    text += " trusted=";
    for (size_t i = 0; i < trusted->size(); ++i) {
      const json& net = (*trusted)[i];
      text += (i ? "," : "") + (net.is_string() ? net.get<std::string>() : net.dump());
    }
  }
  text += " reuse=" + field_text(r, "reuse");
  if (r.contains("security")) text += " tls=" + field_text(r, "security");
  if (r.value("insecure_backend", false)) text += " backend=insecure";
  return text;
}

const json& list(const json& answer, const char* key) {
  static const json kEmpty = json::array();
  auto it = answer.find(key);
  return it != answer.end() && it->is_array() ? *it : kEmpty;
}

// With a shared store (etcd) out of reach, the table says it shows what this node last applied.
std::string stale_line(const json& answer) {
  if (!answer.value("stale", false)) return "";
  return "STALE: " + answer.value("stale_reason", std::string("the shared store is unreachable")) +
         "\n";
}

}  // namespace

std::string format_json(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string format_loadbalancers(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  const auto& rules = list(answer, "loadbalancers");
  if (output == Output::table) {
    Table t({"VIP", "PORT", "PROTO", "NAME", "SEL", "MODE", "ENDPOINTS"});
    for (const auto& r : rules) {
      t.add_row({field_text(r, "vip"), field_text(r, "port"), field_text(r, "protocol"),
                 field_text(r, "name"), field_text(r, "select"), field_text(r, "mode"),
                 std::to_string(list(r, "endpoints").size())});
    }
    return t.render() + stale_line(answer);
  }
  // The L7 column (host, xff, reuse) only when a fullproxy rule is listed.
  bool l7 = false;
  for (const auto& r : rules) l7 = l7 || r.contains("host");
  std::vector<std::string> headers = {"VIP",   "PORT",   "PROTO",     "NAME",
                                      "SEL",   "MODE",   "ENDPOINTS", "ENDPOINT",
                                      "EPORT", "WEIGHT", "STATE",     "COUNTERS"};
  if (l7) headers.insert(headers.begin() + 6, "L7");
  Table t(headers);
  for (const auto& r : rules) {
    const auto& eps = list(r, "endpoints");
    // Wide shows what the mode does here (dsr:l2 / dsr:ipip), when the daemon says.
    std::string mode =
        r.contains("effective_mode") ? field_text(r, "effective_mode") : field_text(r, "mode");
    std::vector<std::string> row = {field_text(r, "vip"),
                                    field_text(r, "port"),
                                    field_text(r, "protocol"),
                                    field_text(r, "name"),
                                    field_text(r, "select"),
                                    mode,
                                    std::to_string(eps.size()),
                                    "",
                                    "",
                                    "",
                                    "",
                                    counters(r)};
    if (l7) row.insert(row.begin() + 6, l7_cell(r));
    t.add_row(row);
    for (const auto& ep : eps) {
      std::vector<std::string> ep_row = {"",
                                         "",
                                         "",
                                         "",
                                         "",
                                         "",
                                         "",
                                         field_text(ep, "ip"),
                                         field_text(ep, "port"),
                                         field_text(ep, "weight"),
                                         effective_state(ep),
                                         counters(ep)};
      if (l7) ep_row.insert(ep_row.begin() + 6, "");
      t.add_row(ep_row);
    }
  }
  return t.render() + stale_line(answer);
}

std::string format_endpoints(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  const bool wide = output == Output::wide;
  std::vector<std::string> headers = {"HOST",    "NAME",     "PROBETYPE", "PORT",     "PERIOD",
                                      "RETRIES", "MINDELAY", "AVGDELAY",  "MAXDELAY", "STATE"};
  if (wide) headers.insert(headers.end(), {"LASTERROR", "SINCE"});
  Table t(headers);
  auto add = [&](const json& ep, const std::string& name, const std::string& port) {
    const json& h = health(ep);
    const std::string probe = field_text(h, "probe");
    std::vector<std::string> row = {field_text(ep, "ip"),
                                    name,
                                    probe.empty() ? "none" : probe,
                                    port,
                                    seconds(h, "period"),
                                    field_text(h, "retries"),
                                    delay(h, "min_ms"),
                                    delay(h, "avg_ms"),
                                    delay(h, "max_ms"),
                                    effective_state(ep)};
    if (wide)
      row.insert(row.end(), {field_text(h, "last_error"), field_text(h, "last_transition")});
    t.add_row(std::move(row));
  };
  for (const auto& ep : list(answer, "endpoints")) {
    // NAME: the host probe's label when it has one, else the rule's name.
    const std::string label = field_text(health(ep), "name");
    add(ep, label.empty() ? field_text(ep.value("rule", json::object()), "name") : label,
        field_text(ep, "port"));
  }
  // Hosts with their own probe that no rule lists yet: probed already, shown with their port.
  for (const auto& probe : list(answer, "probes")) {
    if (probe.value("listed", true)) continue;
    add(probe, field_text(probe, "name"),
        probe.value("port", 0) == 0 ? "" : field_text(probe, "port"));
  }
  return t.render() + stale_line(answer);
}

std::string format_conntrack(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  Table t({"SERVICE", "DESTIP", "SRCIP", "DPORT", "SPORT", "PROTO", "STATE", "ACT", "PACKETS",
           "BYTES", "FROM"});
  // The API streams flows in map order; the table reads best by VIP, port, client.
  std::vector<json> flows(list(answer, "flows").begin(), list(answer, "flows").end());
  auto rank = [](const json& f) {
    auto ip = [&f](const char* key) { return ip_sort_key(field_text(f, key)); };
    return std::tuple(ip("dest_ip"), f.value("dport", 0), field_text(f, "proto"), ip("src_ip"),
                      f.value("sport", 0));
  };
  std::stable_sort(flows.begin(), flows.end(),
                   [&rank](const json& a, const json& b) { return rank(a) < rank(b); });
  for (const auto& f : flows) {
    t.add_row({field_text(f, "service"), field_text(f, "dest_ip"), field_text(f, "src_ip"),
               field_text(f, "dport"), field_text(f, "sport"), field_text(f, "proto"),
               field_text(f, "state"), field_text(f, "act"), field_text(f, "packets"),
               field_text(f, "bytes"), f.value("synced", false) ? "peer" : "-"});
  }
  return t.render();
}

namespace {

// SENT, RECEIVED, REJECTED, LAG, LASTRESYNC of one peer's conntrack sync ("-" when it is off).
std::vector<std::string> sync_cells(const json& sync) {
  if (!sync.value("enabled", false)) return {"-", "-", "-", "-", "-"};
  uint64_t rejected = 0;
  if (auto r = sync.find("rejected"); r != sync.end() && r->is_object()) {
    for (const auto& n : *r) rejected += n.is_number_unsigned() ? n.get<uint64_t>() : 0;
  }
  char lag[32];
  std::snprintf(lag, sizeof lag, "%.3fs", sync.value("lag_seconds", 0.0));
  auto last = sync.find("last_full_resync");
  return {field_text(sync, "flows_sent"), field_text(sync, "flows_received"),
          std::to_string(rejected), lag,
          last != sync.end() && last->is_string() ? last->get<std::string>() : "never"};
}

}  // namespace

std::string format_ha(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  if (output == Output::table) {
    Table t({"INSTANCE", "HASTATE"});
    for (const auto& i : list(answer, "instances")) {
      t.add_row({field_text(i, "instance"), field_text(i, "state")});
    }
    return t.render();
  }
  Table t({"INSTANCE", "HASTATE", "SINCE", "TRANSITIONS", "READY", "PEER", "PEERSTATE", "CONNECTED",
           "RESYNC", "SENT", "RECEIVED", "REJECTED", "LAG", "LASTRESYNC"});
  for (const auto& i : list(answer, "instances")) {
    const std::vector<std::string> own = {field_text(i, "instance"), field_text(i, "state"),
                                          field_text(i, "since"), field_text(i, "transitions"),
                                          i.value("ready", false) ? "yes" : "no"};
    const json& peers = list(answer, "peers");
    if (peers.empty()) {
      auto row = own;
      row.insert(row.end(), {"-", "-", "-", "-", "-", "-", "-", "-", "-"});
      t.add_row(std::move(row));
    }
    for (const auto& p : peers) {
      const bool up = p.value("connected", false);
      const json states = p.value("states", json::object());
      auto row = own;
      row.insert(row.end(), {field_text(p, "address"),
                             states.contains(field_text(i, "instance"))
                                 ? states[field_text(i, "instance")].get<std::string>()
                                 : "-",
                             up ? "yes" : "no (" + field_text(p, "last_error") + ")",
                             up ? field_text(p, "resync") : "-"});
      const auto sync = sync_cells(p.value("sync", json::object()));
      row.insert(row.end(), sync.begin(), sync.end());
      t.add_row(std::move(row));
    }
  }
  return t.render();
}

std::string format_stats(const json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  std::string out;
  // An xlbd from before --attach sends no "attach": only the counters then.
  if (const json attach = answer.value("attach", json::object()); !attach.empty()) {
    out += "attach: " + field_text(attach, "requested") + " (xlbd --attach)\n";
    // TC ATTACH: how the TC program (alone, or behind XDP) is attached (xlbd --tc-attach).
    Table hooks({"INTERFACE", "HOOK", "TC ATTACH"});
    for (const auto& i : attach.value("interfaces", json::array())) {
      hooks.add_row({field_text(i, "name"), field_text(i, "hook"), field_text(i, "tc_attach")});
    }
    out += hooks.render() + "\n";
  }
  Table t({"COUNTER", "VALUE"});
  const json counters = answer.value("datapath", json::object());
  for (const auto& [name, value] : counters.items()) t.add_row({name, value.dump()});
  return out + t.render();
}

}  // namespace xlb::cli
