// /api/v1/conntrack: tracked flows, filtered; streamed in chunks so a million flows never
// become one giant string.
#include <memory>

#include "api/http_errors.h"
#include "api/routes.h"
#include "common/ip.h"
#include "conntrack/flows.h"

namespace xlb::api {
namespace {

constexpr size_t kRowsPerChunk = 512;

Result<FlowFilter> filter_from_query(const httplib::Request& req) {
  FlowFilter f{req.get_param_value("service"), req.get_param_value("vip"),
               req.get_param_value("client")};
  for (const auto& [field, value] : {std::pair{"vip", f.vip}, std::pair{"client", f.client}}) {
    if (!value.empty() && !parse_ipv4(value)) {
      return invalid(field, std::string(field) +
                                " must be an IPv4 address such as 10.0.0.1, got \"" + value + "\"");
    }
  }
  return f;
}

// Writes {"count":N,"flows":[...]} a chunk of rows per call.
struct FlowStream {
  std::vector<FlowRow> rows;
  size_t next = 0;

  bool write_chunk(httplib::DataSink& sink) {
    std::string out;
    if (next == 0) out = "{\"count\":" + std::to_string(rows.size()) + ",\"flows\":[";
    const size_t end = std::min(rows.size(), next + kRowsPerChunk);
    for (; next < end; ++next) {
      if (next > 0) out += ',';
      out += to_json(rows[next]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    const bool last = next == rows.size();
    if (last) out += "]}\n";
    if (!sink.write(out.data(), out.size())) return false;
    if (last) sink.done();
    return true;
  }
};

}  // namespace

void add_conntrack_routes(httplib::Server& server, const ApiContext& ctx) {
  Reconciler& rec = ctx.reconciler;
  const Datapath& dp = ctx.datapath;
  server.Get("/api/v1/conntrack", [&rec, &dp](const httplib::Request& req, httplib::Response& res) {
    auto filter = filter_from_query(req);
    if (!filter) return reply_error(res, filter.error());
    auto rows = list_flows(dp, rec, *filter);
    if (!rows) return reply_error(res, rows.error());
    auto stream = std::make_shared<FlowStream>(FlowStream{std::move(*rows)});
    res.status = 200;
    res.set_chunked_content_provider("application/json", [stream](size_t, httplib::DataSink& sink) {
      return stream->write_chunk(sink);
    });
  });
}

}  // namespace xlb::api
