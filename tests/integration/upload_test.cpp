// Upload → queue → worker → ready through the real binary, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "core/crypto.hpp"
#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class Upload : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ServerOptions opts{.data_dir = dir_.path()};
        if (GetParam() == "postgres") {
            auto admin = PostgresAdminUrl();
            if (!admin) {
                GTEST_SKIP() << "INSIGHTSTREAM_TEST_PG_DIR is not set: run through ctest";
            }
            opts.args = PostgresServiceArgs();
        }
        server_ = std::make_unique<ServerProcess>(opts);
        server_->Start();
        token_ = SignUp(client(), "owner@" + GetParam() + ".example.com");
    }
    void TearDown() override {
        if (server_) {
            EXPECT_EQ(server_->Stop(), 0);
        }
    }
    HttpClient client() { return server_->client(); }
    // Objects published under the data directory (temp files excluded).
    size_t VisibleObjects() {
        size_t n = 0;
        fs::path root = dir_.path() / "objects";
        for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
            if (it->path().filename() == ".tmp") {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file()) ++n;
        }
        return n;
    }
    size_t TempObjects() {
        return static_cast<size_t>(
            std::distance(fs::directory_iterator(dir_.path() / "objects" / ".tmp"), fs::directory_iterator()));
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_;
};

TEST_P(Upload, RawCsvIsAcceptedAtOnceAndProcessedToReady) {
    std::string csv = SalesCsv(1000);
    auto r = UploadRaw(client(), token_, csv);
    ASSERT_EQ(r.status, 202) << r.body;
    auto j = r.Json();
    std::string id(j.at("id").as_string());
    EXPECT_EQ(r.Header("location"), "/api/v1/datasets/" + id);
    EXPECT_EQ(j.at("status"), "queued");
    EXPECT_EQ(j.at("version"), 1);
    EXPECT_EQ(j.at("size_bytes"), static_cast<int64_t>(csv.size()));
    EXPECT_EQ(j.at("name"), "sales");
    EXPECT_EQ(j.at("format"), "csv");
    auto ready = WaitForStatus(client(), token_, id, "ready");
    EXPECT_EQ(ready.at("rows"), 1000);
    EXPECT_EQ(ready.at("progress").at("percent"), 100);
    EXPECT_EQ(ready.at("progress").at("bytes_done"), static_cast<int64_t>(csv.size()));
    EXPECT_FALSE(ready.at("ready_at").is_null());
    EXPECT_EQ(ready.at("sha256").as_string().size(), 64U);

    auto list = client().Get("/api/v1/datasets", Bearer(token_));
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.Json().at("items").as_array().size(), 1U);
    EXPECT_EQ(list.Json().at("items").at(0).at("id"), id.c_str());
    EXPECT_TRUE(list.Json().at("next_cursor").is_null());
    auto metrics = client().Get("/metrics").body;
    EXPECT_NE(metrics.find("insightstream_jobs_total{outcome=\"succeeded\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("insightstream_rows_processed_total 1000"), std::string::npos);
}

TEST_P(Upload, MultipartFileFieldWorksAndNamesTheDataset) {
    auto r = UploadMultipart(client(), token_, "q3 orders.csv", SalesCsv(10));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json().at("name"), "q3 orders.csv");
    EXPECT_EQ(r.Json().at("format"), "csv");
    auto ready = WaitForStatus(client(), token_, std::string(r.Json().at("id").as_string()), "ready");
    EXPECT_EQ(ready.at("rows"), 10);
}

TEST_P(Upload, ChunkedAndExpectContinueUploadsWork) {
    std::string csv = SalesCsv(50);
    std::string raw = "POST /api/v1/datasets?name=chunked&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      token_ + "\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
                               "Connection: close\r\n\r\n";
    for (size_t i = 0; i < csv.size(); i += 777) {
        std::string piece = csv.substr(i, 777);
        char len[16];
        std::snprintf(len, sizeof len, "%zx\r\n", piece.size());
        raw += len + piece + "\r\n";
    }
    raw += "0\r\n\r\n";
    std::string bytes = client().RawBytes(raw);
    EXPECT_EQ(bytes.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0U) << bytes.substr(0, 200);
    size_t at = bytes.find("HTTP/1.1 202");
    ASSERT_NE(at, std::string::npos) << bytes;
    auto body = json::parse(bytes.substr(bytes.find("\r\n\r\n", at) + 4));
    auto ready = WaitForStatus(client(), token_, std::string(body.at("id").as_string()), "ready");
    EXPECT_EQ(ready.at("size_bytes"), static_cast<int64_t>(csv.size()));
    EXPECT_EQ(ready.at("rows"), 50);
}

// Bodies are read in 512 KiB pieces, one read while the previous is stored, and a body of known
// length straight from the socket: on one keep-alive connection, pipelined uploads sent in one
// write (the second's head in the same packets as the end of the first body) each keep exactly
// their own bytes, whether they end mid-piece, on a piece boundary, or are chunked.
TEST_P(Upload, PipelinedUploadsOnOneConnectionKeepEachItsOwnBytes) {
    std::string big = SalesCsv(20000);          // ~1.6 MB: several pieces, ends mid-piece
    std::string exact = SalesCsv(8000);
    exact.resize(512 << 10);                     // exactly one piece (a cut last row is fine)
    std::string small = SalesCsv(3);
    auto head = [&](const std::string& name, const std::string& length_or_chunked, bool close) {
        return "POST /api/v1/datasets?name=" + name + "&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
               "\r\nContent-Type: text/csv\r\n" + length_or_chunked + (close ? "Connection: close\r\n" : "") + "\r\n";
    };
    std::string chunked;
    for (size_t i = 0; i < big.size(); i += 300'000) {
        std::string piece = big.substr(i, 300'000);
        char len[16];
        std::snprintf(len, sizeof len, "%zx\r\n", piece.size());
        chunked += len + piece + "\r\n";
    }
    chunked += "0\r\n\r\n";
    auto length = [](const std::string& b) { return "Content-Length: " + std::to_string(b.size()) + "\r\n"; };
    std::string raw = head("big", length(big), false) + big + head("exact", length(exact), false) + exact +
                      head("chunked", "Transfer-Encoding: chunked\r\n", false) + chunked +
                      head("small", length(small), true) + small;
    std::string bytes = client().RawBytes(raw);
    std::vector<std::string> ids;
    for (size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos; at = bytes.find("HTTP/1.1 ", at + 1)) {
        ASSERT_EQ(bytes.compare(at, 12, "HTTP/1.1 202"), 0) << bytes.substr(at, 400);
        size_t body_at = bytes.find("\r\n\r\n", at) + 4;
        size_t next = bytes.find("HTTP/1.1 ", body_at);
        ids.emplace_back(json::parse(bytes.substr(body_at, next == std::string::npos ? std::string::npos : next - body_at))
                             .at("id")
                             .as_string());
    }
    ASSERT_EQ(ids.size(), 4U) << "four answers on one connection: " << bytes.substr(0, 600);
    const std::string* sent[] = {&big, &exact, &big, &small};
    for (size_t i = 0; i < ids.size(); ++i) {
        SCOPED_TRACE(i);
        auto d = client().Get("/api/v1/datasets/" + ids[i], Bearer(token_)).Json().as_object();
        EXPECT_EQ(d.at("size_bytes"), static_cast<int64_t>(sent[i]->size()));
        EXPECT_EQ(std::string(d.at("sha256").as_string()), core::Sha256Hex(*sent[i]));
    }
}

TEST_P(Upload, NewVersionsOfADataset) {
    auto first = UploadRaw(client(), token_, SalesCsv(5));
    std::string id(first.Json().at("id").as_string());
    WaitForStatus(client(), token_, id, "ready");
    auto second = UploadRaw(client(), token_, SalesCsv(7), "", "text/csv");
    EXPECT_EQ(second.status, 400) << "a new dataset needs a name";
    Headers h = Bearer(token_);
    h.emplace_back("Content-Type", "text/csv");
    auto v2 = client().Post("/api/v1/datasets/" + id + "/versions", SalesCsv(7), h);
    ASSERT_EQ(v2.status, 202) << v2.body;
    EXPECT_EQ(v2.Json().at("version"), 2);
    EXPECT_EQ(v2.Json().at("name"), "sales");
    auto ready = WaitForStatus(client(), token_, id, "ready");
    EXPECT_EQ(ready.at("version"), 2);
    EXPECT_EQ(ready.at("rows"), 7);
    EXPECT_EQ(client().Post("/api/v1/datasets/ds_nope/versions", "a\n1\n", h).status, 404);
}

TEST_P(Upload, AnotherTenantSeesNothingAndGets404) {
    auto r = UploadRaw(client(), token_, SalesCsv(3));
    std::string id(r.Json().at("id").as_string());
    std::string other = SignUp(client(), "intruder@" + GetParam() + ".example.org", "Intruders");
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id, Bearer(other)).status, 404);
    EXPECT_EQ(client().Delete("/api/v1/datasets/" + id, Bearer(other)).status, 404);
    Headers h = Bearer(other);
    h.emplace_back("Content-Type", "text/csv");
    EXPECT_EQ(client().Post("/api/v1/datasets/" + id + "/versions", "a\n1\n", h).status, 404);
    EXPECT_TRUE(client().Get("/api/v1/datasets", Bearer(other)).Json().at("items").as_array().empty());
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id, Bearer(token_)).status, 200);
}

TEST_P(Upload, DeleteRemovesTheRecordsAndTheObjects) {
    auto r = UploadRaw(client(), token_, SalesCsv(3));
    std::string id(r.Json().at("id").as_string());
    WaitForStatus(client(), token_, id, "ready");
    EXPECT_EQ(VisibleObjects(), 3U) << "the source, its quarantine and its snapshot";
    auto del = client().Delete("/api/v1/datasets/" + id, Bearer(token_));
    EXPECT_EQ(del.status, 204);
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id, Bearer(token_)).status, 404);
    EXPECT_EQ(client().Delete("/api/v1/datasets/" + id, Bearer(token_)).status, 404);
    EXPECT_EQ(VisibleObjects(), 0U);
}

TEST_P(Upload, BadUploadRequestsGetSpecificProblems) {
    auto form = UploadRaw(client(), token_, "a=b", "?name=x", "application/x-www-form-urlencoded");
    EXPECT_EQ(form.status, 415);
    auto no_name = UploadRaw(client(), token_, "a\n1\n", "?format=csv");
    EXPECT_EQ(no_name.status, 400);
    EXPECT_EQ(no_name.Json().at("errors").at(0).at("field"), "name");
    auto bad_format = UploadRaw(client(), token_, "a\n1\n", "?name=x&format=xlsx");
    EXPECT_EQ(bad_format.status, 400);
    auto unknown = UploadRaw(client(), token_, "a\n1\n", "?name=x", "application/octet-stream");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.Json().at("errors").at(0).at("field"), "format");
    auto broken = client().Post("/api/v1/datasets?name=x&format=csv", "--b\r\nno headers end",
                                {{"Authorization", "Bearer " + token_},
                                 {"Content-Type", "multipart/form-data; boundary=b"}});
    EXPECT_EQ(broken.status, 400);
    EXPECT_EQ(broken.ProblemSlug(), "malformed-multipart");
    auto no_token = UploadRaw(client(), "", "a\n1\n");
    EXPECT_EQ(no_token.status, 401);
    auto bad_limit = client().Get("/api/v1/datasets?limit=0", Bearer(token_));
    EXPECT_EQ(bad_limit.status, 400);
    auto bad_cursor = client().Get("/api/v1/datasets?cursor=zzz", Bearer(token_));
    EXPECT_EQ(bad_cursor.status, 400);
    // None of them left a dataset or an object behind.
    EXPECT_TRUE(client().Get("/api/v1/datasets", Bearer(token_)).Json().at("items").as_array().empty());
    EXPECT_EQ(VisibleObjects(), 0U);
}

TEST_P(Upload, AnUploadCutOffMidBodyLeavesNothingBehind) {
    std::string head = "POST /api/v1/datasets?name=cut&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       token_ + "\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n";
    client().SendAndClose(head + SalesCsv(100));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while ((TempObjects() > 0 || server_->Log().find("upload-interrupted") == std::string::npos) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(TempObjects(), 0U) << "the aborted upload's temp file was not removed";
    EXPECT_EQ(VisibleObjects(), 0U);
    EXPECT_TRUE(client().Get("/api/v1/datasets", Bearer(token_)).Json().at("items").as_array().empty());
    EXPECT_NE(server_->Log().find("upload-interrupted"), std::string::npos);
}

TEST_P(Upload, ListPagesWithACursor) {
    std::set<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        auto r = UploadRaw(client(), token_, "a\n" + std::to_string(i) + "\n", "?name=d" + std::to_string(i) + "&format=csv");
        ASSERT_EQ(r.status, 202);
        ids.insert(std::string(r.Json().at("id").as_string()));
    }
    std::set<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        auto r = client().Get("/api/v1/datasets?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), Bearer(token_));
        ASSERT_EQ(r.status, 200);
        auto body = r.Json();
        for (const auto& item : body.at("items").as_array()) seen.insert(std::string(item.at("id").as_string()));
        if (body.at("next_cursor").is_null()) break;
        cursor = std::string(body.at("next_cursor").as_string());
    }
    EXPECT_EQ(seen, ids);
}

TEST_P(Upload, BadRowsAreQuarantinedWithLineNumbersAndTheRestIsProcessed) {
    std::string csv = SalesCsv(200);
    csv += "9999,2024-13-45,North,\"Widget\",1\n";  // line 202: five fields of six
    csv += "10000,not a date,North,\"Widget, 1\",2,3.50\n";  // line 203: a bad date value, kept
    auto r = UploadRaw(client(), token_, csv);
    ASSERT_EQ(r.status, 202);
    std::string id(r.Json().at("id").as_string());
    auto ready = WaitForStatus(client(), token_, id, "ready");
    EXPECT_EQ(ready.at("rows"), 201);
    EXPECT_EQ(ready.at("rows_rejected"), 1);
    EXPECT_EQ(ready.at("invalid_values"), 1);
    auto errors = client().Get("/api/v1/datasets/" + id + "/errors", Bearer(token_));
    ASSERT_EQ(errors.status, 200) << errors.body;
    auto items = errors.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 2U);
    EXPECT_EQ(items[0].at("line"), 202);
    EXPECT_EQ(items[0].at("reason"), "expected 6 fields, found 5");
    EXPECT_EQ(items[0].at("raw"), "9999,2024-13-45,North,\"Widget\",1");
    EXPECT_EQ(items[1].at("line"), 203);
    EXPECT_EQ(items[1].at("column"), "order_date");
    auto csv_errors = client().Get("/api/v1/datasets/" + id + "/errors", {{"Authorization", "Bearer " + token_},
                                                                          {"Accept", "text/csv"}});
    EXPECT_EQ(csv_errors.Header("content-type"), "text/csv; charset=utf-8");
    EXPECT_EQ(csv_errors.body.rfind("line,column,reason,raw\r\n202,,expected 6 fields, found 5", 0), std::string::npos)
        << "fields with commas are quoted";
    EXPECT_NE(csv_errors.body.find("202,,\"expected 6 fields, found 5\""), std::string::npos) << csv_errors.body;
}

TEST_P(Upload, SpreadsheetFormulasInTheErrorsCsvAreDefused) {
    std::string csv = "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n=HYPERLINK(\"http://evil\"),3,4\n";
    auto r = UploadRaw(client(), token_, csv);
    std::string id(r.Json().at("id").as_string());
    WaitForStatus(client(), token_, id, "ready");
    auto e = client().Get("/api/v1/datasets/" + id + "/errors", {{"Authorization", "Bearer " + token_},
                                                                 {"Accept", "text/csv"}});
    EXPECT_NE(e.body.find("\"'=HYPERLINK"), std::string::npos) << e.body;
}

TEST_P(Upload, TooManyBadRowsFailTheVersionWithTheReason) {
    std::string csv = "a,b\n1,2\n3\n4\n5\n";
    auto r = UploadRaw(client(), token_, csv);
    std::string id(r.Json().at("id").as_string());
    auto failed = WaitForStatus(client(), token_, id, "failed");
    std::string error(failed.at("error").as_string());
    EXPECT_NE(error.find("3 of 4 rows"), std::string::npos) << error;
    EXPECT_NE(error.find("line 3: expected 2 fields, found 1"), std::string::npos) << error;
}

TEST_P(Upload, AnUnreadableFileFailsWithAReadableReason) {
    auto empty = UploadRaw(client(), token_, "");
    ASSERT_EQ(empty.status, 202);
    auto f1 = WaitForStatus(client(), token_, std::string(empty.Json().at("id").as_string()), "failed");
    EXPECT_EQ(f1.at("error"), "the file is empty");
    auto bin = UploadRaw(client(), token_, std::string("\x89PNG\0\0\0", 7), "?name=img&format=csv");
    auto f2 = WaitForStatus(client(), token_, std::string(bin.Json().at("id").as_string()), "failed");
    EXPECT_EQ(f2.at("error"), "the file is not text (it contains binary data)");
    auto json = UploadRaw(client(), token_, "{\"a\":1}", "?name=j&format=json", "application/json");
    auto f3 = WaitForStatus(client(), token_, std::string(json.Json().at("id").as_string()), "failed");
    EXPECT_NE(std::string(f3.at("error").as_string()).find("array of objects"), std::string::npos);
}

TEST_P(Upload, TypeHintsAreValidatedAndApplied) {
    auto bad = UploadRaw(client(), token_, "zip,n\n12345,1\n", "?name=h&format=csv&types=%7B%22zip%22%3A%22money%22%7D");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.Json().at("errors").at(0).at("field"), "types");
    auto ok = UploadRaw(client(), token_, "zip,n\n12345,1\n", "?name=h&format=csv&types=%7B%22zip%22%3A%22string%22%7D");
    ASSERT_EQ(ok.status, 202) << ok.body;
    auto ready = WaitForStatus(client(), token_, std::string(ok.Json().at("id").as_string()), "ready");
    EXPECT_EQ(ready.at("options").at("types").at("zip"), "string");
}

INSTANTIATE_TEST_SUITE_P(Backends, Upload, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
