#include "store/store_items.h"

#include <map>

#include "common/ip.h"
#include "model/json.h"
#include "model/strict_json.h"
#include "model/validate.h"

namespace xlb {
namespace {

// One rule with 32 endpoints is about 3 KiB of JSON; anything near etcd's own 1.5 MiB request
// limit is not ours.
constexpr size_t kMaxStoredItemBytes = 1u << 20;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Error stored_item_error(const std::string& where, const std::string& what) {
  return Error{ErrorCode::invalid_argument, where + " " + what, ""};
}

}  // namespace

std::string rule_item_name(const model::ServiceKey& key) {
  // "[v6]:port" keeps an IPv6 VIP's colons apart from the port's (IPv4 names are unchanged).
  std::string name = std::string(kRuleItems) + ip_with_port(key.vip, key.port) + ":" +
                     model::to_string(key.protocol);
  // Fullproxy rules of one VIP:port differ by host: each its own key.
  return key.host.empty() ? name : name + ":" + key.host;
}

std::string probe_item_name(const std::string& ip) { return std::string(kProbeItems) + ip; }

std::string item_name(const StoreItem& item) {
  if (const auto* svc = std::get_if<model::Service>(&item)) return rule_item_name(svc->key);
  return probe_item_name(std::get<model::EndpointProbe>(item).ip);
}

std::string item_description(const StoreItem& item) {
  if (const auto* svc = std::get_if<model::Service>(&item))
    return "rule " + model::to_string(svc->key);
  return "the probe of endpoint " + std::get<model::EndpointProbe>(item).ip;
}

std::string item_description(std::string_view name) {
  if (starts_with(name, kRuleItems)) return "rule " + std::string(name.substr(kRuleItems.size()));
  if (starts_with(name, kProbeItems))
    return "the probe of endpoint " + std::string(name.substr(kProbeItems.size()));
  return std::string(name);
}

std::string encode_item(const StoreItem& item) {
  return std::visit([](const auto& value) { return model::to_json(value).dump(); }, item);
}

Result<StoreItem> decode_item(std::string_view name, std::string_view text,
                              const std::string& where) {
  if (text.size() > kMaxStoredItemBytes) {
    return stored_item_error(where, "holds " + std::to_string(text.size()) +
                                        " bytes, more than any rule or probe (" +
                                        std::to_string(kMaxStoredItemBytes) + "); delete it");
  }
  auto refuse = [&where](const Error& e) {
    return stored_item_error(
        where, "is not a valid item: " + (e.field.empty() ? "" : e.field + ": ") + e.message);
  };
  auto j = model::parse_strict_json_object(text, where);
  if (!j) {
    // Errors about the text as a whole name it already; those inside it (a duplicate key, too
    // deep) name only their path.
    if (j.error().message.rfind(where, 0) == 0)
      return stored_item_error(where, j.error().message.substr(where.size() + 1));
    return refuse(j.error());
  }
  StoreItem item;
  if (starts_with(name, kRuleItems)) {
    auto svc = model::service_from_json(*j);
    if (!svc) return refuse(svc.error());
    if (auto ok = model::validate(*svc); !ok) return refuse(ok.error());
    item = std::move(*svc);
  } else if (starts_with(name, kProbeItems)) {
    auto probe = model::endpoint_probe_from_json(*j);
    if (!probe) return refuse(probe.error());
    if (auto ok = model::validate(*probe); !ok) return refuse(ok.error());
    item = std::move(*probe);
  } else {
    return stored_item_error(where, "is not an item this xlbd knows (rules/ or probes/)");
  }
  if (item_name(item) != name) {
    return stored_item_error(
        where, "holds " + item_description(item) + ", which belongs under " + item_name(item));
  }
  return item;
}

ConfigChange config_change(const model::Config& from, const model::Config& to) {
  std::map<std::string, StoreItem> before, after;
  for (const auto& svc : from.services) before.emplace(rule_item_name(svc.key), svc);
  for (const auto& probe : from.endpoint_probes) before.emplace(probe_item_name(probe.ip), probe);
  for (const auto& svc : to.services) after.emplace(rule_item_name(svc.key), svc);
  for (const auto& probe : to.endpoint_probes) after.emplace(probe_item_name(probe.ip), probe);
  ConfigChange change;
  for (const auto& [name, item] : after) {
    auto it = before.find(name);
    if (it == before.end() || it->second != item) change.put.push_back(item);
  }
  for (const auto& [name, item] : before) {
    if (!after.contains(name)) change.removed.push_back(name);
  }
  return change;
}

}  // namespace xlb
