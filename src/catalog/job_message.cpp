#include "catalog/job_message.hpp"

#include <boost/json.hpp>

namespace insightstream::catalog {

using core::Error;
using core::Result;
namespace json = boost::json;

std::string JobMessage::ToJson() const {
    json::object o{{"type", kProcessTopic},
                   {"tenant_id", tenant.str()},
                   {"dataset_id", dataset.str()},
                   {"version", version},
                   {"trace_id", trace_id},
                   {"request_id", request_id},
                   {"span_id", span_id}};
    if (!kind.empty()) o["kind"] = kind;
    if (kind == kSplitJob) {
        o["run"] = run;
        o["pass"] = pass;
        o["split"] = split;
        o["begin"] = begin;
        o["end"] = end;
        o["first_line"] = first_line;
        if (!writing.empty()) {
            o["writing"] = writing;
            o["format"] = format;
            o["options"] = options;
        }
    } else if (!run.empty()) {
        o["run"] = run;
    }
    return json::serialize(o);
}

Result<JobMessage> JobMessage::Parse(std::string_view text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return Error::InvalidArgument("job message is not a JSON object");
    const auto& o = v.as_object();
    auto str = [&](std::string_view k) -> std::string {
        auto it = o.find(k);
        return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
    };
    JobMessage m;
    m.tenant = core::TenantId(str("tenant_id"));
    m.dataset = core::DatasetId(str("dataset_id"));
    m.trace_id = str("trace_id");
    m.request_id = str("request_id");
    m.span_id = str("span_id");
    m.kind = str("kind");
    if (!m.kind.empty() && m.kind != kSnapshotJob && m.kind != kSplitJob) {
        return Error::InvalidArgument("job message of an unknown kind: " + m.kind);
    }
    auto integer = [&](std::string_view k, int64_t fallback) -> int64_t {
        auto it = o.find(k);
        return it != o.end() && it->value().is_int64() ? it->value().as_int64() : fallback;
    };
    m.version = integer("version", 0);
    if (m.kind == kSplitJob) {
        m.pass = static_cast<int>(integer("pass", 0));
        m.split = static_cast<int>(integer("split", -1));
        m.begin = integer("begin", -1);
        m.end = integer("end", -1);
        m.first_line = integer("first_line", 0);
        m.run = str("run");
        const bool hex = !m.run.empty() && m.run.size() <= 32 &&
                         m.run.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!hex || m.pass < 1 || m.split < 0 || m.begin < 0 || m.end < m.begin || m.first_line < 1) {
            return Error::InvalidArgument("split job message lacks run, pass, split, begin, end or first_line");
        }
        m.writing = str("writing");
        m.format = str("format");
        m.options = str("options");
        if (!m.writing.empty() && m.format != "csv" && m.format != "json" && m.format != "ndjson") {
            return Error::InvalidArgument("split job message of an upload in progress lacks its format");
        }
    } else if (m.kind.empty()) {
        m.run = str("run");
        if (m.run.size() > 32 || m.run.find_first_not_of("0123456789abcdef") != std::string::npos) {
            return Error::InvalidArgument("job message has a run that is not a hex id");
        }
    }
    if (!core::IsValidId(m.tenant.str()) || !core::IsValidId(m.dataset.str()) || m.version < 1) {
        return Error::InvalidArgument("job message lacks tenant_id, dataset_id or version");
    }
    return m;
}

}  // namespace insightstream::catalog
