// The gateway serves the dashboard: files from --web-dir, index.html for client routes (the SPA
// fallback) with its Content-Security-Policy, 404 for missing assets, and the API untouched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace fs = std::filesystem;

TEST(Web, TheGatewayServesTheDashboardWithAnSpaFallback) {
    TempDir dir;
    fs::create_directories(dir.path() / "web" / "assets");
    std::ofstream(dir.path() / "web" / "index.html") << "<!doctype html><title>InsightStream</title>";
    std::ofstream(dir.path() / "web" / "assets" / "app-1a2b.js") << "console.log(1)";
    ServerProcess server({.data_dir = dir.path() / "data", .args = {"--web-dir", (dir.path() / "web").string()}});
    server.Start();
    auto c = server.client();
    auto root = c.Get("/");
    EXPECT_EQ(root.status, 200);
    EXPECT_EQ(root.Header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(root.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(root.Header("cache-control"), "no-cache");
    for (const char* route : {"/login", "/datasets", "/datasets/ds_abc"}) {
        auto r = c.Get(route);
        EXPECT_EQ(r.status, 200) << route;
        EXPECT_EQ(r.body, root.body) << route;
    }
    auto js = c.Get("/assets/app-1a2b.js");
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(js.Header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(c.Get("/assets/missing.js").status, 404);
    EXPECT_EQ(c.Get("/favicon.ico").status, 404);
    EXPECT_EQ(c.Get("/api/v1/nope").ProblemSlug(), "not-found");
    EXPECT_EQ(c.Get("/healthz").Header("content-type"), "application/json");
    EXPECT_EQ(c.Get("/", {{"If-None-Match", root.Header("etag")}}).status, 304);
    EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace insightstream::testing
