#include "gateway/proxy.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <boost/algorithm/string/predicate.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <cstdio>
#include <set>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/trace.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace insightstream::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using core::Error;
using core::Result;

namespace {

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Error ServiceDown(const std::string& service, const std::string& why) {
    return Error(core::ErrorCode::kUnavailable, "the " + service + " service is unavailable; retry later")
        .WithSlug("service-unavailable")
        .WithInternal(service + ": " + why)
        .WithRetryAfter(1);
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and the framing the gateway sets itself.
bool HopByHop(std::string_view name) {
    static const std::set<std::string, std::less<>> kHop{"connection", "keep-alive", "proxy-connection", "te",
                                                         "trailer", "transfer-encoding", "upgrade", "expect",
                                                         "content-length", "host", "proxy-authorization"};
    return kHop.count(name) > 0;
}

constexpr size_t kMaxIdlePerInstance = 16;
constexpr int64_t kMaxIdleMs = 10'000;  // below the services' own keep-alive limit
constexpr int kStreamPollMs = 20;        // how often a quiet answer stream is looked at
constexpr int64_t kMidAnswerMs = 50;     // bytes this recent: the answer is still coming
constexpr int kMidAnswerWaitMs = 5;      // the wait for its next bytes on the handler thread
constexpr uint64_t kWholeAnswerBytes = 1 << 20;  // answers up to this length are read whole

}  // namespace

// One connection to one upstream instance, driven synchronously on the calling (pool) thread
// with deadlines: each step runs the io_context until it finishes or its timer fires. Kept alive
// between requests in the instance's idle list.
struct Exchange {
    asio::io_context io;
    beast::tcp_stream stream{io};
    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
    std::vector<char> chunk = std::vector<char>(64 * 1024);
    int64_t idle_since_ms = 0;
    bool reused = false;

    template <class Start>
    beast::error_code Run(int timeout_ms, Start start) {
        beast::error_code result = asio::error::would_block;
        stream.expires_after(std::chrono::milliseconds(timeout_ms));
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        io.restart();
        io.run();
        return result;
    }
    // Resolves and connects within `timeout_ms`.
    beast::error_code Connect(const std::string& host, const std::string& port, int timeout_ms) {
        tcp::resolver resolver(io);
        beast::error_code ec;
        auto addrs = resolver.resolve(host, port, ec);
        if (ec) return ec;
        return Run(timeout_ms, [&](auto h) { stream.async_connect(addrs, std::move(h)); });
    }
    // Reads the head of the next answer (an interim 100 or the final one) into the parser.
    beast::error_code ReadHead(int timeout_ms) {
        return Run(timeout_ms, [&](auto h) { bhttp::async_read_header(stream, buffer, *parser, std::move(h)); });
    }
    // A fresh parser for the next response (an interim 100, or the next request's answer).
    void NewParser() {
        parser.emplace();
        parser->body_limit(boost::none);
    }
    // Whether bytes (or the end) wait on the socket, waiting at most `wait_ms` for them.
    bool Readable(int wait_ms = 0) {
        pollfd p{stream.socket().native_handle(), POLLIN, 0};
        return ::poll(&p, 1, wait_ms) > 0;
    }
    // Whether the idle connection is still open: the service may have closed it meanwhile.
    bool StillOpen() {
        char c;
        ssize_t n = ::recv(stream.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

namespace {

std::shared_ptr<Exchange> TakeIdle(Upstreams::Instance& to) {
    std::scoped_lock lock(to.idle_mutex);
    while (!to.idle.empty()) {
        auto ex = std::move(to.idle.back());
        to.idle.pop_back();
        if (NowMs() - ex->idle_since_ms < kMaxIdleMs && ex->buffer.size() == 0 && ex->StillOpen()) {
            ex->reused = true;
            return ex;
        }
    }
    return nullptr;
}

void GiveBack(Upstreams::Instance& to, std::shared_ptr<Exchange> ex) {
    ex->idle_since_ms = NowMs();
    std::scoped_lock lock(to.idle_mutex);
    if (to.idle.size() < kMaxIdlePerInstance) to.idle.push_back(std::move(ex));
}

class ProxySink final : public http::BodySink {
public:
    ProxySink(Upstreams& upstreams, std::string service, Upstreams::Instance& instance, bool chunked, bool head,
              bool has_body, bool expect_continue, bool idempotent)
        : upstreams_(upstreams), service_(std::move(service)), instance_(instance), chunked_(chunked), head_(head),
          has_body_(has_body), expect_continue_(expect_continue), idempotent_(idempotent) {}

    // Sends the request head on a kept-alive connection, or a new one; with Expect: 100-continue,
    // waits for the service's go-ahead (or its early final answer).
    Result<void> Connect(const std::string& head_text) {
        head_text_ = head_text;
        beast::error_code ec;
        for (int round = 0; round < 2; ++round) {
            ex_ = round == 0 ? TakeIdle(instance_) : nullptr;
            if (ex_) {
                ex_->NewParser();
            } else {
                ec = OpenNew();
            }
            if (!ec) ec = Send(head_text);
            if (!ec || !ex_->reused) break;
            ec = {};  // a kept-alive connection the service had closed: once more on a new one
        }
        if (!ec && expect_continue_ && has_body_) {
            ec = ex_->ReadHead(upstreams_.settings().response_timeout_ms);
            if (!ec && ex_->parser->get().result_int() == 100) {
                ex_->NewParser();  // the go-ahead: the final answer comes after the body
            } else if (!ec) {
                early_ = true;  // refused before the body: the client never sends it
            }
        }
        if (ec) {
            upstreams_.Report(instance_, false);
            return ServiceDown(service_, instance_.host + ":" + instance_.port + ": " + ec.message());
        }
        return {};
    }

    std::optional<Result<http::Response>> EarlyAnswer() override {
        if (!early_) return std::nullopt;
        reusable_ = false;  // the body stays unsent: the service closes this connection
        return Answer();
    }

    Result<void> Write(std::string_view data) override {
        if (broken_ || data.empty()) return {};  // an upstream that answered early: the rest is dropped
        if (body_sent_ == 0) SetUserTimeout(static_cast<unsigned>(upstreams_.settings().response_timeout_ms));
        beast::error_code ec;
        if (chunked_) {
            char size[24];
            int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
            // One gathered write: size line, data, CRLF.
            std::array<asio::const_buffer, 3> pieces{asio::buffer(size, static_cast<size_t>(n)), asio::buffer(data),
                                                     asio::buffer("\r\n", 2)};
            ec = ex_->Run(upstreams_.settings().response_timeout_ms,
                          [&](auto h) { asio::async_write(ex_->stream, pieces, std::move(h)); });
        } else {
            ec = Send(data);
        }
        body_sent_ += data.size();
        if (ec) {
            broken_ = true;
            core::Log(core::LogLevel::kWarn, "gateway.upstream_write_failed", ec.message(),
                      {{"service", service_}, {"bytes_sent", std::to_string(body_sent_)}});
        }
        return {};
    }

    Result<http::Response> Finish() override {
        if (chunked_ && !broken_) (void)Send("0\r\n\r\n");
        reusable_ = !broken_;
        return Answer();
    }

private:
    // Reads the service's answer head and hands the body on as a stream; the connection goes back
    // to the idle list once the answer was read to its end.
    Result<http::Response> Answer() {
        auto ex = ex_;
        if (head_) ex->parser->skip(true);
        beast::error_code ec;
        if (!early_) {
            ec = ex->ReadHead(upstreams_.settings().response_timeout_ms);
            // Only when the service closed it before answering anything, and only for a request
            // that may be sent twice (a timeout or a half answer is never retried).
            bool closed_under_us = ec == asio::error::eof || ec == asio::error::connection_reset ||
                                   ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream;
            if (ec && closed_under_us && ex->reused && body_sent_ == 0 && !has_body_ && !ex->parser->got_some() &&
                idempotent_) {
                // A kept-alive connection closed under a request without a body: safe to send again.
                ex_ = nullptr;
                auto retried = RetryOnNewConnection();
                if (!retried) return std::move(retried).error();
                ex = ex_;
                if (head_) ex->parser->skip(true);
                ec = ex->ReadHead(upstreams_.settings().response_timeout_ms);
            }
        }
        if (ec) {
            upstreams_.Report(instance_, false);
            return ServiceDown(service_, "no answer: " + ec.message());
        }
        // The service has read the body (it answered): the short limit is back. Not before: the
        // body's last bytes may wait in the kernel's send buffer while the service still stores.
        if (body_sent_ > 0 && !broken_) SetUserTimeout(kVanishedMs);
        upstreams_.Report(instance_, true);
        const auto& msg = ex->parser->get();
        http::Response resp;
        resp.status = static_cast<int>(msg.result_int());
        for (const auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            // A HEAD's Content-Length is the length of the GET's body, not framing: it passes on.
            if (head_ && name == "content-length") {
                resp.Header("Content-Length", std::string(f.value()));
                continue;
            }
            if (HopByHop(name) || name == "x-request-id") continue;
            resp.Header(std::string(f.name_string()), std::string(f.value()));
        }
        bool keep = reusable_ && msg.keep_alive();
        Upstreams::Instance& to = instance_;
        if (ex->parser->is_done()) {  // no body (204, 304, HEAD, Content-Length: 0)
            if (keep) GiveBack(to, ex);
            return resp;
        }
        int timeout_ms = upstreams_.settings().response_timeout_ms;
        // An answer of a known, small length (most API answers) is read whole here and sent on as
        // one body: relaying it as a stream would cost the server a hand-off to its pool for
        // every piece and the client a chunked body.
        if (const auto length = ex->parser->content_length(); !head_ && length && *length <= kWholeAnswerBytes) {
            bhttp::response_parser<bhttp::string_body> whole{std::move(*ex->parser)};
            whole.body_limit(kWholeAnswerBytes);
            ec = ex->Run(timeout_ms, [&](auto h) { bhttp::async_read(ex->stream, ex->buffer, whole, std::move(h)); });
            ex->parser.reset();  // a connection taken from the idle list gets a new one
            ex_ = nullptr;       // done with it: from the idle list another request may take it at once
            if (ec) {
                upstreams_.Report(instance_, false);
                return ServiceDown(service_, "the answer broke off: " + ec.message());
            }
            resp.body = std::move(whole.get().body());
            if (keep) GiveBack(to, std::move(ex));
            return resp;
        }
        // The body is relayed as it comes, without holding a handler thread while the service is
        // quiet (an event stream may be for an hour): when nothing has arrived the source answers
        // "" at once and the server asks again after its own timer.
        resp.stream_poll_ms = kStreamPollMs;
        auto last_data_ms = std::make_shared<int64_t>(NowMs());
        // The source owns the connection until the answer's end; then it lets go of it for good
        // (back to the idle list, where another request may take it at once) and only says "end".
        resp.stream = [ex, timeout_ms, keep, &to, last_data_ms]() mutable -> Result<std::optional<std::string>> {
            if (!ex || ex->parser->is_done()) return std::optional<std::string>();
            auto& body = ex->parser->get().body();
            body.data = ex->chunk.data();
            body.size = ex->chunk.size();
            auto piece = [&]() -> Result<std::optional<std::string>> {
                std::string got(ex->chunk.data(), ex->chunk.size() - body.size);
                if (ex->parser->is_done()) {
                    if (keep) GiveBack(to, std::move(ex));
                    ex = nullptr;
                }
                return std::optional<std::string>(std::move(got));
            };
            // First what is buffered already, parsed without touching the socket (it may hold only
            // part of the next chunk's framing, and the rest may be minutes away).
            while (ex->buffer.size() > 0 && !ex->parser->is_done()) {
                beast::error_code ec;
                size_t used = ex->parser->put(ex->buffer.data(), ec);
                ex->buffer.consume(used);
                if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) break;
                if (ec) return Error::Unavailable("the upstream answer is malformed: " + ec.message());
                if (used == 0 || body.size < ex->chunk.size()) break;
            }
            if (body.size < ex->chunk.size() || ex->parser->is_done()) {
                *last_data_ms = NowMs();
                return piece();
            }
            // In the middle of an answer (bytes came just now) the next ones are most often a
            // moment away: wait up to kMidAnswerWaitMs for them on this thread rather than hand
            // back and be asked again after the server's kStreamPollMs (which made every large
            // answer through the gateway 20 ms slower per pause). A quiet stream costs nothing.
            const bool mid_answer = NowMs() - *last_data_ms < kMidAnswerMs;
            if (!ex->Readable(mid_answer ? kMidAnswerWaitMs : 0)) {
                if (NowMs() - *last_data_ms > timeout_ms) return Error::Unavailable("the upstream stopped answering");
                return std::optional<std::string>(std::string());
            }
            *last_data_ms = NowMs();
            auto ec = ex->Run(timeout_ms, [&](auto h) { bhttp::async_read_some(ex->stream, ex->buffer, *ex->parser, std::move(h)); });
            if (ec == bhttp::error::need_buffer) ec = {};
            if (ec) return Error::Unavailable("the upstream answer broke off: " + ec.message());
            return piece();
        };
        return resp;
    }

    // A new connection to the instance, ready for a request.
    beast::error_code OpenNew() {
        ex_ = std::make_shared<Exchange>();
        ex_->NewParser();
        beast::error_code ec = ex_->Connect(instance_.host, instance_.port, upstreams_.settings().connect_timeout_ms);
        if (!ec) SetUserTimeout(kVanishedMs);
        return ec;
    }

    // A host that vanished without closing (power loss, a partition) shows as a send no one
    // acknowledges: the kernel gives up on the connection after kVanishedMs, instead of a
    // kept-alive connection waiting out the whole response deadline. While a body streams, the
    // same limit would also end an upload whose service is only slow to read (a full receive
    // window is back-pressure, not a vanished host: the load test lost 6 of 100 uploads to it), so
    // a body is sent under the response deadline and the short limit comes back with the answer's
    // head.
    static constexpr unsigned kVanishedMs = 5000;
    void SetUserTimeout(unsigned ms) {
        ::setsockopt(ex_->stream.socket().native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
    }

    Result<void> RetryOnNewConnection() {
        beast::error_code ec = OpenNew();
        if (!ec) ec = Send(head_text_);
        if (ec) {
            upstreams_.Report(instance_, false);
            return ServiceDown(service_, instance_.host + ":" + instance_.port + ": " + ec.message());
        }
        return {};
    }

    beast::error_code Send(std::string_view bytes) {
        return ex_->Run(upstreams_.settings().response_timeout_ms,
                        [&](auto h) { asio::async_write(ex_->stream, asio::buffer(bytes), std::move(h)); });
    }

    Upstreams& upstreams_;
    std::string service_;
    Upstreams::Instance& instance_;
    bool chunked_;
    bool head_;
    bool has_body_;
    bool expect_continue_;
    bool idempotent_;  // GET, HEAD, OPTIONS: safe to send again
    bool early_ = false;
    bool broken_ = false;
    bool reusable_ = false;
    uint64_t body_sent_ = 0;
    std::string head_text_;
    std::shared_ptr<Exchange> ex_;
};

// The request head for the upstream: the client's end-to-end headers, the gateway's framing and
// the forwarding headers (X-Forwarded-For, X-Request-Id, traceparent).
std::string UpstreamHead(const http::Request& req, const Upstreams::Instance& to, bool chunked, bool expect_continue) {
    std::string h = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + to.host + ":" + to.port + "\r\n";
    for (const auto& [k, v] : req.headers) {
        if (HopByHop(k) || k == "x-request-id" || k == "traceparent" || k == "x-forwarded-for") continue;
        h += k + ": " + v + "\r\n";
    }
    // The client address as the gateway determined it (from the connection, or from a load
    // balancer's X-Forwarded-For when --trust-forwarded-for is set here): a client's own header
    // never reaches the services, which trust this one.
    h += "X-Forwarded-For: " + req.remote_ip + "\r\n";
    h += "X-Request-Id: " + req.request_id + "\r\n";
    // The upstream's span is a child of the gateway's.
    h += "traceparent: " + core::FormatTraceparent(req.trace_id, req.span_id) + "\r\n";
    if (chunked) {
        h += "Transfer-Encoding: chunked\r\n";
    } else if (req.content_length) {
        h += "Content-Length: " + std::to_string(*req.content_length) + "\r\n";
    }
    if (expect_continue) h += "Expect: 100-continue\r\n";
    h += "\r\n";
    return h;
}

}  // namespace

Result<std::unique_ptr<Upstreams>> Upstreams::Parse(const std::vector<std::string>& specs, UpstreamSettings settings) {
    auto u = std::make_unique<Upstreams>();
    u->settings_ = settings;
    for (const auto& spec : specs) {
        auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) {
            return Error::InvalidArgument("--upstream is SERVICE=http://host:port[,http://host:port]: " + spec);
        }
        auto service = std::make_unique<Service>();
        std::string urls = spec.substr(eq + 1);
        size_t pos = 0;
        while (pos <= urls.size()) {
            size_t end = urls.find(',', pos);
            if (end == std::string::npos) end = urls.size();
            std::string url = urls.substr(pos, end - pos);
            pos = end + 1;
            if (url.empty()) continue;
            if (!url.starts_with("http://")) return Error::InvalidArgument("an upstream is http://host:port: " + url);
            std::string hostport = url.substr(7);
            while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
            auto colon = hostport.rfind(':');
            auto inst = std::make_unique<Instance>();
            inst->host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
            inst->port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
            if (inst->host.empty() || inst->port.empty()) return Error::InvalidArgument("an upstream needs a host: " + url);
            service->instances.push_back(std::move(inst));
        }
        if (service->instances.empty()) return Error::InvalidArgument("--upstream names no instance: " + spec);
        u->services_[spec.substr(0, eq)] = std::move(service);
    }
    return u;
}

Result<Upstreams::Instance*> Upstreams::Pick(const std::string& service, const std::vector<const Instance*>& skip) {
    auto it = services_.find(service);
    if (it == services_.end()) return ServiceDown(service, "no --upstream for it on this gateway");
    auto& s = *it->second;
    auto skipped = [&](const Instance& inst) { return std::find(skip.begin(), skip.end(), &inst) != skip.end(); };
    int64_t now = NowMs();
    // One turn of the round robin per call, walked from there: other requests moving the counter
    // meanwhile cannot make this one see an instance twice and miss another.
    size_t n = s.instances.size();
    size_t start = s.next.fetch_add(1);
    for (size_t i = 0; i < n; ++i) {
        Instance& inst = *s.instances[(start + i) % n];
        if (inst.open_until_ms.load() <= now && !skipped(inst)) return &inst;
    }
    // Every circuit is open: at most one request a second tries an instance anyway (half-open),
    // so a service that comes back is used again within a second; the others get 503 at once.
    int64_t last = s.last_trial_ms.load();
    if (now - last >= 1000 && s.last_trial_ms.compare_exchange_strong(last, now)) {
        for (size_t i = 0; i < n; ++i) {
            Instance& inst = *s.instances[(start + i) % n];
            if (!skipped(inst)) return &inst;
        }
    }
    return ServiceDown(service, skip.empty() ? "every instance failed recently (circuit open)"
                                             : "no other instance to try");
}

void Upstreams::Report(Instance& instance, bool ok) {
    if (ok) {
        instance.failures = 0;
        instance.open_until_ms = 0;  // closed again
        return;
    }
    if (++instance.failures >= settings_.failures_to_open) {
        instance.open_until_ms = NowMs() + settings_.open_ms;
        core::Log(core::LogLevel::kWarn, "gateway.circuit_open", "an upstream instance is skipped for a while",
                  {{"instance", instance.host + ":" + instance.port}, {"open_ms", settings_.open_ms}});
    }
}

size_t Upstreams::Instances(const std::string& service) const {
    auto it = services_.find(service);
    return it == services_.end() ? 0 : it->second->instances.size();
}

bool Upstreams::Reachable(const std::string& service) const {
    auto it = services_.find(service);
    if (it == services_.end()) return false;
    for (const auto& inst : it->second->instances) {
        Exchange ex;
        if (!ex.Connect(inst->host, inst->port, 300)) return true;
    }
    return false;
}

void RegisterForwarding(http::Router& router, const std::vector<http::Route>& table, Upstreams& upstreams) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : table) {
        if (r.service.empty() || !seen.insert({r.method, r.pattern}).second) continue;
        http::RouteOptions o;
        o.access = http::Access::kPublic;  // the service authenticates; the gateway only routes
        o.body_limit = 0;                  // and the service enforces its own limits
        std::string service = r.service;
        o.sink = [&upstreams, service](http::Request& req) -> Result<std::unique_ptr<http::BodySink>> {
            const std::string* te = req.Header("transfer-encoding");
            bool chunked = !req.content_length && te != nullptr;
            bool has_body = chunked || (req.content_length && *req.content_length > 0);
            const std::string* expect = req.Header("expect");
            bool expect_continue = has_body && expect && boost::iequals(*expect, "100-continue");
            // Nothing of the body has been read yet: an instance that cannot be reached is
            // skipped for the next one, until every instance was tried once.
            // Each instance at most once per request (other requests move the round robin on
            // meanwhile, so "the next one" alone could be the same dead instance again).
            std::vector<const Upstreams::Instance*> tried;
            std::optional<Error> last;
            while (tried.size() < upstreams.Instances(service)) {
                auto to = upstreams.Pick(service, tried);
                if (!to) {
                    if (!last) last = std::move(to).error();
                    break;
                }
                tried.push_back(*to);
                bool idempotent = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS";
                auto sink = std::make_unique<ProxySink>(upstreams, service, **to, chunked, req.method == "HEAD", has_body,
                                                        expect_continue, idempotent);
                auto connected = sink->Connect(UpstreamHead(req, **to, chunked, expect_continue));
                if (connected) return std::unique_ptr<http::BodySink>(std::move(sink));
                last = std::move(connected).error();
            }
            if (!last) last = upstreams.Pick(service).error();
            core::Log(core::LogLevel::kWarn, "gateway.unavailable", "no instance of the service could be reached",
                      {{"service", service}, {"tried", static_cast<int64_t>(tried.size())}, {"reason", last->internal()}});
            return std::move(*last);
        };
        router.SetService(service);
        router.Add(r.method, r.pattern,
                   [](http::Request&) -> Result<http::Response> { return Error::Internal("a forwarding route ran its handler"); },
                   std::move(o));
    }
    router.SetService("");
}

}  // namespace insightstream::gateway
