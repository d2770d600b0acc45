#include "http/problem.hpp"

#include <boost/json.hpp>

#include "core/text.hpp"

namespace insightstream::http {

Response ToProblem(const core::Error& error, std::string_view instance, std::string_view request_id) {
    int status = core::HttpStatus(error.code());
    boost::json::object o;
    o["type"] = std::string(kProblemTypePrefix) + error.slug();
    o["title"] = core::Title(error.code());
    o["status"] = status;
    // Whatever the request carried, the problem is valid JSON (Boost.JSON writes bytes as given).
    o["detail"] = core::ValidUtf8(error.detail());
    o["instance"] = core::ValidUtf8(instance);
    o["request_id"] = core::ValidUtf8(request_id);
    if (!error.fields().empty()) {
        boost::json::array fields;
        for (const auto& f : error.fields()) {
            fields.push_back({{"field", core::ValidUtf8(f.field)}, {"message", core::ValidUtf8(f.message)}});
        }
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
