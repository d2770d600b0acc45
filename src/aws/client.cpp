#include "aws/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "aws/xml.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace insightstream::aws {

using core::Error;
using core::Result;
namespace json = boost::json;

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Easy handles are pooled: each keeps its own cache of live connections, so a handle taken
// again usually reuses a connection to the same host (TLS session included).
class HandlePool {
public:
    static HandlePool& Instance() {
        static HandlePool pool;
        return pool;
    }
    CURL* Take() {
        {
            std::scoped_lock lock(mutex_);
            if (!free_.empty()) {
                CURL* h = free_.back();
                free_.pop_back();
                return h;
            }
        }
        return curl_easy_init();
    }
    void Give(CURL* h) {
        curl_easy_reset(h);  // keeps the connection cache
        std::scoped_lock lock(mutex_);
        if (free_.size() < kMaxIdle) {
            free_.push_back(h);
            return;
        }
        curl_easy_cleanup(h);
    }

private:
    static constexpr size_t kMaxIdle = 64;
    HandlePool() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~HandlePool() {
        for (CURL* h : free_) curl_easy_cleanup(h);
    }
    std::mutex mutex_;
    std::vector<CURL*> free_;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

// A 2xx body goes to the caller's pages; an error answer's body (which may not fit them) to the
// response, for ReadAwsError.
struct PagesSink {
    CURL* handle;
    core::PageBuffer* pages;
    std::string* error_body;
};

size_t OnBodyPages(char* data, size_t size, size_t n, void* user) {
    auto* sink = static_cast<PagesSink*>(user);
    long status = 0;
    curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        sink->error_body->append(data, size * n);
        return size * n;
    }
    return sink->pages->Append(data, size * n);  // short: more than asked for, curl stops
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;  // non-zero: abort
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* headers = static_cast<Headers*>(user);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        headers->clear();  // a new response (after "100 Continue", or a retry on the handle)
        return size * n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return size * n;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    headers->emplace_back(Lower(line.substr(0, colon)), std::string(value));
    return size * n;
}

// AWS's error code and message from an error answer: JSON ("__type", as "prefix#Code"), the
// query-compatible header SQS adds, or S3's XML <Error><Code>.
void ReadAwsError(AwsResponse& r) {
    if (r.ok() || r.body.empty()) {
        if (!r.ok() && r.status == 404) r.error_code = "NotFound";  // HEAD has no body
        if (!r.ok() && r.status == 403 && r.error_code.empty()) r.error_code = "AccessDenied";
        if (!r.ok() && r.status == 400 && r.error_code.empty()) r.error_code = "BadRequest";
        return;
    }
    std::string_view body = r.body;
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
    if (body.starts_with("{")) {
        boost::system::error_code ec;
        auto v = json::parse(body, ec);
        if (!ec && v.is_object()) {
            const auto& o = v.as_object();
            if (auto* t = o.if_contains("__type"); t && t->is_string()) {
                std::string_view type = t->as_string();
                if (auto hash = type.rfind('#'); hash != std::string_view::npos) type = type.substr(hash + 1);
                r.error_code = std::string(type);
            }
            for (const char* key : {"message", "Message"}) {
                if (auto* m = o.if_contains(key); m && m->is_string()) r.error_message = std::string(m->as_string());
            }
        }
    } else if (body.starts_with("<")) {
        if (auto doc = ParseXml(body)) {
            const XmlNode* err = (*doc)->name == "Error" ? doc->get() : (*doc)->Child("Error");
            if (!err) {
                if (const XmlNode* errors = (*doc)->Child("Errors")) err = errors->Child("Error");
            }
            if (err) {
                r.error_code = err->ChildText("Code");
                r.error_message = err->ChildText("Message");
            }
        }
    }
    if (r.error_code.empty()) {
        if (const std::string* q = r.Header("x-amzn-query-error")) r.error_code = q->substr(0, q->find(';'));
    }
    if (r.error_code.empty()) r.error_code = "HTTP" + std::to_string(r.status);
}

std::string AmzDate(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace

const std::string* AwsResponse::Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) return &v;
    }
    return nullptr;
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
    Endpoint e;
    e.custom = true;
    auto sep = url.find("://");
    if (sep == std::string_view::npos) return Error::InvalidArgument("an endpoint URL needs a scheme: " + std::string(url));
    e.scheme = Lower(url.substr(0, sep));
    if (e.scheme != "http" && e.scheme != "https") {
        return Error::InvalidArgument("an endpoint URL must be http:// or https://: " + std::string(url));
    }
    std::string_view rest = url.substr(sep + 3);
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
        return Error::InvalidArgument("an endpoint URL is scheme://host[:port] only: " + std::string(url));
    }
    e.host = Lower(rest);
    if ((e.scheme == "http" && e.host.ends_with(":80")) || (e.scheme == "https" && e.host.ends_with(":443"))) {
        e.host.erase(e.host.rfind(':'));
    }
    return e;
}

Result<ClientSettings> SettingsFromEnvironment(std::string_view service, const EnvLookup& env) {
    ClientSettings s;
    s.service = std::string(service);
    s.region = env("AWS_REGION");
    if (s.region.empty()) s.region = env("AWS_DEFAULT_REGION");
    if (s.region.empty()) return Error::InvalidArgument("set AWS_REGION (or AWS_DEFAULT_REGION) for S3 and SQS");
    std::string upper = Lower(service);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    std::string url = env("AWS_ENDPOINT_URL_" + upper);
    if (url.empty()) url = env("AWS_ENDPOINT_URL");
    if (!url.empty()) {
        IS_TRY(s.endpoint, ParseEndpoint(url));
    } else {
        s.endpoint.scheme = "https";
        s.endpoint.host = s.service + "." + s.region + ".amazonaws.com";
        s.endpoint.custom = false;
    }
    return s;
}

Result<AwsResponse> Transfer(const HttpExchange& ex) {
    CURL* h = HandlePool::Instance().Take();
    if (!h) return Error::Unavailable("libcurl: cannot create a handle");
    AwsResponse r;
    curl_slist* list = nullptr;
    for (const auto& [k, v] : ex.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip: parts are sent whole
    curl_easy_setopt(h, CURLOPT_URL, ex.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ex.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(ex.timeout_ms));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    PagesSink pages{h, ex.body_into, &r.body};
    if (ex.body_into) {
        ex.body_into->Clear();
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBodyPages);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &pages);
    } else {
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
    if (ex.cancel) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(ex.cancel));
    }
    if (ex.method == "HEAD") {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (ex.method == "GET") {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, ex.method.c_str());
        if (ex.method == "POST" || ex.method == "PUT" || !ex.body.empty()) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(ex.body.size()));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, ex.body.data());
        }
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        // A failed transfer may leave the connection in any state: drop the handle and its cache.
        curl_easy_cleanup(h);
        std::string why = std::string(curl_easy_strerror(rc));
        if (rc == CURLE_OPERATION_TIMEDOUT) return Error::DeadlineExceeded(why);
        return Error::Unavailable(why);
    }
    HandlePool::Instance().Give(h);
    ReadAwsError(r);
    return r;
}

core::Error DependencyError(std::string_view dependency, std::string_view service, std::string_view action,
                            const AwsResponse& r, int retry_after_s) {
    return Error(core::ErrorCode::kUnavailable, std::string(dependency) + " is unavailable (" + std::string(service) +
                                                    " answered " + r.error_code + "); retry later")
        .WithInternal(std::string(service) + " " + std::string(action) + ": HTTP " + std::to_string(r.status) + " " +
                      r.error_code + ": " + r.error_message)
        .WithRetryAfter(retry_after_s);
}

Result<std::string> CallerAccount(const AwsClient& client) {
    ClientSettings sts = client.settings();
    sts.service = "sts";
    std::string url = ProcessEnvironment()("AWS_ENDPOINT_URL_STS");
    if (!url.empty()) {
        IS_TRY(sts.endpoint, ParseEndpoint(url));
    } else if (!sts.endpoint.custom) {
        sts.endpoint.host = "sts." + sts.region + ".amazonaws.com";
    }
    AwsClient caller(sts, client.shared_credentials());
    AwsRequest req;
    req.method = "POST";
    req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    IS_TRY(auto r, caller.Send(req));
    if (!r.ok()) return DependencyError("AWS STS", "STS", "GetCallerIdentity", r, 1);
    auto doc = ParseXml(r.body);
    if (!doc) return Error::Unavailable("STS GetCallerIdentity: " + doc.error().internal());
    const XmlNode* result = (*doc)->Child("GetCallerIdentityResult");
    std::string account = result ? result->ChildText("Account") : "";
    if (account.empty()) return Error::Unavailable("STS GetCallerIdentity answered without an Account");
    return account;
}

bool IsRetryableErrorCode(std::string_view code) {
    static constexpr std::string_view kCodes[] = {
        // throttling
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
        // transient
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable"};
    return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

AwsClient::AwsClient(ClientSettings settings, std::shared_ptr<CredentialsProvider> credentials)
    : settings_(std::move(settings)), credentials_(std::move(credentials)) {}

bool AwsClient::TakeRetryToken(int cost) {
    int have = retry_quota_.load();
    while (have >= cost) {
        if (retry_quota_.compare_exchange_weak(have, have - cost)) return true;
    }
    return false;
}

void AwsClient::ReturnRetryTokens(int n) {
    int have = retry_quota_.load();
    while (!retry_quota_.compare_exchange_weak(have, std::min(500, have + n))) {
    }
}

Result<AwsResponse> AwsClient::Send(const AwsRequest& req) {
    thread_local std::mt19937 rng{std::random_device{}()};
    int spent = 0;
    for (int attempt = 1;; ++attempt) {
        auto r = SendOnce(req);
        bool retryable = false;
        int cost = 5;
        if (!r) {
            retryable = r.error().retriable();
            if (r.error().code() == core::ErrorCode::kDeadlineExceeded) cost = 10;
        } else if (!r->ok()) {
            retryable = r->status >= 500 || r->status == 429 || IsRetryableErrorCode(r->error_code);
        }
        if (!retryable) {
            // A success gives back what its retries took, or one token when it needed none.
            if (r && r->ok()) ReturnRetryTokens(spent > 0 ? spent : 1);
            return r;
        }
        bool cancelled = req.cancel && req.cancel->load();
        if (cancelled || attempt >= settings_.max_attempts || !TakeRetryToken(cost)) {
            if (r) return r;
            // To the service's callers a dependency that timed out is as unavailable as one that
            // refused: 503 with Retry-After, the timeout in the log.
            auto e = std::move(r).error();
            if (e.code() != core::ErrorCode::kDeadlineExceeded) return e;
            return Error(core::ErrorCode::kUnavailable, e.detail()).WithInternal(e.internal()).WithRetryAfter(1);
        }
        spent += cost;
        ++retries_;
        // Standard mode: a random share of min(20 s, 2^(attempt-1) s) — full jitter.
        double cap_ms = std::min(20000.0, 1000.0 * std::pow(2.0, attempt - 1));
        std::uniform_real_distribution<double> jitter(0.0, 1.0);
        int wait_ms = static_cast<int>(cap_ms * jitter(rng));
        core::Log(core::LogLevel::kDebug, "aws.retry", "retrying an AWS request",
                  {{"service", settings_.service},
                   {"attempt", attempt},
                   {"wait_ms", wait_ms},
                   {"reason", r ? r->error_code : r.error().internal()}});
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
}

Result<AwsResponse> AwsClient::SendOnce(const AwsRequest& req) {
    auto creds = credentials_->Get();
    if (!creds) return std::move(creds).error();
    SignableRequest s;
    s.method = req.method;
    s.encoded_path = req.path;
    s.query = req.query;
    s.headers = req.headers;
    std::string host = req.host.empty() ? settings_.endpoint.host : req.host;
    std::string date = AmzDate(std::time(nullptr));
    s.headers.emplace_back("host", host);
    s.headers.emplace_back("x-amz-date", date);
    if (!creds->session_token.empty()) s.headers.emplace_back("x-amz-security-token", creds->session_token);
    s.payload_sha256_hex = req.sign_payload ? core::Sha256Hex(req.body) : "UNSIGNED-PAYLOAD";
    if (settings_.service == "s3") s.headers.emplace_back("x-amz-content-sha256", s.payload_sha256_hex);
    SigningScope scope{settings_.region, settings_.service, date};
    std::string auth = Authorization(s, scope, *creds);

    HttpExchange ex;
    ex.method = req.method;
    ex.url = settings_.endpoint.scheme + "://" + host + req.path;
    // The query is sent exactly as it was signed: sorted, each part encoded once.
    std::vector<std::pair<std::string, std::string>> q;
    for (const auto& [k, v] : req.query) q.emplace_back(UriEncode(k, false), UriEncode(v, false));
    std::sort(q.begin(), q.end());
    for (size_t i = 0; i < q.size(); ++i) ex.url += (i == 0 ? "?" : "&") + q[i].first + "=" + q[i].second;
    ex.headers = std::move(s.headers);
    ex.headers.emplace_back("authorization", std::move(auth));
    ex.body = req.body;
    ex.body_into = req.body_into;
    ex.cancel = req.cancel;
    ex.connect_timeout_ms = settings_.connect_timeout_ms;
    ex.timeout_ms = settings_.request_timeout_ms + req.extra_timeout_ms;
    auto r = Transfer(ex);
    if (!r) {
        auto e = std::move(r).error();
        std::string what = settings_.service == "s3"    ? "the object store (S3)"
                           : settings_.service == "sqs" ? "the job queue (SQS)"
                                                        : "AWS " + settings_.service;
        return Error(e.code(), what + " did not answer; retry later")
            .WithInternal(settings_.service + " " + req.method + " " + host + ": " + e.internal())
            .WithRetryAfter(1);
    }
    return r;
}

}  // namespace insightstream::aws
