// Never silently wrong, through the real binary: what the engine could not read is said where a
// user sees it, and what inference guessed wrong is fixed in place (reprocess), on SQLite and on
// PostgreSQL.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>
#include <tuple>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

class DataQuality : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override { Start({}); }
    void TearDown() override {
        if (server_) EXPECT_EQ(server_->Stop(), 0);
    }
    void Start(std::vector<std::string> args) {
        if (server_) EXPECT_EQ(server_->Stop(), 0);
        ServerOptions opts{.data_dir = dir_.path(), .args = std::move(args)};
        if (GetParam() == "postgres") {
            if (!PostgresAdminUrl()) GTEST_SKIP() << "INSIGHTSTREAM_TEST_PG_DIR is not set: run through ctest";
            for (auto& a : PostgresServiceArgs()) opts.args.push_back(a);
        }
        server_ = std::make_unique<ServerProcess>(opts);
        server_->Start();
        token_ = SignUp(client(), "quality" + std::to_string(++signups_) + "@" + GetParam() + ".example.com");
    }
    HttpClient client() { return server_->client(); }
    std::string Upload(const std::string& csv, const std::string& query = "?name=q&format=csv") {
        auto r = UploadRaw(client(), token_, csv, query);
        EXPECT_EQ(r.status, 202) << r.body;
        return std::string(r.Json().at("id").as_string());
    }
    json::object Get(const std::string& target) {
        auto r = client().Get(target, Bearer(token_));
        EXPECT_EQ(r.status, 200) << target << ": " << r.body;
        return r.Json().as_object();
    }
    json::object Column(const json::object& schema, const std::string& name) {
        for (const auto& c : schema.at("columns").as_array()) {
            if (c.as_object().at("name").as_string() == name) return c.as_object();
        }
        ADD_FAILURE() << "no column " << name;
        return {};
    }

    /// Every answer about dataset `id`, with the id and the computation time blanked out.
    std::string Answers(const std::string& id) {
        std::string out;
        for (const char* what : {"/summary", "/schema", "/timeseries?interval=month&measure=revenue",
                                 "/groups?dimension=region&measure=revenue", "/groups?dimension=product&agg=count",
                                 "/breakdown?dimension=region&measure=revenue", "/errors"}) {
            auto r = client().Get("/api/v1/datasets/" + id + what, Bearer(token_));
            EXPECT_EQ(r.status, 200) << what << ": " << r.body;
            std::string body = r.body;
            for (size_t at; (at = body.find(id)) != std::string::npos;) body.replace(at, id.size(), "ID");
            const std::string stamp = "\"computed_at\":\"";
            for (size_t at = body.find(stamp); at != std::string::npos; at = body.find(stamp, at + 1)) {
                size_t from = at + stamp.size();
                body.erase(from, body.find('"', from) - from);  // when, not what
            }
            out += std::string(what) + " " + body + "\n";
        }
        return out;
    }
    /// The sum of a counter's series whose line starts with `series` (name and labels).
    double Counter(const std::string& series) {
        std::string text = client().Get("/metrics").body;
        double sum = 0;
        for (size_t at = text.find("\n" + series); at != std::string::npos; at = text.find("\n" + series, at + 1)) {
            size_t value = text.find(' ', at + 1);
            if (value != std::string::npos) sum += std::stod(text.substr(value + 1));
        }
        return sum;
    }
    /// The head of a raw upload of `bytes` bytes of CSV.
    std::string UploadHead(size_t bytes) {
        return "POST /api/v1/datasets?name=streamed&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
               "\r\nContent-Type: text/csv\r\nContent-Length: " + std::to_string(bytes) + "\r\nConnection: close\r\n\r\n";
    }
    /// Waits until split jobs sent while the upload streams were analysed (`want` of them).
    void WaitForSplitsAnalysedWhileUploading(double want) {
        for (int i = 0; i < 600; ++i) {
            if (Counter("insightstream_jobs_total{outcome=\"split\"}") >= want) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ADD_FAILURE() << "no split was analysed while the file uploaded; sent: "
                      << Counter("insightstream_upload_splits_sent_total");
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_;
    int signups_ = 0;
};

TEST_P(DataQuality, AnAssumedDateOrderIsSaidAndFixedInPlaceAndRemembered) {
    // Every day is 12 or less: nothing in the file tells the order.
    std::string csv = "day,amount\n01/03/2023,10\n02/03/2023,5\n11/04/2023,1\n";
    std::string id = Upload(csv);
    WaitForStatus(client(), token_, id, "ready");
    auto day = Column(Get("/api/v1/datasets/" + id + "/schema"), "day");
    EXPECT_EQ(day.at("date_order"), "MDY");
    EXPECT_EQ(day.at("date_order_source"), "assumed");
    // Reprocess from the stored source with the order the analyst knows: a new version, no upload.
    auto r = client().PostJson("/api/v1/datasets/" + id + "/reprocess", R"({"date_order":"dmy"})", Bearer(token_));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json().at("version"), 2);
    EXPECT_EQ(r.Json().at("reprocessed_from"), 1);
    auto ready = WaitForStatus(client(), token_, id, "ready");
    EXPECT_EQ(ready.at("version"), 2);
    day = Column(Get("/api/v1/datasets/" + id + "/schema"), "day");
    EXPECT_EQ(day.at("date_order"), "DMY");
    EXPECT_EQ(day.at("date_order_source"), "hint");
    auto ts = Get("/api/v1/datasets/" + id + "/timeseries?measure=amount&interval=month");
    EXPECT_EQ(ts.at("points").as_array().at(0).at("period"), "2023-03");
    // The dataset remembers it: a later upload of the same dataset is read day first too.
    auto v3 = UploadRaw(client(), token_, "day,amount\n05/06/2024,1\n", "/" + id + "/versions?format=csv");
    ASSERT_EQ(v3.status, 202) << v3.body;
    EXPECT_EQ(v3.Json().at("column_options").at("date_order"), "dmy");
    WaitForStatus(client(), token_, id, "ready");
    auto summary = Get("/api/v1/datasets/" + id + "/summary");
    EXPECT_EQ(summary.at("version"), 3);
    EXPECT_EQ(summary.at("columns").as_array().at(0).at("min"), "2024-06-05");
    // The old version still answers as it was.
    auto v1 = Get("/api/v1/datasets/" + id + "/summary?version=1");
    EXPECT_EQ(v1.at("columns").as_array().at(0).at("min"), "2023-01-03");
    // Bad settings get a problem naming the field; nothing is queued.
    auto bad = client().PostJson("/api/v1/datasets/" + id + "/reprocess", R"({"types":{"day":"date:ymd"}})", Bearer(token_));
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("unknown format"), std::string::npos) << bad.body;
    auto unknown = client().PostJson("/api/v1/datasets/" + id + "/reprocess", R"({"colour":"red"})", Bearer(token_));
    EXPECT_EQ(unknown.status, 400) << unknown.body;
    EXPECT_EQ(Get("/api/v1/datasets/" + id).at("version"), 3);
}

TEST_P(DataQuality, AFailedVersionKeepsItsBadRowReport) {
    std::string csv = "a,b\n1,2\n";
    for (int i = 0; i < 30; ++i) csv += "broken\n";
    std::string id = Upload(csv);
    auto failed = WaitForStatus(client(), token_, id, "failed");
    EXPECT_NE(std::string(failed.at("error").as_string()).find("could not be read"), std::string::npos);
    auto errors = Get("/api/v1/datasets/" + id + "/errors?version=1");
    EXPECT_EQ(errors.at("version"), 1);
    ASSERT_FALSE(errors.at("items").as_array().empty());
    const auto& first = errors.at("items").as_array().at(0).as_object();
    EXPECT_EQ(first.at("line"), 3);
    EXPECT_EQ(first.at("kind"), "rejected");
    // A new version does not hide the old report.
    auto v2 = UploadRaw(client(), token_, "a,b\n1,2\n", "/" + id + "/versions?format=csv");
    ASSERT_EQ(v2.status, 202);
    WaitForStatus(client(), token_, id, "ready");
    EXPECT_TRUE(Get("/api/v1/datasets/" + id + "/errors").at("items").as_array().empty());
    EXPECT_FALSE(Get("/api/v1/datasets/" + id + "/errors?version=1").at("items").as_array().empty());
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id + "/errors?version=9", Bearer(token_)).status, 404);
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id + "/errors?version=x", Bearer(token_)).status, 400);
}

TEST_P(DataQuality, ABrokenRecordThatSwallowsMostLinesFailsTheVersion) {
    // Quoted line breaks are real here, so a stray quote swallows the lines after it: one bad
    // record, but most of the file's lines — the threshold counts lines, so the version fails.
    std::string csv = "id,note,n\n1,\"two\nlines\",1\n2,\"stray,1\n";
    for (int i = 3; i < 100; ++i) csv += std::to_string(i) + ",plain,1\n";
    std::string id = Upload(csv);
    auto failed = WaitForStatus(client(), token_, id, "failed");
    std::string error(failed.at("error").as_string());
    EXPECT_NE(error.find("rows spanning"), std::string::npos) << error;
    EXPECT_NE(error.find("line 4"), std::string::npos) << error;
}

TEST_P(DataQuality, AmountsInDifferentCurrenciesAreNeverAdded) {
    std::string id = Upload("day,item,price\n2024-01-01,a,$5.00\n2024-01-02,b,\xE2\x82\xAC" "5.00\n2024-01-03,c,$2.50\n");
    WaitForStatus(client(), token_, id, "ready");
    auto summary = Get("/api/v1/datasets/" + id + "/summary");
    const auto& price = summary.at("columns").as_array().at(2).as_object();
    EXPECT_TRUE(price.at("sum").is_null());
    EXPECT_EQ(price.at("sum_withheld"), "mixed currencies");
    ASSERT_EQ(price.at("currencies").as_array().size(), 2U);
    EXPECT_EQ(price.at("currencies").as_array().at(0).at("currency"), "USD");
    EXPECT_EQ(price.at("currencies").as_array().at(0).at("sum"), "7.50");
    auto sum = client().Get("/api/v1/datasets/" + id + "/timeseries?measure=price", Bearer(token_));
    EXPECT_EQ(sum.status, 400);
    EXPECT_NE(sum.body.find("mixed-currencies"), std::string::npos) << sum.body;
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id + "/timeseries?agg=count", Bearer(token_)).status, 200);
}

TEST_P(DataQuality, UploadOptionsAreValidatedAndApplied) {
    auto bad = UploadRaw(client(), token_, "a\n1\n", "?name=x&format=csv&decimal=dot");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("decimal"), std::string::npos) << bad.body;
    std::string id = Upload("day;amount\n01.02.2024;1.234,50\n02.02.2024;10\n", "?name=eu&format=csv&decimal=comma");
    WaitForStatus(client(), token_, id, "ready");
    auto schema = Get("/api/v1/datasets/" + id + "/schema");
    EXPECT_EQ(Column(schema, "amount").at("decimal_mark"), "comma");
    EXPECT_EQ(Column(schema, "day").at("date_order_source"), "separator");
    auto summary = Get("/api/v1/datasets/" + id + "/summary");
    EXPECT_EQ(summary.at("columns").as_array().at(1).at("sum"), "1244.50");
}

TEST_P(DataQuality, AnAnalysisOverItsMemoryBudgetFailsAloneAndTheServerGoesOn) {
    Start({"--job-memory-bytes", "8388608"});
    std::string csv = "day,customer,revenue\n";
    for (int i = 0; i < 200'000; ++i) csv += "2024-01-01,c" + std::to_string(i) + ",1\n";
    std::string id = Upload(csv, "?name=big&format=csv&roles=" + std::string("%7B%22customer%22%3A%22dimension%22%7D"));
    auto failed = WaitForStatus(client(), token_, id, "failed", 120);
    EXPECT_NE(std::string(failed.at("error").as_string()).find("--job-memory-bytes"), std::string::npos) << failed;
    EXPECT_EQ(client().Get("/healthz").status, 200);
    std::string small = Upload("k,v\na,1\n");
    WaitForStatus(client(), token_, small, "ready");
}

TEST_P(DataQuality, AFileAnalysedInSplitsAnswersExactlyAsTheWholeFile) {
    // The same file through a server that never splits and one that cuts it into ~64 KiB splits
    // (each a queue job; two workers): every answer the same, byte for byte, but for the id.
    std::string csv = SalesCsv(20'000);
    csv.insert(csv.find("\n1500,") + 1, "1499,2024-02-30,North,\"a quoted\nline break\",x,1.00\n");
    auto answers = [&](const std::string& id) { return Answers(id); };
    Start({"--split-bytes", "0"});
    std::string whole = Upload(csv);
    WaitForStatus(client(), token_, whole, "ready", 120);
    std::string want = answers(whole);
    EXPECT_NE(want.find("line break"), std::string::npos) << "the quarantine has the bad row";
    EXPECT_EQ(server_->Log().find("job.splits"), std::string::npos);

    // One worker thread: on SQLite (one process) nobody could take a split, so none is made; on
    // PostgreSQL other worker processes may share the queue, so the file is split.
    Start({"--split-bytes", "65536"});
    std::string alone = Upload(csv);
    WaitForStatus(client(), token_, alone, "ready", 120);
    EXPECT_EQ(answers(alone), want);
    EXPECT_EQ(server_->Log().find("job.splits") == std::string::npos, GetParam() == "sqlite");

    Start({"--split-bytes", "65536", "--worker-concurrency", "2"});
    std::string split = Upload(csv);
    WaitForStatus(client(), token_, split, "ready", 120);
    EXPECT_EQ(answers(split), want);
    EXPECT_NE(server_->Log().find("job.splits"), std::string::npos) << "the file was not split";
}

TEST_P(DataQuality, AFileSplitWhileItUploadsIsAnalysedAsItStreamsAndAnswersExactlyAsTheWholeFile) {
    // Splits of ~64 KiB cut by the ingest as the bytes arrive: workers analyse the first ones
    // while the rest of the file is still on the wire (the version does not exist yet), the
    // version's job adopts them, and every answer is the whole file's, byte for byte.
    std::string csv = SalesCsv(60'000);
    // A quoted line break in a record, which the cut must not split.
    csv.insert(csv.find("\n1500,") + 1, "1499,2024-02-30,North,\"a quoted\nline break\",x,1.00\n");
    Start({"--split-bytes", "0"});
    std::string whole = Upload(csv);
    WaitForStatus(client(), token_, whole, "ready", 120);
    const std::string want = Answers(whole);

    Start({"--split-bytes", "65536"});
    const size_t first = csv.size() * 3 / 5;
    std::string answer = client().RawBytes(
        UploadHead(csv.size()) + csv.substr(0, first), [&] { WaitForSplitsAnalysedWhileUploading(2); }, csv.substr(first));
    ASSERT_NE(answer.find(" 202 "), std::string::npos) << answer;
    const size_t body = answer.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos);
    std::string id(json::parse(answer.substr(body + 4)).at("id").as_string());
    EXPECT_GE(Counter("insightstream_upload_splits_sent_total"), 5);
    WaitForStatus(client(), token_, id, "ready", 120);
    EXPECT_EQ(Answers(id), want);
    EXPECT_NE(server_->Log().find("\"cut_while_uploading\":true"), std::string::npos) << "the version's job did not adopt the splits";
    // Every split's object is gone once the version is ready.
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path() / "objects")) {
        EXPECT_EQ(f.path().filename().string().find("split-"), std::string::npos) << f.path();
    }
}

TEST_P(DataQuality, AnUploadCutOffAfterItsFirstSplitsWereAnalysedLeavesNothingBehind) {
    Start({"--split-bytes", "65536"});
    std::string csv = SalesCsv(60'000);
    const size_t first = csv.size() / 2;
    client().RawBytes(
        UploadHead(csv.size()) + csv.substr(0, first), [&] { WaitForSplitsAnalysedWhileUploading(1); }, "", true);
    // The upload is refused (nothing to list) and what its split jobs stored is withdrawn, the
    // write in progress deleted.
    auto leftovers = [&] {
        std::vector<std::string> out;
        for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path() / "objects")) {
            if (f.is_regular_file()) out.push_back(f.path().string());
        }
        return out;
    };
    for (int i = 0; i < 200 && !leftovers().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(leftovers(), std::vector<std::string>{});
    EXPECT_EQ(Get("/api/v1/datasets").at("items").as_array().size(), 0u);
    // The split jobs still queued find nothing waiting for them; the next upload is whole.
    std::string id = Upload(csv);
    WaitForStatus(client(), token_, id, "ready", 120);
    EXPECT_EQ(Get("/api/v1/datasets/" + id).at("rows").as_int64(), 60'000);
}

TEST(SplitSettings, ASplitSizeOrStallTooSmallIsRefusedAtStartWithTheReason) {
    TempDir dir;
    for (auto [flag, value, field] : {std::tuple{"--split-bytes", "100", "split_bytes"},
                                      std::tuple{"--split-stall-ms", "5", "split_stall_ms"}}) {
        std::string output;
        EXPECT_EQ(RunBinaryToExit({"all", "--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), flag, value}, &output), 2)
            << flag;
        EXPECT_NE(output.find("invalid configuration"), std::string::npos) << flag << ": " << output;
        EXPECT_NE(output.find(field), std::string::npos) << flag << ": " << output;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, DataQuality, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
