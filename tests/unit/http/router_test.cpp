#include <gtest/gtest.h>

#include "http/problem.hpp"
#include "http/router.hpp"

namespace insightstream::http {
namespace {

core::Result<Response> Ok(Request&) { return Response::Empty(204); }

TEST(Router, MatchesPatternsAndCapturesParameters) {
    Router r;
    r.Add("GET", "/api/v1/datasets", Ok);
    r.Add("GET", "/api/v1/datasets/{id}", Ok);
    r.Add("DELETE", "/api/v1/datasets/{id}", Ok);
    auto m = r.Match("GET", "/api/v1/datasets/ds_1");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->route->pattern, "/api/v1/datasets/{id}");
    ASSERT_EQ(m->params.size(), 1U);
    EXPECT_EQ(m->params[0].second, "ds_1");
    EXPECT_TRUE(r.Match("HEAD", "/api/v1/datasets"));  // HEAD is served by GET
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    Router r;
    r.Add("GET", "/api/v1/datasets/{id}", Ok);
    r.Add("DELETE", "/api/v1/datasets/{id}", Ok);
    auto nf = r.Match("GET", "/api/v1/nope");
    ASSERT_FALSE(nf);
    EXPECT_EQ(nf.error().code(), core::ErrorCode::kNotFound);
    auto na = r.Match("PUT", "/api/v1/datasets/x");
    ASSERT_FALSE(na);
    EXPECT_EQ(na.error().code(), core::ErrorCode::kMethodNotAllowed);
    EXPECT_EQ(na.error().internal(), "GET, DELETE");
    EXPECT_FALSE(r.Match("GET", "/api/v1/datasets/"));  // an empty parameter never matches
    EXPECT_FALSE(r.Match("GET", "/api/v1/datasets/x/y"));
}

TEST(Problem, CarriesTypeStatusFieldsAndRetryAfter) {
    auto resp = ToProblem(core::Error::InvalidArgument("bad", {{"/email", "is required"}}), "/x", "req_1");
    EXPECT_EQ(resp.status, 400);
    EXPECT_EQ(*resp.FindHeader("content-type"), "application/problem+json");
    EXPECT_NE(resp.body.find("\"type\":\"https://insightstream.dev/problems/invalid-request\""), std::string::npos);
    EXPECT_NE(resp.body.find("\"errors\":[{\"field\":\"/email\",\"message\":\"is required\"}]"), std::string::npos);
    EXPECT_NE(resp.body.find("\"request_id\":\"req_1\""), std::string::npos);
    auto limited = ToProblem(core::Error::RateLimited("slow down", 7), "/x", "r");
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(*limited.FindHeader("Retry-After"), "7");
    auto internal = ToProblem(core::Error::Internal("secret stack trace"), "/x", "r");
    EXPECT_EQ(internal.body.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace insightstream::http
