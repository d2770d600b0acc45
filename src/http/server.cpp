#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/trace.hpp"
#include "core/text.hpp"
#include "http/problem.hpp"

namespace insightstream::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using core::Error;
using core::LogLevel;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// A streamed body is read and stored in pieces of this size, two per upload: one being read from
// the socket while the other is hashed and written (see StreamBody).
constexpr size_t kBodyPiece = 512 << 10;

// Where the reading of a streamed body is (FillPiece).
struct BodyRead {
    bool direct = false;     // a known length, not chunked: read straight from the socket
    uint64_t remaining = 0;  // direct: body bytes not read yet
    uint64_t total = 0;
    uint64_t limit = 0;      // the route's body limit (0: none)
    std::chrono::steady_clock::time_point begun;
    bool done = false;
    bool broken = false;     // the connection cannot carry another request
    std::optional<Error> error;
};

struct SessionState {
    explicit SessionState(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    bool busy = false;  // touched only on the session's strand
};

using Parser = bhttp::request_parser<bhttp::buffer_body>;

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool SaneRequestId(std::string_view s) {
    if (s.empty() || s.size() > 128) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

std::string NewRequestId() {
    char raw[12];
    core::FastIdBytes(raw, sizeof raw);
    return "req_" + core::Base64UrlEncode(std::string_view(raw, sizeof raw));
}

// Every text of the request that a handler may store or echo is valid UTF-8 without NUL or
// control characters (core/text.hpp): the decoded path, each query key and value, and the
// header values that are stored (User-Agent, in the audit log).
std::optional<Error> CheckText(const Request& req) {
    auto bad = [](const std::string& what, const std::string& why) {
        return Error::InvalidArgument(what + " " + why).WithSlug("invalid-text");
    };
    if (auto why = core::TextProblem(req.path)) return bad("the path", *why);
    for (const auto& [k, v] : req.query) {
        if (auto why = core::TextProblem(k)) return bad("a query parameter name", *why);
        if (auto why = core::TextProblem(v)) return bad("the query parameter `" + k + "`", *why);
    }
    if (const std::string* ua = req.Header("user-agent")) {
        if (auto why = core::TextProblem(*ua)) return bad("the User-Agent header", *why);
    }
    return std::nullopt;
}

// Input that breaks HTTP (a malformed head, chunk size or extension, a bad chunk trailer): answered
// 400 and the connection closed, unlike a client that simply went away.
bool IsHttpSyntaxError(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more &&
           ec != bhttp::error::need_buffer && ec != bhttp::error::body_limit;
}

Error MalformedBody(const beast::error_code& ec) {
    return Error::InvalidArgument("the request body is not valid HTTP/1.1 (" + ec.message() + ")")
        .WithSlug("malformed-request");
}

}  // namespace

struct HttpServer::Impl {
    Impl(ServerSettings s, const Router& r, core::Metrics& m, ServerHooks h)
        : settings(std::move(s)),
          router(r),
          metrics(m),
          hooks(std::move(h)),
          acceptor(asio::make_strand(io)),
          pool(static_cast<size_t>(std::max(2, settings.handler_threads))),
          body_pool(static_cast<size_t>(std::max(2, settings.handler_threads))),
          relay_pool(static_cast<size_t>(std::max(2, settings.handler_threads))) {}

    ServerSettings settings;
    const Router& router;
    core::Metrics& metrics;
    ServerHooks hooks;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::acceptor acceptor;
    asio::thread_pool pool;
    // Streamed bodies (uploads) are stored on a pool of their own: a hundred uploads whose store
    // is slow (a disk, S3, an upstream that reads slowly behind the gateway) hold those threads,
    // never the ones reads are answered on (the load test: bench/README.md).
    asio::thread_pool body_pool;
    // A streaming route's request without a body (every read through the gateway) waits on its
    // upstream on a third pool: never behind uploads, and never holding the threads this
    // process's own routes (health, readiness, metrics) are answered on.
    asio::thread_pool relay_pool;
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<bool> stopped{false};
    std::atomic<int64_t> in_flight{0};
    std::mutex sessions_mutex;
    std::map<SessionState*, std::weak_ptr<SessionState>> sessions;

    template <class F>
    asio::awaitable<std::invoke_result_t<F&>> OnPool(F f, asio::thread_pool* on = nullptr) {
        using R = std::invoke_result_t<F&>;
        // co_spawn needs a default-constructible result, which Result<T> is not.
        auto out = co_await asio::co_spawn(
            on != nullptr ? *on : pool,
            [f = std::move(f)]() mutable -> asio::awaitable<std::optional<R>> { co_return std::optional<R>(f()); },
            asio::use_awaitable);
        co_return std::move(*out);
    }

    asio::awaitable<void> AcceptLoop();
    asio::awaitable<void> Session(std::shared_ptr<SessionState> st);
    asio::awaitable<bool> HandleOne(const std::shared_ptr<SessionState>& st, beast::flat_buffer& buffer,
                                    Parser& parser, const std::string& peer);
    asio::awaitable<beast::error_code> ReadHead(SessionState& st, beast::flat_buffer& buffer, Parser& parser,
                                                bool* folded);
    asio::awaitable<core::Result<void>> ReadWholeBody(SessionState& st, beast::flat_buffer& buffer, Parser& parser,
                                                      uint64_t limit, std::string& out);
    asio::awaitable<core::Result<Response>> StreamBody(const std::shared_ptr<SessionState>& st, beast::flat_buffer& buffer,
                                                       Parser& parser, Request& req, const Route& route, bool* broken,
                                                       bool* body_read);
    asio::awaitable<void> FillPiece(const std::shared_ptr<SessionState>& session, beast::flat_buffer& buffer,
                                    Parser& parser, BodyRead& r, char* out, size_t* got);
    asio::awaitable<bool> Write(SessionState& st, Response& resp, bool head, bool close, uint64_t* bytes_out);
    asio::awaitable<void> WriteError(SessionState& st, const Error& e);
    // Writes 100 Continue when the client asked for it (false: the client is gone).
    asio::awaitable<bool> SendContinue(SessionState& st, const Request& req);
    asio::awaitable<void> LingeringClose(SessionState& st, beast::flat_buffer& buffer);
    void Finish(const Request& req, const Response& resp, int64_t start_ms, uint64_t bytes_out, const Error* err);
    core::Result<core::Principal> Authorize(const Request& req, const Route& route);
    core::Result<core::Principal> CheckPermission(core::Principal principal, const Route& route);
};

HttpServer::HttpServer(ServerSettings settings, const Router& router, core::Metrics& metrics, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(settings), router, metrics, std::move(hooks))) {
    metrics.Describe("insightstream_http_requests_total", "counter", "HTTP requests by route, method and status.");
    metrics.Describe("insightstream_http_request_duration_seconds", "histogram", "HTTP request latency by route.");
    metrics.Describe("insightstream_http_in_flight_requests", "gauge", "HTTP requests being handled now.");
    metrics.Describe("insightstream_http_connections_total", "counter", "TCP connections accepted.");
    metrics.Set("insightstream_http_in_flight_requests", {}, 0);
}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

int64_t HttpServer::in_flight() const { return impl_->in_flight.load(); }

core::Result<uint16_t> HttpServer::Start() {
    auto& d = *impl_;
    beast::error_code ec;
    auto addr = asio::ip::make_address(d.settings.host, ec);
    if (ec) return Error::InvalidArgument("listen address is not an IP address: " + d.settings.host);
    tcp::endpoint ep(addr, d.settings.port);
    d.acceptor.open(ep.protocol(), ec);
    if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) d.acceptor.bind(ep, ec);
    if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return Error::Unavailable("cannot listen on " + d.settings.host + ":" + std::to_string(d.settings.port) +
                                  ": " + ec.message());
    }
    uint16_t port = d.acceptor.local_endpoint().port();
    d.work.emplace(d.io.get_executor());
    asio::co_spawn(d.acceptor.get_executor(), d.AcceptLoop(), asio::detached);
    int n = d.settings.io_threads > 0 ? d.settings.io_threads
                                      : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) d.threads.emplace_back([&d] { d.io.run(); });
    return port;
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
    auto& d = *impl_;
    if (d.stopped.exchange(true)) return;
    d.stopping = true;
    if (d.threads.empty()) {
        d.pool.join();
        d.body_pool.join();
        d.relay_pool.join();
        return;
    }
    std::promise<void> closed;
    asio::post(d.acceptor.get_executor(), [&] {
        beast::error_code ec;
        d.acceptor.close(ec);
        closed.set_value();
    });
    closed.get_future().wait();

    // Idle keep-alive connections close now; busy ones finish their request first.
    auto close_sessions = [&](bool include_busy) {
        std::scoped_lock lock(d.sessions_mutex);
        for (auto& [_, weak] : d.sessions) {
            if (auto st = weak.lock()) {
                asio::post(st->stream.get_executor(), [st, include_busy] {
                    if (include_busy || !st->busy) {
                        beast::error_code ec;
                        st->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
                        st->stream.socket().close(ec);
                    }
                });
            }
        }
    };
    auto session_count = [&] {
        std::scoped_lock lock(d.sessions_mutex);
        return d.sessions.size();
    };
    auto deadline = std::chrono::steady_clock::now() + grace;
    close_sessions(false);
    while (session_count() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (d.in_flight == 0) close_sessions(false);
    }
    close_sessions(true);
    auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (session_count() > 0 && std::chrono::steady_clock::now() < hard) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    d.work.reset();
    d.io.stop();
    for (auto& t : d.threads) t.join();
    d.threads.clear();
    d.pool.join();
    d.body_pool.join();
    d.relay_pool.join();
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kTuple);
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) co_return;
            // Out of file descriptors and the like: back off briefly instead of spinning.
            core::Log(LogLevel::kWarn, "http.accept_failed", ec.message());
            asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await t.async_wait(kTuple);
            continue;
        }
        beast::error_code opt_ec;
        socket.set_option(tcp::no_delay(true), opt_ec);
        metrics.Add("insightstream_http_connections_total", {});
        auto st = std::make_shared<SessionState>(std::move(socket));
        {
            std::scoped_lock lock(sessions_mutex);
            sessions.emplace(st.get(), st);
        }
        asio::co_spawn(st->stream.get_executor(), Session(st), asio::detached);
    }
}

asio::awaitable<void> HttpServer::Impl::Session(std::shared_ptr<SessionState> st) {
    beast::flat_buffer buffer;
    // Beast sizes each socket read by the buffer's free capacity (at least 512 bytes): without
    // room reserved, a large upload arrives in ~1 KiB reads, one syscall and timer re-arm each.
    buffer.reserve(64 * 1024);
    beast::error_code ec;
    auto remote = st->stream.socket().remote_endpoint(ec);
    std::string peer = ec ? std::string() : remote.address().to_string();
    try {
        for (;;) {
            st->busy = false;
            if (stopping) break;
            Parser parser;
            parser.header_limit(settings.max_header_bytes);
            parser.body_limit(boost::none);  // enforced per route
            st->stream.expires_after(std::chrono::seconds(settings.header_timeout_s));
            bool folded = false;
            auto rec = co_await ReadHead(*st, buffer, parser, &folded);
            if (folded) {
                co_await WriteError(*st, Error::InvalidArgument("header lines continued on the next line (obs-fold) are not "
                                                                "accepted")
                                             .WithSlug("malformed-request"));
                break;
            }
            if (rec) {
                if (rec == bhttp::error::header_limit) {
                    co_await WriteError(*st, Error(core::ErrorCode::kHeadersTooLarge,
                                                   "the request head exceeds " +
                                                       std::to_string(settings.max_header_bytes) + " bytes"));
                } else if (IsHttpSyntaxError(rec)) {
                    co_await WriteError(*st, Error::InvalidArgument("the request is not valid HTTP/1.1")
                                                 .WithSlug("malformed-request")
                                                 .WithInternal(rec.message()));
                }
                break;
            }
            st->busy = true;
            ++in_flight;
            metrics.Add("insightstream_http_in_flight_requests", {}, 1);
            bool keep = false;
            try {
                keep = co_await HandleOne(st, buffer, parser, peer);
            } catch (const std::exception& e) {
                core::Log(LogLevel::kError, "http.session_failed", e.what());
            }
            --in_flight;
            metrics.Add("insightstream_http_in_flight_requests", {}, -1);
            if (!keep) {
                co_await LingeringClose(*st, buffer);
                break;
            }
        }
    } catch (const std::exception& e) {
        core::Log(LogLevel::kError, "http.session_failed", e.what());
    }
    st->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    st->stream.socket().close(ec);
    std::scoped_lock lock(sessions_mutex);
    sessions.erase(st.get());
}

asio::awaitable<void> HttpServer::Impl::LingeringClose(SessionState& st, beast::flat_buffer& buffer) {
    // Half-close and drain what the client still sends (e.g. a body we refused), so the kernel
    // does not reset the connection before the client has read our answer.
    beast::error_code ec;
    st.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    size_t drained = 0;
    st.stream.expires_after(std::chrono::seconds(2));
    while (drained < 8 * 1024 * 1024) {
        buffer.clear();
        auto [rec, n] = co_await st.stream.async_read_some(buffer.prepare(64 * 1024), kTuple);
        if (rec || n == 0) break;
        drained += n;
    }
}

core::Result<core::Principal> HttpServer::Impl::Authorize(const Request& req, const Route& route) {
    if (!hooks.authenticate) return Error::Unauthenticated("authentication is not configured");
    IS_TRY(auto principal, hooks.authenticate(req));
    return CheckPermission(std::move(principal), route);
}

core::Result<core::Principal> HttpServer::Impl::CheckPermission(core::Principal principal, const Route& route) {
    if (route.options.users_only && principal.IsApiKey()) {
        return Error::PermissionDenied("this route is for people signed in, not API keys").WithSlug("users-only");
    }
    if (principal.must_change_password && !route.options.during_password_change) {
        return Error::PermissionDenied("your password was reset by an admin: choose a new one first "
                                       "(POST /api/v1/me/password)")
            .WithSlug("password-change-required");
    }
    if (route.options.writes && principal.read_only) {
        return Error::PermissionDenied("this API key has only the read scope").WithSlug("insufficient-scope");
    }
    if (!principal.Can(route.options.permission)) {
        return Error::PermissionDenied(std::string("to ") + core::PermissionName(route.options.permission) +
                                       " you need the role " + core::RoleName(core::MinRole(route.options.permission)) +
                                       " or higher; yours is " + core::RoleName(principal.role));
    }
    return principal;
}

// Reads a request head like bhttp::async_read_header, but refuses obs-fold (a header line
// continued on the next), as RFC 9112 §5.2 allows: Beast would unfold it silently, and a folded
// Transfer-Encoding read one way here and another way by a proxy in front is request smuggling.
// Beast's parser needs the whole head in one buffer, so the head is there to be looked at.
asio::awaitable<beast::error_code> HttpServer::Impl::ReadHead(SessionState& st, beast::flat_buffer& buffer,
                                                              Parser& parser, bool* folded) {
    for (;;) {
        if (buffer.size() > 0) {
            std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
            size_t end = data.find("\r\n\r\n");
            if (end != std::string_view::npos) {
                std::string_view head = data.substr(0, end + 2);
                if (head.find("\r\n ") != std::string_view::npos || head.find("\r\n\t") != std::string_view::npos) {
                    *folded = true;
                    co_return beast::error_code{};
                }
            }
            beast::error_code ec;
            size_t used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (!ec && parser.is_header_done()) co_return beast::error_code{};
            if (ec && ec != bhttp::error::need_more) co_return ec;
        }
        auto [ec, n] = co_await st.stream.async_read_some(buffer.prepare(16 * 1024), kTuple);
        if (ec == asio::error::eof) {
            co_return buffer.size() == 0 ? bhttp::error::end_of_stream : bhttp::error::partial_message;
        }
        if (ec) co_return ec;
        buffer.commit(n);
    }
}

asio::awaitable<core::Result<void>> HttpServer::Impl::ReadWholeBody(SessionState& st, beast::flat_buffer& buffer,
                                                                   Parser& parser, uint64_t limit, std::string& out) {
    std::string chunk(64 * 1024, '\0');
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        st.stream.expires_after(std::chrono::seconds(settings.body_timeout_s));
        auto [ec, n] = co_await bhttp::async_read(st.stream, buffer, parser, kTuple);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (IsHttpSyntaxError(ec)) co_return MalformedBody(ec);
        if (ec) {
            co_return Error::InvalidArgument("the request body was cut off")
                .WithSlug("upload-interrupted")
                .WithInternal(ec.message());
        }
        out.append(chunk.data(), chunk.size() - parser.get().body().size);
        if (limit > 0 && out.size() > limit) {
            co_return Error::PayloadTooLarge("the request body exceeds " + std::to_string(limit) + " bytes");
        }
    }
    co_return core::Result<void>{};
}

// Reads the next piece of a streamed body into `out` (kBodyPiece bytes), until it is full or the
// body ends. It must keep coming: a pause of --body-timeout ends it, and after a grace period so
// does an average below --min-upload-rate (a trickle would otherwise hold its upload slot for hours).
asio::awaitable<void> HttpServer::Impl::FillPiece(const std::shared_ptr<SessionState>& session,
                                                  beast::flat_buffer& buffer, Parser& parser, BodyRead& r, char* out,
                                                  size_t* got) {
    SessionState& st = *session;
    while (*got < kBodyPiece) {
        if (r.direct ? r.remaining == 0 : parser.is_done()) {
            r.done = true;
            co_return;
        }
        const size_t space = kBodyPiece - *got;
        if (r.direct && buffer.size() > 0) {  // body bytes that arrived with the head
            size_t n = std::min<size_t>({buffer.size(), space, static_cast<size_t>(std::min<uint64_t>(r.remaining, space))});
            std::memcpy(out + *got, buffer.data().data(), n);
            buffer.consume(n);
            *got += n;
            r.total += n;
            r.remaining -= n;
            continue;
        }
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.begun).count();
        double wait = settings.body_timeout_s;
        bool rate_bound = false;
        if (settings.min_body_rate > 0) {
            double due = std::max<double>(settings.body_rate_grace_s,
                                          static_cast<double>(r.total) / static_cast<double>(settings.min_body_rate));
            if (due - elapsed < wait) {
                wait = due - elapsed;
                rate_bound = true;
            }
        }
        beast::error_code ec;
        size_t n = 0;
        auto too_slow = std::make_shared<bool>(wait <= 0);
        if (!*too_slow) {
            // The idle limit is the stream's own deadline (it closes the socket); the rate limit is
            // a timer that cancels the read and leaves the socket open for the 408.
            st.stream.expires_after(std::chrono::seconds(settings.body_timeout_s));
            asio::steady_timer rate_timer(st.stream.get_executor());
            if (rate_bound) {
                rate_timer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(wait * 1000) + 1));
                rate_timer.async_wait([session, too_slow](const beast::error_code& e) {
                    if (e) return;
                    *too_slow = true;
                    session->stream.socket().cancel();
                });
            }
            if (r.direct) {
                // A body of known length is read straight into the piece, in reads as large as
                // the room left (the parser would copy it through 64 KiB of its own buffer).
                size_t want = static_cast<size_t>(std::min<uint64_t>(space, r.remaining));
                auto [e, k] = co_await st.stream.async_read_some(asio::buffer(out + *got, want), kTuple);
                ec = e;
                n = k;
            } else {
                parser.get().body().data = out + *got;
                parser.get().body().size = space;
                auto [e, k] = co_await bhttp::async_read_some(st.stream, buffer, parser, kTuple);
                ec = e == bhttp::error::need_buffer ? beast::error_code{} : e;
                n = space - parser.get().body().size;
            }
            rate_timer.cancel();
        }
        if (*too_slow) ec = beast::error::timeout;
        if (ec) {
            r.broken = true;
            if (*too_slow) {
                r.error = Error(core::ErrorCode::kRequestTimeout,
                                "the upload came too slowly: " + std::to_string(r.total) + " bytes in " +
                                    std::to_string(static_cast<int64_t>(elapsed)) + " s; at least " +
                                    std::to_string(settings.min_body_rate) + " bytes a second are needed")
                              .WithSlug("upload-too-slow");
            } else if (ec == bhttp::error::body_limit) {
                r.error = Error::PayloadTooLarge("the request body is too large");
            } else if (IsHttpSyntaxError(ec)) {
                r.error = MalformedBody(ec);
            } else {
                r.error = Error::InvalidArgument("the request body was cut off")
                              .WithSlug("upload-interrupted")
                              .WithInternal(ec.message());
            }
            co_return;
        }
        *got += n;
        r.total += n;
        if (r.direct) r.remaining -= n;
        if (r.limit > 0 && r.total > r.limit) {
            r.broken = true;
            r.error = Error::PayloadTooLarge("the request body exceeds " + std::to_string(r.limit) + " bytes");
            co_return;
        }
    }
}

asio::awaitable<core::Result<Response>> HttpServer::Impl::StreamBody(const std::shared_ptr<SessionState>& session,
                                                                    beast::flat_buffer& buffer, Parser& parser,
                                                                    Request& req, const Route& route, bool* broken,
                                                                    bool* body_read) {
    SessionState& st = *session;
    // Every call into the sink runs on the body pool, inside the request's log scope; a request
    // without a body (a GET through the gateway) has nothing to store and runs on the relay pool
    // instead, so it never waits behind uploads whose services are slow to take their bytes.
    const bool bodiless = !parser.chunked() && req.content_length.value_or(0) == 0;
    asio::thread_pool* const sink_pool = bodiless ? &relay_pool : &body_pool;
    auto on_pool = [&](auto&& f) {
        return OnPool(
            [&req, f = std::forward<decltype(f)>(f)]() mutable -> decltype(f()) {
                core::LogScope inner({{"request_id", req.request_id}, {"trace_id", req.trace_id}, {"span_id", req.span_id}});
                if (req.principal) inner.Add({"tenant_id", req.principal->tenant.str()});
                try {
                    return f();
                } catch (const std::exception& e) {
                    return Error::Internal(std::string("unhandled exception: ") + e.what());
                }
            },
            sink_pool);
    };
    auto started = co_await on_pool([&]() -> core::Result<std::unique_ptr<BodySink>> {
        if (route.options.access == Access::kUser && !req.principal) {  // a request without a body
            auto p = Authorize(req, route);
            if (!p) return std::move(p).error();
            req.principal = std::move(*p);
        }
        return route.options.sink(req);
    });
    if (!started) co_return std::move(started).error();
    std::unique_ptr<BodySink> sink = std::move(*started);
    // The sink is released on the pool too: undoing an unfinished upload is I/O.
    auto drop = [&]() -> asio::awaitable<void> {
        co_await on_pool([&]() -> core::Result<void> {
            sink.reset();
            return {};
        });
    };
    if (auto early = sink->EarlyAnswer()) {
        // Answered before the body: it stays unread (the connection closes after the answer).
        co_await drop();
        co_return std::move(*early);
    }
    if (!co_await SendContinue(st, req)) {
        *broken = true;
        co_await drop();
        co_return Error::InvalidArgument("the client went away").WithSlug("upload-interrupted");
    }
    // The body is read here, on the connection's coroutine: a client that stalls holds no thread.
    // Reading and storing overlap: while the pool hashes and writes one piece, the next is read
    // into the other buffer, so the socket, the hash and the disk keep moving at once (one after
    // the other, an upload ran at half the machine: bench/README.md, "Where an upload's time goes").
    using namespace asio::experimental::awaitable_operators;
    BodyRead r;
    r.direct = !parser.chunked() && req.content_length.has_value();
    r.remaining = req.content_length.value_or(0);
    r.limit = route.options.body_limit;
    r.begun = std::chrono::steady_clock::now();
    // Left uninitialized: nothing is written before bytes arrive (memory the allocator hands out
    // fresh costs nothing until then; reused heap memory is counted already either way).
    std::array<std::unique_ptr<char[]>, 2> pieces{std::make_unique_for_overwrite<char[]>(kBodyPiece),
                                                  std::make_unique_for_overwrite<char[]>(kBodyPiece)};
    std::optional<Error> write_error;
    auto store = [&](const char* data, size_t n) -> asio::awaitable<void> {
        auto wrote = co_await on_pool([&]() -> core::Result<void> { return sink->Write(std::string_view(data, n)); });
        if (!wrote) write_error = std::move(wrote).error();
    };
    size_t cur = 0;
    size_t pending = 0;  // bytes of pieces[1 - cur] read and not yet stored
    for (;;) {
        size_t got = 0;
        if (pending > 0) {
            co_await (FillPiece(session, buffer, parser, r, pieces[cur].get(), &got) &&
                      store(pieces[1 - cur].get(), pending));
        } else {
            co_await FillPiece(session, buffer, parser, r, pieces[cur].get(), &got);
        }
        pending = 0;
        if (write_error || r.error) break;
        if (got > 0) {
            pending = got;
            cur = 1 - cur;
        }
        if (r.done) {
            if (pending > 0) co_await store(pieces[1 - cur].get(), pending);
            break;
        }
    }
    if (write_error) {
        co_await drop();
        co_return std::move(*write_error);
    }
    if (r.error) {
        *broken = r.broken;
        co_await drop();
        co_return std::move(*r.error);
    }
    *body_read = true;
    co_return co_await on_pool([&]() -> core::Result<Response> {
        auto answer = sink->Finish();
        sink.reset();
        return answer;
    });
}

asio::awaitable<bool> HttpServer::Impl::SendContinue(SessionState& st, const Request& req) {
    const std::string* expect = req.Header("expect");
    if (!expect || Lower(*expect) != "100-continue") co_return true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    st.stream.expires_after(std::chrono::seconds(settings.write_timeout_s));
    auto [ec, n] = co_await asio::async_write(st.stream, asio::buffer(kContinue), kTuple);
    co_return !ec;
}

asio::awaitable<void> HttpServer::Impl::WriteError(SessionState& st, const Error& e) {
    Request req;
    Response resp = ToProblem(e, "", "");
    if (hooks.decorate) hooks.decorate(req, resp);
    uint64_t bytes = 0;
    co_await Write(st, resp, false, true, &bytes);
}

asio::awaitable<bool> HttpServer::Impl::Write(SessionState& st, Response& resp, bool head, bool close,
                                              uint64_t* bytes_out) {
    auto status = static_cast<bhttp::status>(resp.status);
    st.stream.expires_after(std::chrono::seconds(settings.write_timeout_s));
    if (resp.stream && !head) {
        bhttp::response<bhttp::empty_body> res{status, 11};
        for (const auto& [k, v] : resp.headers) res.set(k, v);
        res.chunked(true);
        res.keep_alive(!close);
        bhttp::response_serializer<bhttp::empty_body> sr{res};
        auto [ec, n] = co_await bhttp::async_write_header(st.stream, sr, kTuple);
        if (ec) co_return false;
        *bytes_out += n;
        for (;;) {
            auto next = co_await OnPool([&resp]() -> core::Result<std::optional<std::string>> {
                try {
                    return resp.stream();
                } catch (const std::exception& e) {
                    return Error::Internal(e.what());
                }
            });
            if (!next) {
                core::Log(LogLevel::kWarn, "http.stream_failed", next.error().ToString());
                co_return false;  // the client sees a truncated chunked body, never a fake end
            }
            st.stream.expires_after(std::chrono::seconds(settings.write_timeout_s));
            if (!next->has_value()) {
                auto [wec, wn] = co_await asio::async_write(st.stream, bhttp::make_chunk_last(), kTuple);
                *bytes_out += wn;
                co_return !wec;
            }
            if ((*next)->empty()) {
                if (resp.stream_poll_ms > 0) {
                    asio::steady_timer timer(st.stream.get_executor(), std::chrono::milliseconds(resp.stream_poll_ms));
                    co_await timer.async_wait(kTuple);
                    if (stopping) {
                        co_await asio::async_write(st.stream, bhttp::make_chunk_last(), kTuple);
                        co_return false;
                    }
                }
                continue;
            }
            auto [wec, wn] = co_await asio::async_write(st.stream, bhttp::make_chunk(asio::buffer(**next)), kTuple);
            if (wec) co_return false;
            *bytes_out += wn;
        }
    }
    if (head) {
        bhttp::response<bhttp::empty_body> res{status, 11};
        for (const auto& [k, v] : resp.headers) res.set(k, v);
        // The length the GET would have: the body's, unless the handler knows it (a proxy's HEAD).
        if (!resp.stream && !resp.FindHeader("Content-Length")) res.content_length(resp.body.size());
        res.keep_alive(!close);
        auto [ec, n] = co_await bhttp::async_write(st.stream, res, kTuple);
        *bytes_out += n;
        co_return !ec;
    }
    bhttp::response<bhttp::string_body> res{status, 11};
    for (const auto& [k, v] : resp.headers) res.set(k, v);
    res.body() = std::move(resp.body);
    res.keep_alive(!close);
    res.prepare_payload();
    auto [ec, n] = co_await bhttp::async_write(st.stream, res, kTuple);
    *bytes_out += n;
    co_return !ec;
}

asio::awaitable<bool> HttpServer::Impl::HandleOne(const std::shared_ptr<SessionState>& st, beast::flat_buffer& buffer,
                                                  Parser& parser, const std::string& peer) {
    int64_t start_ms = core::MonotonicMs();
    auto& msg = parser.get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) req.headers.emplace_back(Lower(f.name_string()), std::string(f.value()));
    const std::string* rid = req.Header("x-request-id");
    req.request_id = rid && SaneRequestId(*rid) ? *rid : NewRequestId();
    // The request's span: a child of the caller's (W3C traceparent), or the root of a new trace.
    if (const std::string* tp = req.Header("traceparent"); auto parent = tp ? core::ParseTraceparent(*tp) : std::nullopt) {
        req.trace_id = parent->trace_id;
        req.parent_span_id = parent->parent_span_id;
    } else {
        req.trace_id = core::NewTraceId();
    }
    req.span_id = core::NewSpanId();
    req.start_unix_ns = core::UnixNanos();
    req.remote_ip = peer;
    if (settings.trust_forwarded_for) {
        // The last X-Forwarded-For line (a proxy may add its own line rather than append).
        const std::string* xff = nullptr;
        for (const auto& [k, v] : req.headers) {
            if (k == "x-forwarded-for") xff = &v;
        }
        if (xff) {
            // The last entry: the one the proxy in front of us appended (a load balancer adds the
            // address it saw to whatever the client sent, and the client could send anything).
            size_t comma = xff->rfind(',');
            std::string last = comma == std::string::npos ? *xff : xff->substr(comma + 1);
            last.erase(0, last.find_first_not_of(' '));
            last.erase(last.find_last_not_of(' ') + 1);
            if (!last.empty()) req.remote_ip = last;
        }
    }
    // No LogScope here: a coroutine hops threads and interleaves with other sessions on the same
    // thread, so thread-local log fields would leak between requests. Fields are passed explicitly.

    bool close = !msg.keep_alive() || stopping;
    const bool head = req.method == "HEAD";
    std::optional<Error> err;
    const Route* route = nullptr;
    std::optional<Response> answer;

    auto target = boost::urls::parse_origin_form(req.target);
    if (!target) {
        err = Error::InvalidArgument("the request target is not a valid path").WithSlug("malformed-request");
    } else {
        req.path = target->path();
        for (auto p : target->params()) req.query.emplace_back(p.key, p.has_value ? p.value : std::string());
        err = CheckText(req);
    }
    if (!err && hooks.intercept) answer = hooks.intercept(req);
    if (!err && !answer) {
        auto m = router.Match(req.method, req.path);
        if (!m) {
            err = m.error();
        } else {
            route = m->route;
            req.path_params = std::move(m->params);
            req.route = route->pattern;
        }
    }
    auto content_length = parser.content_length();
    bool has_body = content_length ? *content_length > 0 : msg.chunked();
    uint64_t limit = route ? route->options.body_limit : 0;
    if (!err && route && limit > 0 && content_length && *content_length > limit) {
        err = Error::PayloadTooLarge("the request body exceeds " + std::to_string(limit) + " bytes");
    }
    // Without a body there is nothing to refuse early: authorization runs in the handler's own
    // pool hop. With one, it runs first, so an unauthorized upload is refused before it is read.
    const bool authorize_first = route && route->options.access == Access::kUser && has_body;
    if (!err && authorize_first) {
        auto p = co_await OnPool([&] { return Authorize(req, *route); });
        if (!p) {
            err = std::move(p).error();
        } else {
            req.principal = std::move(*p);
        }
    }
    if (!err && route && has_body) {
        // A streaming route says 100 Continue once its sink is ready (StreamBody), so its early
        // answer (a proxy's upstream refusing the upload) comes before the client sends the body.
        if (!route->options.sink && !co_await SendContinue(*st, req)) co_return false;
        if (!route->options.sink) {
            auto r = co_await ReadWholeBody(*st, buffer, parser, limit, req.body);
            if (!r) {
                if (r.error().code() != core::ErrorCode::kPayloadTooLarge && r.error().slug() != "malformed-request") {
                    core::Log(LogLevel::kInfo, "http.body_interrupted", r.error().internal(),
                              {{"route", req.route}, {"method", req.method}, {"request_id", req.request_id}});
                    co_return false;  // the client is gone: nobody to answer
                }
                err = std::move(r).error();
            }
        }
    }

    // Answers from memory (cached analytics) skip the hop to the blocking pool entirely.
    if (!err && !answer && route && route->options.fast && !has_body && hooks.authenticate_fast) {
        if (auto who = hooks.authenticate_fast(req)) {
            auto p = who->has_value() ? CheckPermission(std::move(who->value()), *route) : std::move(*who);
            if (p) {
                req.principal = std::move(*p);
                answer = route->options.fast(req);
                if (!answer) req.principal.reset();
            }
        }
    }
    Response resp;
    bool body_read = false;  // a streamed body read to its end
    if (answer) {
        resp = std::move(*answer);
    } else if (!err && route->options.sink) {
        // A streaming route: the body goes to the handler's sink as it arrives.
        req.content_length = content_length ? std::optional<uint64_t>(*content_length) : std::nullopt;
        bool broken = false;
        auto result = co_await StreamBody(st, buffer, parser, req, *route, &broken, &body_read);
        if (!result) err = std::move(result).error();
        else resp = std::move(*result);
        if (broken && err && err->code() != core::ErrorCode::kPayloadTooLarge &&
            err->code() != core::ErrorCode::kRequestTimeout && err->slug() != "malformed-request") {
            Finish(req, ToProblem(*err, req.path, req.request_id), start_ms, 0, &*err);
            co_return false;  // the body stream broke: the client is gone, the connection unusable
        }
    } else if (!err) {
        auto result = co_await OnPool([&]() -> core::Result<Response> {
            core::LogScope inner({{"request_id", req.request_id}, {"trace_id", req.trace_id}, {"span_id", req.span_id}});
            if (req.principal) {
                inner.Add({"tenant_id", req.principal->tenant.str()});
                if (!req.principal->user.empty()) inner.Add({"user_id", req.principal->user.str()});
            }
            try {
                if (route->options.access == Access::kUser && !req.principal) {
                    auto p = Authorize(req, *route);
                    if (!p) return std::move(p).error();
                    req.principal = std::move(*p);
                    inner.Add({"tenant_id", req.principal->tenant.str()});
                    if (!req.principal->user.empty()) inner.Add({"user_id", req.principal->user.str()});
                }
                return route->handler(req);
            } catch (const std::exception& e) {
                return Error::Internal(std::string("unhandled exception: ") + e.what());
            }
        });
        if (!result) err = std::move(result).error();
        else resp = std::move(*result);
    }
    if (err) {
        if (err->code() == core::ErrorCode::kInternal) {
            core::Log(LogLevel::kError, "http.internal_error", err->internal(),
                      {{"route", req.route},
                       {"method", req.method},
                       {"request_id", req.request_id},
                       {"error_type", err->slug()}});
        }
        resp = ToProblem(*err, req.path, req.request_id);
        if (err->code() == core::ErrorCode::kMethodNotAllowed) resp.Header("Allow", err->internal());
    }
    // A body we did not read makes the connection unusable for another request.
    if (has_body && !parser.is_done() && !body_read) close = true;
    resp.Header("X-Request-Id", req.request_id);
    if (hooks.decorate) hooks.decorate(req, resp);
    uint64_t bytes_out = 0;
    bool ok = co_await Write(*st, resp, head, close, &bytes_out);
    Finish(req, resp, start_ms, bytes_out, err ? &*err : nullptr);
    co_return ok && !close;
}

void HttpServer::Impl::Finish(const Request& req, const Response& resp, int64_t start_ms, uint64_t bytes_out,
                              const Error* err) {
    int64_t ms = core::MonotonicMs() - start_ms;
    std::string route = req.route.empty() ? "unmatched" : req.route;
    std::string status = std::to_string(resp.status);
    metrics.Add("insightstream_http_requests_total", {{"route", route}, {"method", req.method}, {"status", status}});
    metrics.Observe("insightstream_http_request_duration_seconds", {{"route", route}, {"method", req.method}},
                    static_cast<double>(ms) / 1000.0);
    std::vector<core::LogField> fields{{"method", req.method},   {"route", route},
                                       {"path", req.path},       {"status", resp.status},
                                       {"duration_ms", ms},      {"bytes_out", bytes_out},
                                       {"remote_ip", req.remote_ip}, {"request_id", req.request_id},
                                       {"trace_id", req.trace_id}, {"span_id", req.span_id}};
    if (err) fields.emplace_back("error_type", err->slug());
    if (core::TracingEnabled()) {
        core::SpanData span{.trace_id = req.trace_id,
                            .span_id = req.span_id,
                            .parent_span_id = req.parent_span_id,
                            .name = req.method + " " + route,
                            .kind = core::SpanKind::kServer,
                            .start_unix_ns = req.start_unix_ns,
                            .end_unix_ns = core::UnixNanos(),
                            .attributes = {{"http.request.method", req.method},
                                           {"http.route", route},
                                           {"http.response.status_code", resp.status},
                                           {"request_id", req.request_id}},
                            .error = resp.status >= 500,
                            .status_message = err ? err->slug() : std::string()};
        if (req.principal) span.attributes.emplace_back("tenant_id", req.principal->tenant.str());
        core::EmitSpan(std::move(span));
    }
    if (req.principal) {
        fields.emplace_back("tenant_id", req.principal->tenant.str());
        if (!req.principal->user.empty()) fields.emplace_back("user_id", req.principal->user.str());
    }
    core::Log(resp.status >= 500 ? LogLevel::kError : LogLevel::kInfo, "http.request", "", fields);
}

}  // namespace insightstream::http
