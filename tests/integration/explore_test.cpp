// POST .../query and GET .../export over the version's Parquet snapshot, through the real binary:
// the answers agree to the digit with /timeseries, /groups and /breakdown for every measure,
// aggregation and interval; filters match a brute-force count of the generated rows; every bad
// request gets a problem naming the field; answers are cached with strong ETags; another tenant
// sees nothing; a version without a snapshot says so.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <thread>

#include "store/db/sqlite/sqlite_database.hpp"
#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

// Three years of orders: regions (some empty), channels, revenue with cents (some empty), an
// integer quantity and a float score. Row i is fully determined by i, so the test can recount.
struct Order {
    int day_of_year;  // 0..1094 from 2022-01-01
    std::string region, channel;
    bool has_revenue;
    int64_t cents;
    int quantity;
    double score;
};

Order MakeOrder(int i) {
    static const char* regions[] = {"North", "South", "East", "West", ""};
    static const char* channels[] = {"Online", "Partner", "Retail"};
    Order o;
    o.day_of_year = (i * 37) % 1095;
    o.region = regions[(i * 7) % 5];
    o.channel = channels[(i * 11) % 3];
    o.has_revenue = i % 13 != 0;
    o.cents = (i * 7919) % 200000 - 5000;
    o.quantity = i % 9 + 1;
    o.score = (i % 17) * 0.25;
    return o;
}

std::string DateOf(int day_of_year) {
    // 2022-01-01 plus n days, by hand (no calendar library needed for three years).
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = 2022, n = day_of_year;
    for (;;) {
        int len = year == 2024 ? 366 : 365;
        if (n < len) break;
        n -= len;
        ++year;
    }
    int m = 0;
    for (;; ++m) {
        int len = month_days[m] + (m == 1 && year == 2024 ? 1 : 0);
        if (n < len) break;
        n -= len;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, m + 1, n + 1);
    return buf;
}

std::string Cents(int64_t c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", c < 0 ? "-" : "", static_cast<long long>(std::llabs(c) / 100),
                  static_cast<long long>(std::llabs(c) % 100));
    return buf;
}

constexpr int kRows = 3000;

std::string OrdersCsv() {
    std::string s = "order_date,region,channel,revenue,quantity,score\n";
    for (int i = 0; i < kRows; ++i) {
        Order o = MakeOrder(i);
        s += DateOf(o.day_of_year) + "," + o.region + "," + o.channel + "," + (o.has_revenue ? Cents(o.cents) : "") + "," +
             std::to_string(o.quantity) + "," + std::to_string(o.score) + "\n";
    }
    return s;
}

class Explore : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<ServerProcess>(
            ServerOptions{.data_dir = dir_.path(), .args = {"--query-max-groups", "2000"}});
        server_->Start();
        token_ = SignUp(client(), "explorer@example.com");
        auto r = UploadRaw(client(), token_, OrdersCsv(), 
                         "?name=orders&format=csv&roles=%7B%22score%22%3A%22measure%22%2C%22quantity%22%3A%22measure%22%7D");
        ASSERT_EQ(r.status, 202) << r.body;
        id_ = std::string(r.Json().at("id").as_string());
        WaitForStatus(client(), token_, id_, "ready");
    }
    void TearDown() override {
        if (server_) EXPECT_EQ(server_->Stop(), 0);
    }
    HttpClient client() { return server_->client(); }
    HttpResult Get(const std::string& path) { return client().Get("/api/v1/datasets/" + id_ + path, Bearer(token_)); }
    HttpResult Query(const std::string& body, Headers extra = {}) {
        Headers h = Bearer(token_);
        h.insert(h.end(), extra.begin(), extra.end());
        return client().PostJson("/api/v1/datasets/" + id_ + "/query", body, h);
    }
    json::value QueryOk(const std::string& body) {
        auto r = Query(body);
        EXPECT_EQ(r.status, 200) << body << " → " << r.body;
        return r.status == 200 ? r.Json() : json::value();
    }
    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_, id_;
};

std::string Text(const json::value& v) { return json::serialize(v); }

TEST_F(Explore, QueryAgreesWithTimeseriesForEveryMeasureAggregationAndInterval) {
    for (const std::string measure : {"", "revenue", "quantity", "score"}) {
        for (const std::string agg : {"sum", "count", "avg", "min", "max"}) {
            if (measure.empty() && agg != "count") continue;
            for (const std::string interval : {"day", "week", "month", "quarter", "year"}) {
                std::string what = measure + " " + agg + " " + interval;
                auto ts = Get("/timeseries?time=order_date&agg=" + agg + "&interval=" + interval +
                              (measure.empty() ? "" : "&measure=" + measure));
                ASSERT_EQ(ts.status, 200) << what << ts.body;
                json::object m{{"agg", agg}};
                if (!measure.empty()) m["column"] = measure;
                json::object q{{"time", json::object{{"column", "order_date"}, {"interval", interval}}},
                               {"measures", json::array{m}},
                               {"limit", 10000}};
                auto got = QueryOk(json::serialize(q));
                ASSERT_TRUE(got.is_object()) << what;
                std::string name = agg + (measure.empty() ? "" : "_" + measure);
                std::map<std::string, std::string> by_period;
                for (const auto& row : got.at("rows").as_array()) {
                    by_period[std::string(row.at("period").as_string())] = Text(row.at(name));
                }
                size_t compared = 0;
                const json::value tj = ts.Json();
                for (const auto& p : tj.at("points").as_array()) {
                    std::string period(p.at("period").as_string());
                    auto it = by_period.find(period);
                    if (p.at("count").as_int64() == 0 && it == by_period.end()) continue;  // a gap the series fills
                    ASSERT_NE(it, by_period.end()) << what << " period " << period;
                    EXPECT_EQ(it->second, Text(p.at("value"))) << what << " period " << period;
                    by_period.erase(it);
                    ++compared;
                }
                EXPECT_TRUE(by_period.empty()) << what << ": /query has periods /timeseries does not";
                EXPECT_GT(compared, 0U) << what;
            }
        }
    }
}

TEST_F(Explore, QueryAgreesWithGroupsAndItsRanking) {
    for (const std::string dimension : {"region", "channel"}) {
        for (const std::string measure : {"", "revenue", "quantity", "score"}) {
            for (const std::string agg : {"sum", "count", "avg", "min", "max"}) {
                if (measure.empty() && agg != "count") continue;
                std::string what = dimension + " " + measure + " " + agg;
                auto g = Get("/groups?dimension=" + dimension + "&agg=" + agg + "&limit=100" +
                             (measure.empty() ? "" : "&measure=" + measure));
                ASSERT_EQ(g.status, 200) << what << g.body;
                json::object m{{"agg", agg}};
                if (!measure.empty()) m["column"] = measure;
                auto got = QueryOk(json::serialize(json::object{{"group_by", json::array{dimension.c_str()}},
                                                                {"measures", json::array{m}}}));
                const json::value gj = g.Json();
                const auto& groups = gj.at("groups").as_array();
                const auto& rows = got.at("rows").as_array();
                ASSERT_EQ(rows.size(), groups.size()) << what;
                std::string name = agg + (measure.empty() ? "" : "_" + measure);
                for (size_t i = 0; i < rows.size(); ++i) {
                    EXPECT_EQ(Text(rows[i].at(dimension)), Text(groups[i].at("key"))) << what << " rank " << i;
                    EXPECT_EQ(Text(rows[i].at(name)), Text(groups[i].at("value"))) << what << " rank " << i;
                }
            }
        }
    }
}

TEST_F(Explore, QueryAgreesWithBreakdownForEveryInterval) {
    for (const std::string interval : {"month", "quarter", "year"}) {
        for (const std::string agg : {"sum", "count", "avg"}) {
            std::string what = interval + " " + agg;
            auto b = Get("/breakdown?dimension=region&time=order_date&measure=revenue&agg=" + agg + "&interval=" +
                         interval + "&limit=10");
            ASSERT_EQ(b.status, 200) << what << b.body;
            auto got = QueryOk(json::serialize(json::object{
                {"group_by", json::array{"region"}},
                {"time", json::object{{"column", "order_date"}, {"interval", interval}}},
                {"measures", json::array{json::object{{"column", "revenue"}, {"agg", agg}}}},
                {"limit", 10000}}));
            std::map<std::pair<std::string, std::string>, std::string> cells;
            for (const auto& row : got.at("rows").as_array()) {
                cells[{Text(row.at("region")), std::string(row.at("period").as_string())}] = Text(row.at(agg + "_revenue"));
            }
            const json::value bj = b.Json();
            const auto& periods = bj.at("periods").as_array();
            size_t compared = 0;
            for (const auto& s : bj.at("series").as_array()) {
                const auto& values = s.at("values").as_array();
                ASSERT_EQ(values.size(), periods.size());
                for (size_t i = 0; i < periods.size(); ++i) {
                    std::string label(periods[i].is_string() ? periods[i].as_string() : periods[i].at("period").as_string());
                    auto it = cells.find({Text(s.at("key")), label});
                    if (it == cells.end()) {
                        // No row of this group in the period: nothing to add up.
                        EXPECT_TRUE(values[i].is_null() || Text(values[i]) == "0" || Text(values[i]) == "0.00")
                            << what << " " << Text(s.at("key")) << " " << label << " " << Text(values[i]);
                        continue;
                    }
                    EXPECT_EQ(it->second, Text(values[i])) << what << " " << Text(s.at("key")) << " " << label;
                    ++compared;
                }
            }
            EXPECT_GT(compared, 10U) << what;
        }
    }
}

TEST_F(Explore, FiltersMatchABruteForceCountOfTheRows) {
    auto got = QueryOk(R"({"filters":[{"column":"region","op":"in","values":["North","East"]},
                                     {"column":"channel","op":"ne","value":"Retail"},
                                     {"column":"order_date","op":"between","values":["2023-03-01","2024-02-29"]},
                                     {"column":"revenue","op":"ge","value":"100.50"}],
                          "group_by":["region","channel"],
                          "measures":[{"agg":"count"},{"column":"revenue","agg":"sum"},{"column":"quantity","agg":"max"}],
                          "order":[{"by":"region"},{"by":"channel","desc":true}]})");
    std::map<std::pair<std::string, std::string>, std::tuple<int64_t, int64_t, int>> want;
    for (int i = 0; i < kRows; ++i) {
        Order o = MakeOrder(i);
        std::string d = DateOf(o.day_of_year);
        if ((o.region != "North" && o.region != "East") || o.channel == "Retail") continue;
        if (d < "2023-03-01" || d > "2024-02-29" || !o.has_revenue || o.cents < 10050) continue;
        auto& [n, sum, max] = want[{o.region, o.channel}];
        ++n;
        sum += o.cents;
        max = std::max(max, o.quantity);
    }
    const auto& rows = got.at("rows").as_array();
    ASSERT_EQ(rows.size(), want.size());
    // Ordered by region ascending, then channel descending.
    EXPECT_EQ(rows[0].at("region"), "East");
    EXPECT_EQ(rows[0].at("channel"), "Partner");
    for (const auto& row : rows) {
        auto [n, sum, max] = want.at({std::string(row.at("region").as_string()), std::string(row.at("channel").as_string())});
        EXPECT_EQ(row.at("count").as_int64(), n);
        // The same decimal text gives the same double: exactness itself is checked against the engine above.
        EXPECT_EQ(row.at("sum_revenue").to_number<double>(), std::strtod(Cents(sum).c_str(), nullptr));
        EXPECT_EQ(row.at("max_quantity").as_int64(), max);
    }
    int64_t matched = 0;
    for (const auto& [k, v] : want) matched += std::get<0>(v);
    EXPECT_EQ(got.at("rows_matched").as_int64(), matched);
    EXPECT_EQ(got.at("rows_scanned").as_int64(), kRows);

    // Nulls: is_null finds the empty regions and revenues, and no comparison matches them.
    auto nulls = QueryOk(R"({"filters":[{"column":"revenue","op":"is_null"}],"measures":[{"agg":"count"}]})");
    EXPECT_EQ(nulls.at("rows").at(0).at("count").as_int64(), (kRows + 12) / 13);
    auto ne = QueryOk(R"({"filters":[{"column":"region","op":"ne","value":"North"}],"measures":[{"agg":"count"}]})");
    int64_t not_north = 0;
    for (int i = 0; i < kRows; ++i) not_north += MakeOrder(i).region != "North" && !MakeOrder(i).region.empty();
    EXPECT_EQ(ne.at("rows").at(0).at("count").as_int64(), not_north);
    auto contains = QueryOk(R"({"filters":[{"column":"channel","op":"contains","value":"tne"}],"measures":[{"agg":"count"}]})");
    EXPECT_EQ(contains.at("rows").at(0).at("count").as_int64(), kRows / 3);
}

TEST_F(Explore, WideNumbersAndMillisecondsKeepEveryDigit) {
    // 19-digit ids (beyond 10^18: 16-byte decimals in the file), and timestamps to the millisecond.
    const std::string csv =
        "id,at,amount,x\n"
        "1234567890123456789,2024-01-01T00:00:00.100Z,1,-0.25\n"
        "1234567890987654321,2024-01-01T00:00:00.200Z,2,1e30\n"
        "1234567890987654321,2024-01-01T00:00:01Z,4,-0.0\n"
        "-9234567890123456789,2023-12-31T23:59:59.999Z,8,-2.5\n";
    auto up = UploadRaw(client(), token_, csv, "?name=wide&format=csv&types=%7B%22x%22%3A%22float%22%7D&roles=%7B%22id%22%3A%22dimension%22%2C%22x%22%3A%22dimension%22%7D");
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    WaitForStatus(client(), token_, id, "ready");
    auto q = [&](const std::string& body) {
        Headers h = Bearer(token_);
        h.emplace_back("Accept", "text/csv");
        return client().Post("/api/v1/datasets/" + id + "/query", body, [&] {
            h.emplace_back("Content-Type", "application/json");
            return h;
        }());
    };
    auto groups = q(R"({"group_by":["id"],"measures":[{"agg":"count"},{"column":"amount","agg":"sum"}],"order":[{"by":"id"}]})");
    ASSERT_EQ(groups.status, 200) << groups.body;
    EXPECT_EQ(groups.body,
              "id,count,sum_amount\r\n-9234567890123456789,1,8\r\n1234567890123456789,1,1\r\n1234567890987654321,2,6\r\n");
    auto times = q(R"({"measures":[{"column":"at","agg":"min"},{"column":"at","agg":"max"},{"column":"at","agg":"count_distinct"}]})");
    ASSERT_EQ(times.status, 200) << times.body;
    EXPECT_EQ(times.body, "min_at,max_at,count_distinct_at\r\n2023-12-31T23:59:59.999Z,2024-01-01T00:00:01Z,4\r\n");
    auto by_float = q(R"({"group_by":["x"],"measures":[{"agg":"count"}],"order":[{"by":"x"}]})");
    // Negatives sort as numbers; -0.0 is 0; 1e30 is beyond the range sums stay exact in, so the
    // analysis counted it invalid and it is null (sorted last).
    EXPECT_EQ(by_float.body, "x,count\r\n-2.5,1\r\n-0.25,1\r\n0,1\r\n,1\r\n");
    auto by_time = q(R"({"group_by":["at"],"measures":[{"agg":"count"}],"order":[{"by":"at"}],"limit":2})");
    EXPECT_EQ(by_time.body, "at,count\r\n2023-12-31T23:59:59.999Z,1\r\n2024-01-01T00:00:00.100Z,1\r\n");
}

TEST_F(Explore, EveryBadRequestGetsAProblemNamingTheField) {
    struct Case {
        std::string body, field, slug;
    };
    const std::vector<Case> cases = {
        {"[]", "/", "invalid-request"},
        {R"({"filterz":[]})", "/filterz", "invalid-request"},
        {R"({"filters":[{"column":"nope","op":"eq","value":"x"}]})", "/filters/0/column", "invalid-request"},
        {R"({"filters":[{"column":"region","op":"like","value":"x"}]})", "/filters/0/op", "invalid-request"},
        {R"({"filters":[{"column":"revenue","op":"eq","value":"ten"}]})", "/filters/0/value", "invalid-request"},
        {R"({"filters":[{"column":"order_date","op":"gt","value":"31/12/2023"}]})", "/filters/0/value", "invalid-request"},
        {R"({"filters":[{"column":"quantity","op":"contains","value":"1"}]})", "/filters/0/op", "invalid-request"},
        {R"({"filters":[{"column":"region","op":"between","values":["a"]}]})", "/filters/0/values", "invalid-request"},
        {R"({"group_by":["region","channel","quantity"]})", "/group_by", "invalid-request"},
        {R"({"time":{"column":"region"}})", "/time/column", "invalid-request"},
        {R"({"time":{"column":"order_date","interval":"decade"}})", "/time/interval", "invalid-request"},
        {R"({"measures":[{"column":"region","agg":"sum"}]})", "/measures/0/agg", "invalid-request"},
        {R"({"measures":[{"agg":"median","column":"revenue"}]})", "/measures/0/agg", "invalid-request"},
        {R"({"measures":[{"agg":"sum"}]})", "/measures/0/column", "invalid-request"},
        {R"({"measures":[{"agg":"count"},{"agg":"count"}]})", "/measures/1", "invalid-request"},
        {R"({"order":[{"by":"nothing"}]})", "/order/0/by", "invalid-request"},
        {R"({"group_by":["region"],"measures":[{"agg":"count","as":"region"}]})", "/measures/0/as", "invalid-request"},
        {R"({"limit":0})", "/limit", "invalid-request"},
        // Over the cost limit (this server allows 2000 groups): refused, not run.
        {R"({"group_by":["revenue","order_date"]})", "/group_by", "query-too-expensive"},
    };
    for (const auto& c : cases) {
        auto r = Query(c.body);
        EXPECT_EQ(r.status, 400) << c.body << " → " << r.body;
        EXPECT_EQ(r.Header("content-type"), "application/problem+json") << c.body;
        auto j = r.Json();
        EXPECT_EQ(std::string(j.at("type").as_string()), "https://insightstream.dev/problems/" + c.slug) << c.body << r.body;
        ASSERT_TRUE(j.as_object().contains("errors")) << c.body << r.body;
        EXPECT_EQ(j.at("errors").at(0).at("field"), c.field.c_str()) << c.body << r.body;
    }
}

// --query-max-ms refuses a query that runs longer, between row groups: with a limit of 1 ms a
// question over many row groups is refused with query-too-expensive. (Questions under the
// default limit are answered by the Explore tests above.)
TEST(ExploreLimits, AQueryOverItsTimeLimitIsRefusedNotLeftRunning) {
    TempDir dir;
    ServerProcess server(ServerOptions{.data_dir = dir.path(), .args = {"--query-max-ms", "1"}});
    server.Start();
    std::string token = SignUp(server.client(), "slowquery@example.com");
    // Enough rows for several row groups per query thread: the limit is checked as a thread
    // takes its next row group, so a query of one row group per thread never meets it.
    auto r = UploadRaw(server.client(), token, SalesCsv(1000000));
    ASSERT_EQ(r.status, 202) << r.body;
    std::string id(r.Json().at("id").as_string());
    WaitForStatus(server.client(), token, id, "ready", 120);
    const std::string body = R"({"group_by":["region"],"measures":[{"column":"revenue","agg":"p95"}]})";
    auto refused = server.client().PostJson("/api/v1/datasets/" + id + "/query", body, Bearer(token));
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.ProblemSlug(), "query-too-expensive") << refused.body;
    EXPECT_NE(refused.body.find("longer than 1 ms"), std::string::npos) << refused.body;
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(Explore, AnswersAreCachedWithStrongEtagsCsvToo) {
    const std::string body = R"({"group_by":["channel"],"measures":[{"column":"revenue","agg":"sum"}]})";
    auto first = Query(body);
    ASSERT_EQ(first.status, 200) << first.body;
    std::string etag = first.Header("etag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(etag.front(), '"');
    auto again = Query(body, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    auto csv = Query(body, {{"Accept", "text/csv"}});
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
    EXPECT_EQ(csv.body.substr(0, csv.body.find("\r\n")), "channel,sum_revenue");
    EXPECT_NE(csv.Header("etag"), etag);
    // ?version= names the version; one that does not exist is a 404.
    auto v1 = client().PostJson("/api/v1/datasets/" + id_ + "/query?version=1", body, Bearer(token_));
    EXPECT_EQ(v1.status, 200);
    EXPECT_EQ(client().PostJson("/api/v1/datasets/" + id_ + "/query?version=9", body, Bearer(token_)).status, 404);
}

TEST_F(Explore, AnotherTenantSeesNothingAndAVersionWithoutSnapshotGetsOneOnRequest) {
    std::string other = SignUp(client(), "other@example.com");
    auto r = client().PostJson("/api/v1/datasets/" + id_ + "/query", R"({"measures":[{"agg":"count"}]})", Bearer(other));
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(client().Get("/api/v1/datasets/" + id_ + "/export?format=parquet", Bearer(other)).status, 404);
    // A version processed before snapshots existed: its snapshot object is not there. The first
    // request says so and asks a worker to write it; soon the same question is answered.
    std::filesystem::path snapshot;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
        if (e.path().filename() == "snapshot.parquet") snapshot = e.path();
    }
    ASSERT_FALSE(snapshot.empty());
    const std::string body = R"({"group_by":["region"],"measures":[{"agg":"count"},{"column":"quantity","agg":"sum"}]})";
    auto before = Query(body);
    ASSERT_EQ(before.status, 200);
    std::filesystem::remove(snapshot);
    const std::string other_body = R"({"measures":[{"agg":"count"},{"column":"quantity","agg":"sum","as":"q"}]})";
    auto pending = Query(other_body);
    EXPECT_EQ(pending.status, 409) << pending.body;
    EXPECT_EQ(pending.Json().at("type"), "https://insightstream.dev/problems/snapshot-pending");
    EXPECT_FALSE(pending.Header("retry-after").empty());
    EXPECT_EQ(Get("/export?format=parquet").status, 409);
    HttpResult after;
    for (int i = 0; i < 300; ++i) {
        after = Query(other_body);
        if (after.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_TRUE(std::filesystem::exists(snapshot));
    EXPECT_EQ(after.Json().at("rows").at(0).at("count").as_int64(), kRows);
    EXPECT_EQ(Get("/export?format=parquet").status, 200);
    // The version itself did not change: still ready, same rows, its answers the same.
    auto version = Get("");
    EXPECT_EQ(version.Json().at("status"), "ready");
    EXPECT_EQ(version.Json().at("attempts"), 1);
    EXPECT_EQ(Get("/export?format=csv").status, 400);
}

// A snapshot left "writing" for good (its job's message lost: a purged queue, no dead-letter
// queue) is not waited for forever: past the staleness bound a worker is asked for it, as for a
// version without one, and the same question is answered once it is written.
TEST_F(Explore, ASnapshotLeftWritingForGoodIsAskedForAgain) {
    std::filesystem::path snapshot;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
        if (e.path().filename() == "snapshot.parquet") snapshot = e.path();
    }
    ASSERT_FALSE(snapshot.empty());
    ASSERT_EQ(server_->Stop(), 0);
    std::filesystem::remove(snapshot);
    {
        // As a job that died after ready and whose message never came back leaves it, 11 minutes ago.
        auto db = store::SqliteDatabase::Open({.path = (dir_.path() / "insightstream.db").string()});
        ASSERT_TRUE(db);
        // SQLite has no row-level security: a system transaction reaches the tenant's row.
        ASSERT_TRUE((*db)->TransactSystem(store::TxMode::kWrite, [&](store::Tx& tx) -> core::Result<void> {
            IS_TRY_VOID(tx.Exec("UPDATE dataset_versions SET snapshot_status = 'writing', ready_at = ready_at - 660000, "
                                "started_at = started_at - 660000 WHERE dataset_id = $1",
                                {id_}));
            return {};
        }));
    }
    server_->Start();
    auto v = Get("").Json();
    ASSERT_EQ(v.at("snapshot").at("status"), "writing") << v;
    const std::string body = R"({"measures":[{"agg":"count"}]})";
    auto pending = Query(body);
    EXPECT_EQ(pending.status, 409) << pending.body;
    EXPECT_EQ(pending.ProblemSlug(), "snapshot-pending");
    EXPECT_NE(pending.Json().at("detail").as_string().find("a worker is writing it now"), std::string::npos) << pending.body;
    HttpResult after;
    for (int i = 0; i < 300; ++i) {
        after = Query(body);
        if (after.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(after.Json().at("rows").at(0).at("count").as_int64(), kRows);
    EXPECT_EQ(Get("").Json().at("snapshot").at("status"), "ready");
}

// The snapshot is written after the version is ready (each chunk of both passes slowed here):
// the insights answer at once; query and export say the snapshot is on its way, with a short
// Retry-After, until it is there, then answer as they always do.
TEST(ExploreAfterReady, TheInsightsAnswerAtReadyAndQueriesWaitForTheSnapshotWithRetryAfter) {
    TempDir dir;
    ServerProcess slow({.data_dir = dir.path(), .args = {"--worker-chunk-bytes", "4096", "--fault-chunk-pause-ms", "150"}});
    slow.Start();
    HttpClient c = slow.client();
    std::string token = SignUp(c, "after-ready@example.com");
    auto up = UploadRaw(c, token, SalesCsv(1500));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    json::value v;
    for (int i = 0; i < 1200; ++i) {
        v = c.Get("/api/v1/datasets/" + id, Bearer(token)).Json();
        if (v.at("status") != "queued" && v.at("status") != "processing") break;
        EXPECT_TRUE(v.at("snapshot").is_null()) << v;  // nothing to say before ready
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_EQ(v.at("status"), "ready") << v;
    EXPECT_EQ(v.at("progress").at("percent"), 100);
    ASSERT_EQ(v.at("snapshot").at("status"), "writing") << v;
    EXPECT_EQ(c.Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).status, 200);
    const std::string body = R"({"measures":[{"agg":"count"}]})";
    auto pending = c.PostJson("/api/v1/datasets/" + id + "/query", body, Bearer(token));
    EXPECT_EQ(pending.status, 409) << pending.body;
    EXPECT_EQ(pending.ProblemSlug(), "snapshot-pending");
    EXPECT_EQ(pending.Header("retry-after"), "2");
    EXPECT_NE(pending.Json().at("detail").as_string().find("being written"), std::string::npos) << pending.body;
    auto exported = c.Get("/api/v1/datasets/" + id + "/export?format=parquet", Bearer(token));
    EXPECT_EQ(exported.status, 409);
    EXPECT_EQ(exported.ProblemSlug(), "snapshot-pending");
    v = WaitForStatus(c, token, id, "ready", 120);
    EXPECT_EQ(v.at("snapshot").at("status"), "ready") << v;
    EXPECT_TRUE(v.at("snapshot").at("error").is_null());
    auto answered = c.PostJson("/api/v1/datasets/" + id + "/query", body, Bearer(token));
    ASSERT_EQ(answered.status, 200) << answered.body;
    EXPECT_EQ(answered.Json().at("rows").at(0).at("count").as_int64(), 1500);
    EXPECT_EQ(c.Get("/api/v1/datasets/" + id + "/export?format=parquet", Bearer(token)).status, 200);
    EXPECT_EQ(v.at("attempts"), 1);
    EXPECT_EQ(slow.Stop(), 0);
}

}  // namespace
}  // namespace insightstream::testing
