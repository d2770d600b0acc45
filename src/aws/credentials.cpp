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

#include <arpa/inet.h>
#include <curl/curl.h>
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

// The SDKs accept a full URI over plain HTTP only to the container agent or the loopback. The URL
// is parsed by libcurl (as it will be fetched), with no user part, so "http://localhost:1@evil/"
// cannot pass for the loopback.
bool AllowedFullUri(const std::string& url) {
    CURLU* u = curl_url();
    if (!u) return false;
    bool ok = false;
    char* scheme = nullptr;
    char* host = nullptr;
    char* user = nullptr;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER) {
        std::string_view sc(scheme), h(host);
        if (sc == "https") {
            ok = true;
        } else if (sc == "http") {
            static constexpr std::string_view kAllowed[] = {"localhost", "[::1]", "169.254.170.2", "169.254.170.23",
                                                            "[fd00:ec2::23]"};
            ok = std::find(std::begin(kAllowed), std::end(kAllowed), h) != std::end(kAllowed);
            // 127.0.0.0/8, numerically: four dot-separated numbers, the first 127.
            in_addr a{};
            if (!ok && inet_pton(AF_INET, std::string(h).c_str(), &a) == 1) ok = (ntohl(a.s_addr) >> 24) == 127;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return ok;
}

std::string ReadTokenFile(const std::string& path) {
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
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

ContainerCredentials::ContainerCredentials(std::string url, std::string authorization, std::string token_file,
                                           int timeout_ms)
    : url_(std::move(url)), authorization_(std::move(authorization)), token_file_(std::move(token_file)),
      timeout_ms_(timeout_ms) {}

int ContainerCredentials::fetches() const {
    std::scoped_lock lock(mutex_);
    return fetches_;
}

Result<void> ContainerCredentials::Fetch(int64_t now_ms) {
    ++fetches_;
    HttpExchange ex;
    ex.url = url_;
    // A token file is read on every fetch: the platform rotates it.
    std::string authorization = token_file_.empty() ? authorization_ : ReadTokenFile(token_file_);
    if (!token_file_.empty() && authorization.empty()) {
        return Error::Unavailable("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is empty or unreadable");
    }
    if (!authorization.empty()) ex.headers.emplace_back("authorization", authorization);
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
    // After a failed refresh the endpoint is asked again at most once a second, so that while it
    // is down requests with still-valid keys do not each wait for it.
    if (now < retry_at_ms_ && now < expires_ms_ - 1000) return creds_;
    auto fetched = Fetch(now);
    if (!fetched) retry_at_ms_ = now + 1000;
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
            std::make_shared<ContainerCredentials>("http://169.254.170.2" + relative, "", ""));
    }
    if (!full.empty()) {
        if (!AllowedFullUri(full)) {
            return Error::InvalidArgument(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to the loopback or the container agent");
        }
        std::string token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        std::string file = token.empty() ? env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") : "";
        if (!file.empty() && ReadTokenFile(file).empty()) {
            return Error::InvalidArgument("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        }
        return std::shared_ptr<CredentialsProvider>(std::make_shared<ContainerCredentials>(full, token, file));
    }
    return Error::InvalidArgument(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the ECS container "
        "credentials endpoint is given (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI)");
}

}  // namespace insightstream::aws
