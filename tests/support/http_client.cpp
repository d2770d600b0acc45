#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace insightstream::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

boost::json::value HttpResult::Json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) throw std::runtime_error("response is not JSON: " + body.substr(0, 300));
    return v;
}

std::string HttpResult::Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

std::string HttpResult::ProblemSlug() const {
    if (Header("content-type") != "application/problem+json") return {};
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("type")) return {};
    std::string type(v.at("type").as_string());
    return type.substr(type.rfind('/') + 1);
}

namespace {
HttpResult FromResponse(const bhttp::response<bhttp::string_body>& res) {
    HttpResult r;
    r.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        r.headers[name] = std::string(f.value());
    }
    r.body = res.body();
    return r;
}
}  // namespace

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const Headers& headers) const {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(tcp::endpoint(asio::ip::make_address(host_), port_));
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, host_);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    if (method == "HEAD") parser.skip(true);
    bhttp::read(stream, buffer, parser);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return FromResponse(parser.get());
}

HttpResult HttpClient::Get(const std::string& target, const Headers& headers) const {
    return Request("GET", target, "", headers);
}
HttpResult HttpClient::Delete(const std::string& target, const Headers& headers) const {
    return Request("DELETE", target, "", headers);
}
HttpResult HttpClient::Post(const std::string& target, const std::string& body, const Headers& headers) const {
    return Request("POST", target, body, headers);
}
HttpResult HttpClient::PostJson(const std::string& target, const std::string& json, Headers headers) const {
    headers.emplace_back("Content-Type", "application/json");
    return Request("POST", target, json, headers);
}

HttpResult HttpClient::Raw(const std::string& raw, bool half_close) const {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(asio::ip::make_address(host_), port_));
    asio::write(stream, asio::buffer(raw));
    beast::error_code ec;
    if (half_close) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    bhttp::read(stream, buffer, parser, ec);
    if (ec && !parser.is_header_done()) return HttpResult{};
    return FromResponse(parser.get());
}

std::string HttpClient::RawBytes(const std::string& raw) const { return RawBytes(raw, "", 0); }

std::string HttpClient::RawBytes(const std::string& first, const std::string& second, int pause_ms) const {
    return RawBytes(first, [pause_ms] { std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms)); }, second);
}

std::string HttpClient::RawBytes(const std::string& first, const std::function<void()>& between, const std::string& second,
                                 bool close_instead) const {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(tcp::endpoint(asio::ip::make_address(host_), port_));
    asio::write(stream, asio::buffer(first));
    between();
    beast::error_code ec;
    if (close_instead) {
        stream.socket().close(ec);
        return {};
    }
    if (!second.empty()) asio::write(stream, asio::buffer(second));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::string out;
    char buf[8192];
    for (;;) {
        size_t n = stream.read_some(asio::buffer(buf), ec);
        if (ec || n == 0) break;
        out.append(buf, n);
    }
    return out;
}

void HttpClient::SendAndClose(const std::string& raw) const {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address(host_), port_));
    asio::write(s, asio::buffer(raw));
    beast::error_code ec;
    s.close(ec);
}

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace insightstream::testing
