// The AWS client core against small local servers (our own HttpServer): retries of the standard
// mode, what is not retried, deadlines, error parsing, settings from the SDKs' variables, and the
// ECS container credentials endpoint handing out short-lived keys.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "aws/client.hpp"
#include "aws/credentials.hpp"
#include "aws/xml.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"

namespace insightstream::aws {
namespace {

// A local server with routes under test; answers come from the handlers given.
class FakeEndpoint {
public:
    explicit FakeEndpoint(std::function<void(http::Router&)> routes) {
        routes(router_);
        server_ = std::make_unique<http::HttpServer>(http::ServerSettings{.port = 0, .io_threads = 1, .handler_threads = 4},
                                                     router_, metrics_);
        auto port = server_->Start();
        EXPECT_TRUE(port);
        port_ = port ? *port : 0;
    }
    ~FakeEndpoint() { server_->Shutdown(std::chrono::milliseconds(200)); }
    [[nodiscard]] std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    http::Router router_;
    core::Metrics metrics_;
    std::unique_ptr<http::HttpServer> server_;
    uint16_t port_ = 0;
};

http::RouteOptions Public() { return http::RouteOptions{.access = http::Access::kPublic}; }

AwsClient MakeClient(const std::string& url, int max_attempts = 3, int timeout_ms = 5000) {
    ClientSettings s{.service = "sqs", .region = "eu-west-1", .endpoint = *ParseEndpoint(url)};
    s.max_attempts = max_attempts;
    s.request_timeout_ms = timeout_ms;
    return AwsClient(s, std::make_shared<StaticCredentials>(Credentials{"AKIDEXAMPLE", "secret", ""}));
}

TEST(AwsClient, RetriesServerErrorsAndThrottlingThenSucceeds) {
    std::atomic<int> calls{0};
    FakeEndpoint fake([&](http::Router& r) {
        r.Add("POST", "/", [&](http::Request& req) -> core::Result<http::Response> {
            EXPECT_NE(req.Header("authorization"), nullptr);
            EXPECT_NE(req.Header("x-amz-date"), nullptr);
            int n = ++calls;
            if (n == 1) return http::Response::Text(503, "busy");
            if (n == 2) return http::Response::Json(400, R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"})");
            return http::Response::Json(200, R"({"ok":true})");
        }, Public());
    });
    auto client = MakeClient(fake.Url());
    auto r = client.Send(AwsRequest{.method = "POST", .body = "{}"});
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_TRUE(r->ok());
    EXPECT_EQ(calls.load(), 3);
    EXPECT_EQ(client.retries(), 2);
}

TEST(AwsClient, ClientErrorsAreNotRetriedAndCarryAwsCodes) {
    std::atomic<int> calls{0};
    FakeEndpoint fake([&](http::Router& r) {
        r.Add("POST", "/json", [&](http::Request&) -> core::Result<http::Response> {
            ++calls;
            return http::Response::Json(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no queue"})");
        }, Public());
        r.Add("GET", "/xml", [&](http::Request&) -> core::Result<http::Response> {
            ++calls;
            return http::Response::Text(403, "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>",
                                        "application/xml");
        }, Public());
    });
    auto client = MakeClient(fake.Url());
    auto j = client.Send(AwsRequest{.method = "POST", .path = "/json", .body = "{}"});
    ASSERT_TRUE(j);
    EXPECT_EQ(j->status, 400);
    EXPECT_EQ(j->error_code, "QueueDoesNotExist");
    EXPECT_EQ(j->error_message, "no queue");
    auto x = client.Send(AwsRequest{.method = "GET", .path = "/xml"});
    ASSERT_TRUE(x);
    EXPECT_EQ(x->error_code, "AccessDenied");
    EXPECT_EQ(calls.load(), 2);
    EXPECT_EQ(client.retries(), 0);
}

TEST(AwsClient, GivesUpAfterMaxAttemptsAndNamesNoSecret) {
    std::atomic<int> calls{0};
    FakeEndpoint fake([&](http::Router& r) {
        r.Add("POST", "/", [&](http::Request&) -> core::Result<http::Response> {
            ++calls;
            return http::Response::Text(500, "down");
        }, Public());
    });
    auto client = MakeClient(fake.Url(), 2);
    auto r = client.Send(AwsRequest{.method = "POST", .body = "{}"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(calls.load(), 2);
}

TEST(AwsClient, AnEndpointThatIsDownOrStalledIsUnavailableWithinTheDeadline) {
    // Nothing listens on a port we bound and closed: refused at once, on every attempt.
    auto refused = MakeClient("http://127.0.0.1:9", 2).Send(AwsRequest{.method = "POST", .body = "{}"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), core::ErrorCode::kUnavailable);
    EXPECT_TRUE(refused.error().retry_after_s());
    FakeEndpoint slow([&](http::Router& r) {
        r.Add("POST", "/", [&](http::Request&) -> core::Result<http::Response> {
            std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            return http::Response::Json(200, "{}");
        }, Public());
    });
    auto start = std::chrono::steady_clock::now();
    auto stalled = MakeClient(slow.Url(), 1, 300).Send(AwsRequest{.method = "POST", .body = "{}"});
    ASSERT_FALSE(stalled);
    EXPECT_EQ(stalled.error().code(), core::ErrorCode::kUnavailable);  // 503 to clients, with Retry-After
    EXPECT_NE(stalled.error().internal().find("imeout"), std::string::npos) << stalled.error().internal();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1200));
    EXPECT_EQ(stalled.error().internal().find("secret"), std::string::npos);
}

TEST(AwsSettings, FollowTheSdkVariables) {
    auto none = SettingsFromEnvironment("s3", MapEnvironment({}));
    EXPECT_FALSE(none);  // no region
    auto plain = SettingsFromEnvironment("sqs", MapEnvironment({{"AWS_DEFAULT_REGION", "eu-central-1"}}));
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->endpoint.Url(), "https://sqs.eu-central-1.amazonaws.com");
    EXPECT_FALSE(plain->endpoint.custom);
    auto both = SettingsFromEnvironment("s3", MapEnvironment({{"AWS_REGION", "us-west-2"},
                                                              {"AWS_DEFAULT_REGION", "eu-central-1"},
                                                              {"AWS_ENDPOINT_URL", "http://localhost:4566"},
                                                              {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000/"}}));
    ASSERT_TRUE(both);
    EXPECT_EQ(both->region, "us-west-2");
    EXPECT_EQ(both->endpoint.Url(), "http://127.0.0.1:9000");
    EXPECT_TRUE(both->endpoint.custom);
    auto general = SettingsFromEnvironment("sqs", MapEnvironment({{"AWS_REGION", "us-west-2"},
                                                                  {"AWS_ENDPOINT_URL", "https://localhost:443"}}));
    EXPECT_EQ(general->endpoint.Url(), "https://localhost");
    for (const char* bad : {"localhost:4566", "ftp://x", "http://x/path", "http://user@x"}) {
        EXPECT_FALSE(ParseEndpoint(bad)) << bad;
    }
}

TEST(AwsCredentials, EnvironmentFirstThenTheContainerEndpoint) {
    auto env = DefaultCredentials(MapEnvironment({{"AWS_ACCESS_KEY_ID", "AKID"},
                                                  {"AWS_SECRET_ACCESS_KEY", "s"},
                                                  {"AWS_SESSION_TOKEN", "t"},
                                                  {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"}}));
    ASSERT_TRUE(env);
    EXPECT_STREQ((*env)->source(), "environment");
    EXPECT_EQ((*env)->Get()->session_token, "t");
    EXPECT_FALSE(DefaultCredentials(MapEnvironment({{"AWS_ACCESS_KEY_ID", "AKID"}})));
    auto none = DefaultCredentials(MapEnvironment({}));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().detail().find("AWS_ACCESS_KEY_ID"), std::string::npos);
    auto relative = DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"}}));
    ASSERT_TRUE(relative);
    EXPECT_STREQ((*relative)->source(), "container");
    // Plain HTTP only to the loopback or the container agent.
    for (const char* evil : {"http://evil.example/creds", "http://localhost:1@evil.example/creds",
                             "http://127.evil.example/creds", "http://127.0.0.1.evil.example/", "ftp://127.0.0.1/"}) {
        EXPECT_FALSE(DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", evil}}))) << evil;
    }
    EXPECT_TRUE(DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.1.2.3:80/creds"}})));
    EXPECT_TRUE(DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example/x"}})));
    EXPECT_TRUE(DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"}})));
}

TEST(AwsCredentials, ShortLivedContainerKeysAreRenewedBeforeTheyExpire) {
    std::atomic<int> served{0};
    std::atomic<bool> down{false};
    FakeEndpoint agent([&](http::Router& r) {
        r.Add("GET", "/creds", [&](http::Request& req) -> core::Result<http::Response> {
            const std::string* auth = req.Header("authorization");
            if (!auth || *auth != "token-123") return http::Response::Text(401, "who are you");
            if (down) return http::Response::Text(500, "agent down");
            int n = ++served;
            // Keys valid for six seconds, as a fast-forwarded task role would hand out.
            auto expires = std::chrono::system_clock::now() + std::chrono::seconds(6);
            std::time_t t = std::chrono::system_clock::to_time_t(expires);
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires.time_since_epoch()).count() % 1000;
            std::tm tm{};
            gmtime_r(&t, &tm);
            char when[40];
            std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
            std::snprintf(when + 19, sizeof when - 19, ".%03dZ", static_cast<int>(ms));
            return http::Response::Json(200, std::string(R"({"AccessKeyId":"ASIA)") + std::to_string(n) +
                                                 R"(","SecretAccessKey":"s","Token":"tok","Expiration":")" + when + "\"}");
        }, Public());
    });
    auto provider = DefaultCredentials(MapEnvironment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.Url() + "/creds"},
                                                       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-123"}}));
    ASSERT_TRUE(provider);
    auto first = (*provider)->Get();
    ASSERT_TRUE(first) << first.error().ToString();
    EXPECT_EQ(first->access_key_id, "ASIA1");
    EXPECT_EQ(first->session_token, "tok");
    EXPECT_EQ((*provider)->Get()->access_key_id, "ASIA1");  // cached
    EXPECT_EQ(served.load(), 1);
    // Within the last third of their lifetime (after 4 s) they are renewed, before they expire.
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    EXPECT_EQ((*provider)->Get()->access_key_id, "ASIA1");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    auto renewed = (*provider)->Get();
    ASSERT_TRUE(renewed);
    EXPECT_EQ(renewed->access_key_id, "ASIA2");
    // The agent fails: the current keys serve while valid, then the failure is reported.
    down = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(4300));
    auto still = (*provider)->Get();
    ASSERT_TRUE(still);
    EXPECT_EQ(still->access_key_id, "ASIA2");
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    auto expired = (*provider)->Get();
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code(), core::ErrorCode::kUnavailable);
}

TEST(AwsCredentials, ReadsIso8601Times) {
    EXPECT_EQ(*ParseIso8601Utc("1970-01-01T00:01:00Z"), 60'000);
    EXPECT_EQ(*ParseIso8601Utc("2026-11-28T12:00:00.123456Z"), *ParseIso8601Utc("2026-11-28T12:00:00Z") + 123);
    EXPECT_FALSE(ParseIso8601Utc("2026-11-28T12:00:00+02:00"));
    EXPECT_FALSE(ParseIso8601Utc("tomorrow"));
}

TEST(AwsXml, ParsesS3AnswersAndRefusesBrokenOnes) {
    auto doc = ParseXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>true</IsTruncated>
<Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c</Key><Size>4</Size></Contents>
<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>)");
    ASSERT_TRUE(doc);
    EXPECT_EQ((*doc)->name, "ListBucketResult");
    auto contents = (*doc)->Children("Contents");
    ASSERT_EQ(contents.size(), 2U);
    EXPECT_EQ(contents[0]->ChildText("Key"), "a&b");
    EXPECT_EQ((*doc)->ChildText("NextContinuationToken"), "tok");
    EXPECT_FALSE(ParseXml("<a><b></a>"));
    EXPECT_FALSE(ParseXml(""));
    EXPECT_EQ(XmlEscape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
}

}  // namespace
}  // namespace insightstream::aws
