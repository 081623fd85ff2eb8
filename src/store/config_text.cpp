#include "store/config_text.h"

#include "model/json.h"

namespace xlb {

const std::string& ConfigText::render(const model::Config& cfg) {
  ++renders_;
  text_.clear();
  text_ += "{\"services\": [";
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const model::Service& svc = cfg.services[i];
    auto [it, fresh] = pieces_.try_emplace(model::to_string(svc.key));
    Piece& piece = it->second;
    if (fresh || piece.service != svc) {
      piece.service = svc;
      piece.text = model::to_json(svc).dump();
    }
    piece.rendered = renders_;
    text_ += i == 0 ? "\n  " : ",\n  ";
    text_ += piece.text;
  }
  // Probes are few (one per host with a probe of its own): serialized whole each time.
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& probe : cfg.endpoint_probes) probes.push_back(model::to_json(probe));
  text_ += cfg.services.empty() ? "],\n" : "\n],\n";
  text_ += "\"endpoint_probes\": " + probes.dump() + "}\n";
  // Rules no longer in the configuration.
  std::erase_if(pieces_, [this](const auto& entry) { return entry.second.rendered != renders_; });
  return text_;
}

}  // namespace xlb
