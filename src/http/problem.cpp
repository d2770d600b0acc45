#include "http/problem.hpp"

#include <boost/json.hpp>

namespace insightstream::http {

Response ToProblem(const core::Error& error, std::string_view instance, std::string_view request_id) {
    int status = core::HttpStatus(error.code());
    boost::json::object o;
    o["type"] = std::string(kProblemTypePrefix) + error.slug();
    o["title"] = core::Title(error.code());
    o["status"] = status;
    o["detail"] = error.detail();
    o["instance"] = instance;
    o["request_id"] = request_id;
    if (!error.fields().empty()) {
        boost::json::array fields;
        for (const auto& f : error.fields()) fields.push_back({{"field", f.field}, {"message", f.message}});
        o["errors"] = std::move(fields);
    }
    Response r;
    r.status = status;
    r.body = boost::json::serialize(o);
    r.Header("Content-Type", "application/problem+json");
    if (error.code() == core::ErrorCode::kUnauthenticated) r.Header("WWW-Authenticate", "Bearer");
    if (error.retry_after_s()) r.Header("Retry-After", std::to_string(*error.retry_after_s()));
    return r;
}

}  // namespace insightstream::http
