// The analytics API through the real binary: caching headers and 304s, parameter errors naming
// the valid choices, not-ready versions, CSV downloads, live events while a file is processed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/json.hpp>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

class Analytics : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<ServerProcess>(ServerOptions{.data_dir = dir_.path()});
        server_->Start();
        token_ = SignUp(client(), "analyst@example.com");
        auto r = UploadRaw(client(), token_, SalesCsv(500));
        id_ = std::string(r.Json().at("id").as_string());
        WaitForStatus(client(), token_, id_, "ready");
    }
    void TearDown() override {
        if (server_) {
            EXPECT_EQ(server_->Stop(), 0);
        }
    }
    HttpClient client() { return server_->client(); }
    HttpResult Get(const std::string& path, Headers extra = {}) {
        Headers h = Bearer(token_);
        h.insert(h.end(), extra.begin(), extra.end());
        return client().Get("/api/v1/datasets/" + id_ + path, h);
    }
    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_, id_;
};

TEST_F(Analytics, AnswersCarryStrongEtagsAndRevalidateWith304) {
    auto first = Get("/summary");
    ASSERT_EQ(first.status, 200) << first.body;
    std::string etag = first.Header("etag");
    ASSERT_EQ(etag.front(), '"');
    EXPECT_EQ(first.Header("cache-control"), "private, no-cache");
    EXPECT_EQ(first.Json().at("provenance").at("version"), 1);
    EXPECT_EQ(first.Json().at("provenance").at("rows"), 500);
    auto again = Get("/summary", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(Get("/summary", {{"If-None-Match", "\"other\""}}).status, 200);
    auto metrics = client().Get("/metrics").body;
    EXPECT_NE(metrics.find("insightstream_analytics_cache_requests_total{result=\"hit\"}"), std::string::npos);
    EXPECT_NE(metrics.find("insightstream_analytics_cache_requests_total{result=\"miss\"}"), std::string::npos);
}

// Requests that miss the cache together for the same answer compute it once: one computes, the
// others wait for it (or find it cached). Those that wait for a parameter error get it too.
TEST_F(Analytics, ConcurrentMissesForOneAnswerComputeItOnce) {
    auto computed = [&] {
        std::string m = client().Get("/metrics").body;
        auto at = m.find("\ninsightstream_analytics_answers_computed_total");
        if (at == std::string::npos) return 0L;
        std::string line = m.substr(at + 1, m.find('\n', at + 1) - at - 1);
        return std::stol(line.substr(line.rfind(' ') + 1));
    };
    auto concurrently = [&](const std::string& path) {
        std::vector<HttpResult> results(12);
        std::vector<std::thread> threads;
        for (auto& r : results) threads.emplace_back([&] { r = Get(path); });
        for (auto& t : threads) t.join();
        return results;
    };
    for (const std::string path : {"/timeseries?measure=revenue&interval=week&from=2024-02-01",
                                   "/groups?dimension=region&limit=7&agg=avg&measure=revenue"}) {
        SCOPED_TRACE(path);
        long before = computed();
        auto results = concurrently(path);
        ASSERT_EQ(results[0].status, 200) << results[0].body;
        for (const auto& r : results) {
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, results[0].body);
            EXPECT_EQ(r.Header("etag"), results[0].Header("etag"));
        }
        EXPECT_EQ(computed() - before, 1) << "computed once for 12 concurrent requests";
    }
    for (const auto& r : concurrently("/timeseries?interval=fortnight")) {
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.Json().at("errors").at(0).at("field"), "interval") << r.body;
    }
}

TEST_F(Analytics, TimeseriesGroupsAndBreakdownAnswer) {
    auto ts = Get("/timeseries?measure=revenue&interval=quarter&compare=yoy");
    ASSERT_EQ(ts.status, 200) << ts.body;
    auto points = ts.Json().at("points").as_array();
    EXPECT_EQ(points.size(), 4U);  // SalesCsv spans 2024
    EXPECT_EQ(points[0].at("period"), "2024-Q1");
    auto groups = Get("/groups?dimension=region&measure=revenue&limit=2");
    ASSERT_EQ(groups.status, 200) << groups.body;
    EXPECT_EQ(groups.Json().at("groups").as_array().size(), 2U);
    EXPECT_GT(groups.Json().at("other").at("count").as_int64(), 0);
    auto bd = Get("/breakdown?dimension=region&interval=quarter&limit=3");
    ASSERT_EQ(bd.status, 200) << bd.body;
    EXPECT_EQ(bd.Json().at("series").as_array().size(), 3U);
    auto count = Get("/timeseries?agg=count&interval=year");
    EXPECT_EQ(count.Json().at("points").at(0).at("value"), 500);
}

TEST_F(Analytics, ParameterErrorsNameTheParameterAndTheChoices) {
    auto unknown = Get("/timeseries?measure=nope");
    ASSERT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.Json().at("errors").at(0).at("field"), "measure");
    EXPECT_NE(std::string(unknown.Json().at("detail").as_string()).find("revenue"), std::string::npos);
    auto dim = Get("/groups?dimension=revenue");
    EXPECT_EQ(dim.status, 400);
    EXPECT_NE(std::string(dim.Json().at("detail").as_string()).find("is a measure, not a dimension"), std::string::npos);
    auto interval = Get("/timeseries?interval=fortnight");
    EXPECT_EQ(interval.status, 400);
    EXPECT_NE(std::string(interval.Json().at("detail").as_string()).find("day, week, month, quarter, year"), std::string::npos);
    EXPECT_EQ(Get("/breakdown?dimension=region&interval=day").status, 400);
    EXPECT_EQ(Get("/groups").status, 400) << "dimension is required";
    EXPECT_EQ(Get("/timeseries?from=2024-13-01").status, 400);
    EXPECT_EQ(Get("/timeseries?agg=median").status, 400);
    EXPECT_EQ(Get("/summary?version=9").status, 404);
    EXPECT_EQ(Get("/summary?version=x").status, 400);
}

TEST_F(Analytics, CsvDownloadsAreSafeForSpreadsheets) {
    std::string csv = "region,amount\n=cmd|' /C calc'!A0,5\n+1+1,3\n@SUM(A1),4\n-2,1\nNorth,1\n";
    auto r = UploadRaw(client(), token_, csv, "?name=evil&format=csv");
    std::string id(r.Json().at("id").as_string());
    WaitForStatus(client(), token_, id, "ready");
    auto g = client().Get("/api/v1/datasets/" + id + "/groups?dimension=region&measure=amount",
                          {{"Authorization", "Bearer " + token_}, {"Accept", "text/csv"}});
    ASSERT_EQ(g.status, 200);
    EXPECT_EQ(g.Header("content-type"), "text/csv; charset=utf-8");
    EXPECT_NE(g.body.find("\n'=cmd|' /C calc'!A0,"), std::string::npos) << g.body;
    EXPECT_NE(g.body.find("'+1+1"), std::string::npos);
    EXPECT_NE(g.body.find("'@SUM(A1)"), std::string::npos);
    EXPECT_NE(g.body.find("\n-2,"), std::string::npos) << "a negative number stays a number";
}

TEST_F(Analytics, ADatasetNotProcessedYetIs409) {
    // A second server with a slow worker: the version stays queued or processing for a while.
    TempDir dir;
    ServerProcess slow({.data_dir = dir.path(), .args = {"--worker-chunk-bytes", "4096", "--fault-chunk-pause-ms", "500"}});
    slow.Start();
    std::string token = SignUp(slow.client(), "slow@example.com");
    auto r = UploadRaw(slow.client(), token, SalesCsv(2000));
    std::string id(r.Json().at("id").as_string());
    auto s = slow.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
    EXPECT_EQ(s.status, 409);
    EXPECT_EQ(s.ProblemSlug(), "not-ready");
    // Live events: progress while processing.
    std::string events = slow.client().RawBytes("GET /api/v1/datasets/" + id + "/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                                token + "\r\nConnection: close\r\n\r\n");
    EXPECT_NE(events.find("text/event-stream"), std::string::npos);
    EXPECT_NE(events.find("event: progress"), std::string::npos) << events.substr(0, 2000);
    EXPECT_NE(events.find("event: ready"), std::string::npos);
    EXPECT_EQ(slow.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).status, 200);
    EXPECT_EQ(slow.Stop(), 0);
}

TEST_F(Analytics, ADeletedDatasetIsNeverAnsweredFromTheCache) {
    ASSERT_EQ(Get("/summary").status, 200);
    ASSERT_EQ(Get("/summary").status, 200);  // now cached, answered from memory
    ASSERT_EQ(client().Delete("/api/v1/datasets/" + id_, Bearer(token_)).status, 204);
    EXPECT_EQ(Get("/summary").status, 404);
    // Another tenant never gets the cached answer either, even with the right id.
    std::string other = SignUp(client(), "other@example.org", "Other");
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id_ + "/summary", Bearer(other)).status, 404);
}

// Once the dataset says a new version is ready, no answer started after that is of the previous
// one: in one process the newest version is remembered, and the worker keeps the memo out of use
// from just before its commit until it has forgotten the old version. Answers are read all the
// time meanwhile (cached ones from memory), so an answer in the gap would be seen.
TEST_F(Analytics, AfterANewVersionIsReadyNoAnswerIsOfThePreviousOne) {
    ASSERT_EQ(Get("/schema").status, 200);
    ASSERT_EQ(Get("/schema").status, 200);  // cached, and the version remembered
    struct Seen {
        std::chrono::steady_clock::time_point started;
        int64_t version;
    };
    std::vector<Seen> seen;
    std::atomic<bool> done{false};
    std::thread reader([&] {
        HttpClient c = client();
        while (!done) {
            auto started = std::chrono::steady_clock::now();
            auto r = c.Get("/api/v1/datasets/" + id_ + "/schema", Bearer(token_));
            if (r.status == 200) seen.push_back({started, r.Json().at("version").as_int64()});
        }
    });
    Headers h = Bearer(token_);
    h.emplace_back("Content-Type", "text/csv");
    ASSERT_EQ(client().Post("/api/v1/datasets/" + id_ + "/versions", SalesCsv(300), h).status, 202);
    std::chrono::steady_clock::time_point ready_seen;
    for (int i = 0; i < 600; ++i) {
        auto d = Get("").Json();
        if (d.at("version") == 2 && d.at("status") == "ready") {
            ready_seen = std::chrono::steady_clock::now();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    done = true;
    reader.join();
    ASSERT_NE(ready_seen, std::chrono::steady_clock::time_point{}) << "version 2 never became ready";
    int after = 0;
    for (const auto& s : seen) {
        if (s.started <= ready_seen) continue;
        ++after;
        EXPECT_EQ(s.version, 2) << "an answer started after version 2 was ready";
    }
    EXPECT_GT(after, 0);
}

TEST_F(Analytics, CachedAnswersAreTenantScoped) {
    ASSERT_EQ(Get("/summary").status, 200);
    ASSERT_EQ(Get("/summary").status, 200);
    std::string other = SignUp(client(), "other@example.org", "Other");
    auto r = client().Get("/api/v1/datasets/" + id_ + "/summary", Bearer(other));
    EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(Analytics, OpenApiDocumentIsServed) {
    auto r = client().Get("/api/v1/openapi.json");
    ASSERT_EQ(r.status, 200);
    auto doc = r.Json();
    EXPECT_EQ(doc.at("openapi"), "3.1.0");
    EXPECT_TRUE(doc.at("paths").as_object().contains("/api/v1/datasets/{id}/timeseries"));
}

}  // namespace
}  // namespace insightstream::testing
