// /api/v1/conntrack: tracked flows, filtered, streamed while the map is walked;
// /api/v1/conntrack/summary: capacity, fill and flows by state.
#include <memory>

#include "api/http_errors.h"
#include "api/routes.h"
#include "common/ip.h"
#include "common/quote.h"
#include "conntrack/flows.h"
#include "conntrack/summary.h"

namespace xlb::api {
namespace {

constexpr size_t kRowsPerChunk = 512;

Result<FlowFilter> filter_from_query(const httplib::Request& req) {
  // Addresses compare as text: the RFC 5952 form the rows print.
  FlowFilter f{req.get_param_value("service"), canonical_ip(req.get_param_value("vip")),
               canonical_ip(req.get_param_value("client"))};
  for (const auto& [field, value] : {std::pair{"vip", f.vip}, std::pair{"client", f.client}}) {
    if (!value.empty() && !parse_ip(value)) {
      return invalid(field, std::string(field) +
                                " must be an IPv4 or IPv6 address such as 10.0.0.1 or "
                                "2001:db8::1, got " +
                                xlb::quoted(value));
    }
  }
  return f;
}

// Writes {"flows":[...],"count":N} while the CT map is walked, kRowsPerChunk rows per write, so
// neither the rows nor the JSON text of a million flows are ever held at once. The count comes
// last because it is only known at the end.
class FlowStream {
 public:
  FlowStream(const StatusSource& status, FlowFilter filter)
      : status_(status), filter_(std::move(filter)) {}

  // The whole answer in one provider call: httplib hands the sink to one thread, and the walk
  // must not be split across calls (the map changes between them).
  bool write_all(httplib::DataSink& sink) {
    std::string out = "{\"flows\":[";
    size_t count = 0, in_chunk = 0;
    bool sink_ok = true;
    const RuleNameOf rule_name = [this](uint32_t id) { return status_.rule_name(id); };
    auto walked =
        for_each_flow_row(status_.conntrack(), rule_name, filter_, [&](const FlowRow& row) {
          if (count++ > 0) out += ',';
          out += to_json(row).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          if (++in_chunk == kRowsPerChunk) {
            sink_ok = sink.write(out.data(), out.size());
            out.clear();
            in_chunk = 0;
          }
          return sink_ok;  // the client went away: stop walking
        });
    if (!sink_ok) return false;
    // A failed walk cannot change the status any more: cut the answer short, so the client
    // sees a broken response rather than a silently incomplete list.
    if (!walked) return false;
    out += "],\"count\":" + std::to_string(count) + "}\n";
    if (!sink.write(out.data(), out.size())) return false;
    sink.done();
    return true;
  }

 private:
  const StatusSource& status_;
  FlowFilter filter_;
};

}  // namespace

void add_conntrack_routes(httplib::Server& server, const ApiContext& ctx) {
  const StatusSource& status = ctx.status;
  // The latest aging pass's summary; computed here only before the first pass has run.
  server.Get("/api/v1/conntrack/summary",
             [&status](const httplib::Request&, httplib::Response& res) {
               auto summary = current_ct_summary(status);
               if (!summary) return reply_error(res, summary.error());
               reply_json(res, 200, to_json(*summary));
             });
  server.Get("/api/v1/conntrack", [&status](const httplib::Request& req, httplib::Response& res) {
    auto filter = filter_from_query(req);
    if (!filter) return reply_error(res, filter.error());
    auto stream = std::make_shared<FlowStream>(status, std::move(*filter));
    res.status = 200;
    res.set_chunked_content_provider("application/json", [stream](size_t, httplib::DataSink& sink) {
      return stream->write_all(sink);
    });
  });
}

}  // namespace xlb::api
