#include "aws/credentials.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <boost/json.hpp>

#include "aws/client.hpp"
#include "core/log.hpp"

namespace insightstream::aws {

using core::Error;
using core::Result;
namespace json = boost::json;

namespace {
int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The SDKs accept a full URI over plain HTTP only to the container agent or the loopback.
bool AllowedFullUri(std::string_view url) {
    if (url.starts_with("https://")) return true;
    if (!url.starts_with("http://")) return false;
    std::string_view host = url.substr(7);
    host = host.substr(0, host.find_first_of("/?#"));
    if (host.starts_with("[")) host = host.substr(0, host.find(']') + 1);
    else host = host.substr(0, host.find(':'));
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "169.254.170.2" ||
           host == "169.254.170.23" || host == "[fd00:ec2::23]" || host.starts_with("127.");
}
}  // namespace

EnvLookup ProcessEnvironment() {
    return [](const std::string& name) {
        const char* v = std::getenv(name.c_str());
        return v ? std::string(v) : std::string();
    };
}

EnvLookup MapEnvironment(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) {
        auto it = vars.find(name);
        return it == vars.end() ? std::string() : it->second;
    };
}

Result<int64_t> ParseIso8601Utc(std::string_view text) {
    std::tm tm{};
    int frac_skip = 0;
    if (text.size() < 19) return Error::InvalidArgument("not an ISO 8601 time");
    std::string head(text.substr(0, 19));
    std::istringstream in(head);
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (in.fail()) return Error::InvalidArgument("not an ISO 8601 time");
    std::string_view rest = text.substr(19);
    int64_t ms = 0;
    if (rest.starts_with(".")) {
        // Fractions of a second: milliseconds kept, finer digits dropped.
        int64_t scale = 100;
        frac_skip = 1;
        while (frac_skip < static_cast<int>(rest.size()) && std::isdigit(static_cast<unsigned char>(rest[frac_skip]))) {
            ms += (rest[frac_skip] - '0') * scale;
            scale /= 10;
            ++frac_skip;
        }
        rest = rest.substr(static_cast<size_t>(frac_skip));
    }
    if (rest != "Z" && rest != "+00:00" && rest != "UTC") return Error::InvalidArgument("not a UTC ISO 8601 time");
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

ContainerCredentials::ContainerCredentials(std::string url, std::string authorization, int timeout_ms)
    : url_(std::move(url)), authorization_(std::move(authorization)), timeout_ms_(timeout_ms) {}

int ContainerCredentials::fetches() const {
    std::scoped_lock lock(mutex_);
    return fetches_;
}

Result<void> ContainerCredentials::Fetch(int64_t now_ms) {
    ++fetches_;
    HttpExchange ex;
    ex.url = url_;
    if (!authorization_.empty()) ex.headers.emplace_back("authorization", authorization_);
    ex.connect_timeout_ms = timeout_ms_;
    ex.timeout_ms = timeout_ms_;
    auto r = Transfer(ex);
    if (!r) return Error::Unavailable("the container credentials endpoint did not answer: " + r.error().internal());
    if (!r->ok()) {
        // The body is not logged: it is the endpoint's, and could echo a token.
        return Error::Unavailable("the container credentials endpoint answered " + std::to_string(r->status));
    }
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    if (ec || !v.is_object()) return Error::Unavailable("the container credentials endpoint sent no JSON object");
    const auto& o = v.as_object();
    auto text = [&](const char* key) -> std::string {
        auto* f = o.if_contains(key);
        return f && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    Credentials c{text("AccessKeyId"), text("SecretAccessKey"), text("Token")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
        return Error::Unavailable("the container credentials endpoint sent no AccessKeyId/SecretAccessKey");
    }
    int64_t expires = now_ms + 3600 * 1000;  // no Expiration: fetch again within the hour
    if (std::string e = text("Expiration"); !e.empty()) {
        auto parsed = ParseIso8601Utc(e);
        if (!parsed) return Error::Unavailable("the container credentials endpoint sent an unreadable Expiration");
        expires = *parsed;
    }
    // Refresh 5 minutes before expiry, or after two thirds of a shorter lifetime.
    int64_t margin = std::min<int64_t>(5 * 60 * 1000, std::max<int64_t>(0, (expires - now_ms) / 3));
    creds_ = std::move(c);
    expires_ms_ = expires;
    refresh_at_ms_ = expires - margin;
    core::Log(core::LogLevel::kInfo, "aws.credentials_fetched", "container credentials",
              {{"expires_in_s", (expires - now_ms) / 1000}});
    return {};
}

Result<Credentials> ContainerCredentials::Get() {
    std::scoped_lock lock(mutex_);
    int64_t now = NowMs();
    if (now < refresh_at_ms_) return creds_;
    auto fetched = Fetch(now);
    if (!fetched) {
        if (now < expires_ms_ - 1000) {
            core::Log(core::LogLevel::kWarn, "aws.credentials_refresh_failed", fetched.error().internal(),
                      {{"expires_in_s", (expires_ms_ - now) / 1000}});
            return creds_;
        }
        return std::move(fetched).error();
    }
    return creds_;
}

Result<std::shared_ptr<CredentialsProvider>> DefaultCredentials(const EnvLookup& env) {
    std::string id = env("AWS_ACCESS_KEY_ID");
    std::string secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() || !secret.empty()) {
        if (id.empty() || secret.empty()) {
            return Error::InvalidArgument("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither");
        }
        return std::shared_ptr<CredentialsProvider>(
            std::make_shared<StaticCredentials>(Credentials{id, secret, env("AWS_SESSION_TOKEN")}));
    }
    std::string relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    std::string full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative.empty()) {
        return std::shared_ptr<CredentialsProvider>(
            std::make_shared<ContainerCredentials>("http://169.254.170.2" + relative, ""));
    }
    if (!full.empty()) {
        if (!AllowedFullUri(full)) {
            return Error::InvalidArgument(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to the loopback or the container agent");
        }
        std::string token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (std::string file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); token.empty() && !file.empty()) {
            std::ifstream in(file);
            if (!in) return Error::InvalidArgument("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            std::getline(in, token);
        }
        return std::shared_ptr<CredentialsProvider>(std::make_shared<ContainerCredentials>(full, token));
    }
    return Error::InvalidArgument(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the ECS container "
        "credentials endpoint is given (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI)");
}

}  // namespace insightstream::aws
