#include "http/json_body.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "core/text.hpp"

namespace insightstream::http {

using core::Error;

core::Result<boost::json::object> ParseJsonObject(const Request& req) {
    std::string ct = req.ContentType();
    if (ct != "application/json" && !(ct.starts_with("application/") && ct.ends_with("+json"))) {
        return Error::UnsupportedMediaType("send the body as application/json");
    }
    boost::system::error_code ec;
    boost::json::parse_options opts;
    opts.max_depth = 32;
    auto v = boost::json::parse(req.body, ec, {}, opts);
    if (ec) {
        return Error::InvalidArgument("the body is not valid JSON: " + ec.message()).WithSlug("malformed-json");
    }
    if (!v.is_object()) return Error::InvalidArgument("the body must be a JSON object").WithSlug("malformed-json");
    // Boost.JSON already refuses invalid UTF-8 and lone surrogates; \u0000 and other control
    // characters arrive as escapes and are refused here, in keys and values alike.
    std::optional<std::string> problem;
    std::string where;
    auto check = [&](auto&& self, const boost::json::value& x, const std::string& at) -> void {
        if (problem) return;
        if (x.is_string()) {
            if (auto why = core::TextProblem(x.as_string(), {.allow_line_breaks = true})) {
                problem = why;
                where = at;
            }
        } else if (x.is_object()) {
            for (const auto& kv : x.as_object()) {
                if (auto why = core::TextProblem(kv.key())) {
                    problem = why;
                    where = (at.empty() ? std::string("the top level") : at) + ", in a key,";
                    return;
                }
                self(self, kv.value(), at + "/" + std::string(kv.key()));
            }
        } else if (x.is_array()) {
            size_t i = 0;
            for (const auto& e : x.as_array()) self(self, e, at + "/" + std::to_string(i++));
        }
    };
    check(check, v, "");
    if (problem) return Error::InvalidArgument("the text at " + where + " " + *problem).WithSlug("invalid-text");
    return std::move(v.as_object());
}

namespace {
std::string Pointer(std::string_view name) {
    std::string p(1, '/');
    p.append(name);
    return p;
}

std::string Trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

size_t Utf8Length(std::string_view s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

std::string JsonFields::RequiredString(std::string_view name, size_t min, size_t max) {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) {
        errors_.push_back({Pointer(name), "is required"});
        return {};
    }
    if (!it->value().is_string()) {
        errors_.push_back({Pointer(name), "must be a string"});
        return {};
    }
    std::string s = Trim(it->value().as_string());
    size_t len = Utf8Length(s);
    if (len < min || len > max) {
        errors_.push_back({Pointer(name), min > 0 ? "must be " + std::to_string(min) + " to " + std::to_string(max) +
                                                        " characters"
                                                  : "must be at most " + std::to_string(max) + " characters"});
    }
    return s;
}

std::optional<std::string> JsonFields::OptionalString(std::string_view name, size_t max) {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_string()) {
        errors_.push_back({Pointer(name), "must be a string"});
        return std::nullopt;
    }
    std::string s = Trim(it->value().as_string());
    if (Utf8Length(s) > max) errors_.push_back({Pointer(name), "must be at most " + std::to_string(max) + " characters"});
    return s;
}

std::optional<std::vector<std::string>> JsonFields::OptionalStringArray(std::string_view name, size_t max_items) {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_array() || it->value().as_array().size() > max_items) {
        errors_.push_back({Pointer(name), "must be an array of at most " + std::to_string(max_items) + " strings"});
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& v : it->value().as_array()) {
        if (!v.is_string()) {
            errors_.push_back({Pointer(name), "must contain only strings"});
            return std::nullopt;
        }
        out.emplace_back(v.as_string());
    }
    return out;
}

void JsonFields::Invalid(std::string_view name, std::string message) {
    errors_.push_back({Pointer(name), std::move(message)});
}

void JsonFields::OnlyAllow(std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : o_) {
        if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) == allowed.end()) {
            errors_.push_back({Pointer(kv.key()), "is not a known field"});
        }
    }
}

core::Result<void> JsonFields::Finish() {
    if (errors_.empty()) return {};
    return Error::InvalidFields(std::move(errors_));
}

Response JsonResponse(int status, const boost::json::value& v) { return Response::Json(status, boost::json::serialize(v)); }

}  // namespace insightstream::http
