// The catalogue of nasty inputs: tests/data/engine/<case>/input.{csv,json,ndjson} with the
// expected outcome in expected.json, so adding a case takes no C++. Inputs too big for the
// repository (a 10 MB field, 10 000 columns) are generated below.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/engine/engine_test_util.hpp"

#ifndef INSIGHTSTREAM_TEST_DATA
#error "INSIGHTSTREAM_TEST_DATA must name tests/data"
#endif

namespace insightstream::engine {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using testing::ReadFile;

std::vector<fs::path> Cases() { return testing::CatalogueCases(INSIGHTSTREAM_TEST_DATA); }

class Catalogue : public ::testing::TestWithParam<fs::path> {};

// expected.json: {"error": text} or any of rows, rejected, lines, rejected_lines, invalid_values,
// column_count, names (in order), columns {name: {type, role, format, nulls, values, invalid,
// distinct, sum, min, max (null for none), date_order, date_order_source, sum_withheld,
// currencies (how many), rounded, widened, text_truncated}}, issues [{line, reason, column}] (the
// first ones, in order) and kpi {value, cagr}; "options" {"types": {column: hint}, "date_order",
// "decimal"} run the case with those upload options.
void ExpectColumn(const InsightSet& s, const std::string& name, const json::object& w) {
    SCOPED_TRACE(name);
    int c = testing::Col(s, name);
    const auto& spec = s.schema.columns[static_cast<size_t>(c)];
    const auto& sum = s.columns[static_cast<size_t>(c)];
    auto text = [](const std::optional<std::string>& v) -> std::string { return v.value_or("(none)"); };
    auto want_text = [](const json::value& v) -> std::string { return v.is_null() ? "(none)" : std::string(v.as_string()); };
    for (const auto& [key, v] : w) {
        SCOPED_TRACE(std::string(key));
        if (key == "type") EXPECT_EQ(TypeName(spec.type), v.as_string());
        else if (key == "role") EXPECT_EQ(RoleName(spec.role), v.as_string());
        else if (key == "format") EXPECT_EQ(spec.format, v.as_string());
        else if (key == "nulls") EXPECT_EQ(sum.nulls, v.as_int64());
        else if (key == "values") EXPECT_EQ(sum.values, v.as_int64());
        else if (key == "invalid") EXPECT_EQ(sum.invalid, v.as_int64());
        else if (key == "distinct") EXPECT_EQ(static_cast<int64_t>(sum.distinct), v.as_int64());
        else if (key == "sum") EXPECT_EQ(text(sum.sum), want_text(v));
        else if (key == "min") EXPECT_EQ(text(sum.min), want_text(v));
        else if (key == "max") EXPECT_EQ(text(sum.max), want_text(v));
        else if (key == "date_order") EXPECT_EQ(sum.date_order, v.as_string());
        else if (key == "date_order_source") EXPECT_EQ(OrderSourceName(sum.order_source), v.as_string());
        else if (key == "sum_withheld") EXPECT_EQ(sum.sum_withheld, v.as_string());
        else if (key == "currencies") EXPECT_EQ(static_cast<int64_t>(sum.currencies.size()), v.as_int64());
        else if (key == "rounded") EXPECT_EQ(sum.rounded, v.as_int64());
        else if (key == "widened") EXPECT_EQ(sum.widened, v.as_int64());
        else if (key == "text_truncated") EXPECT_EQ(sum.text_truncated, v.as_bool());
        else ADD_FAILURE() << "unknown expectation " << key;
    }
}

testing::RunOptions OptionsFrom(const json::object& expected, const std::string& format, int threads) {
    testing::RunOptions o{.format = format, .threads = threads, .feed_bytes = 3};
    if (!expected.contains("options")) return o;
    const auto& opts = expected.at("options").as_object();
    if (opts.contains("types")) {
        for (const auto& [name, hint] : opts.at("types").as_object()) {
            std::string error;
            TypeHint h;
            EXPECT_TRUE(ParseTypeHint(std::string(hint.as_string()), &h, &error)) << error;
            o.hints[std::string(name)] = h;
        }
    }
    if (opts.contains("date_order")) {
        o.infer.date_order = opts.at("date_order").as_string() == "dmy" ? DateOrder::kDmy : DateOrder::kMdy;
    }
    if (opts.contains("decimal")) {
        o.infer.decimal_mark = opts.at("decimal").as_string() == "comma" ? DecimalMark::kComma : DecimalMark::kPoint;
    }
    return o;
}

TEST_P(Catalogue, MatchesItsExpectedOutcome) {
    fs::path dir = GetParam();
    fs::path input;
    std::string format;
    for (const char* ext : {"csv", "json", "ndjson"}) {
        if (fs::exists(dir / (std::string("input.") + ext))) {
            input = dir / (std::string("input.") + ext);
            format = ext;
        }
    }
    ASSERT_FALSE(input.empty()) << "no input file in " << dir;
    auto expected = json::parse(ReadFile(dir / "expected.json")).as_object();
    for (int threads : {1, 2}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        auto s = testing::RunEngine(ReadFile(input), OptionsFrom(expected, format, threads));
        if (expected.contains("error")) {
            ASSERT_FALSE(s) << "expected an error";
            EXPECT_NE(s.error().detail().find(std::string(expected.at("error").as_string())), std::string::npos)
                << s.error().detail();
            EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
            continue;
        }
        ASSERT_TRUE(s) << s.error().ToString();
        if (expected.contains("rows")) EXPECT_EQ(s->rows, expected.at("rows").as_int64());
        if (expected.contains("rejected")) EXPECT_EQ(s->rejected, expected.at("rejected").as_int64());
        if (expected.contains("lines")) EXPECT_EQ(s->lines, expected.at("lines").as_int64());
        if (expected.contains("rejected_lines")) EXPECT_EQ(s->rejected_lines, expected.at("rejected_lines").as_int64());
        if (expected.contains("invalid_values")) EXPECT_EQ(s->invalid_values, expected.at("invalid_values").as_int64());
        if (expected.contains("column_count")) {
            EXPECT_EQ(static_cast<int64_t>(s->schema.columns.size()), expected.at("column_count").as_int64());
        }
        if (expected.contains("names")) {
            std::vector<std::string> names, want;
            for (const auto& c : s->schema.columns) names.push_back(c.name);
            for (const auto& n : expected.at("names").as_array()) want.emplace_back(n.as_string());
            EXPECT_EQ(names, want);
        }
        if (expected.contains("columns")) {
            for (const auto& [name, want] : expected.at("columns").as_object()) {
                ExpectColumn(*s, std::string(name), want.as_object());
            }
        }
        if (expected.contains("issues")) {
            const auto& want = expected.at("issues").as_array();
            ASSERT_GE(s->issues.size(), want.size());
            for (size_t i = 0; i < want.size(); ++i) {
                const auto& w = want[i].as_object();
                EXPECT_EQ(s->issues[i].line, w.at("line").as_int64()) << i;
                EXPECT_NE(s->issues[i].reason.find(std::string(w.at("reason").as_string())), std::string::npos)
                    << s->issues[i].reason;
                if (w.contains("column")) EXPECT_EQ(s->issues[i].column, w.at("column").as_string());
            }
        }
        if (expected.contains("kpi")) {
            const auto& w = expected.at("kpi").as_object();
            ASSERT_GE(s->kpis.size(), 2U);
            const Kpi& k = s->kpis[1];
            if (w.contains("value")) EXPECT_EQ(k.withheld.empty() ? k.value : "(none)", w.at("value").is_null() ? "(none)" : std::string(w.at("value").as_string()));
            if (w.contains("cagr")) {
                ASSERT_TRUE(k.cagr.has_value());
                EXPECT_NEAR(*k.cagr, w.at("cagr").to_number<double>(), 1e-9);
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Engine, Catalogue, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.filename().string(); });

TEST(CatalogueGenerated, ATenMegabyteField) {
    std::string csv = "id,blob,n\n1,\"" + std::string(10 << 20, 'x') + "\",5\n2,small,6\n";
    auto s = testing::RunEngine(csv, {.block_bytes = 1 << 20, .feed_bytes = 1 << 16});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 2);
    EXPECT_EQ(testing::Summary(*s, "n").sum, "11");
    // The field is counted, not kept: the answers stay small (a 70 MB field once made /summary
    // 147 MB).
    EXPECT_TRUE(testing::Summary(*s, "blob").text_truncated);
    EXPECT_LT(SummaryJson(*s).size(), 4096U);
    for (const auto& g : s->groups) EXPECT_LT(GroupsJson(*s, g).size(), 8192U);
    EXPECT_LT(IssuesNdjson(*s).size(), 4096U);
}

TEST(CatalogueGenerated, TenThousandColumns) {
    std::string csv;
    for (int c = 0; c < 10000; ++c) csv += (c ? ",c" : "c") + std::to_string(c);
    csv += '\n';
    for (int r = 0; r < 20; ++r) {
        for (int c = 0; c < 10000; ++c) csv += (c ? "," : "") + std::to_string(r + c);
        csv += '\n';
    }
    auto s = testing::RunEngine(csv);
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->schema.columns.size(), 10000U);
    EXPECT_EQ(s->rows, 20);
    EXPECT_EQ(testing::Summary(*s, "c9999").sum, std::to_string(20 * 9999 + 190));
}

TEST(CatalogueGenerated, MoreColumnsThanASpreadsheetFailWithTheReason) {
    std::string csv;
    for (int c = 0; c < 20'000; ++c) csv += (c ? ",c" : "c") + std::to_string(c);
    csv += "\n1\n";
    auto s = testing::RunEngine(csv);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().detail().find("20000 columns; at most 16384"), std::string::npos) << s.error().detail();
}

TEST(CatalogueGenerated, AnAnalysisOverItsMemoryBudgetFailsItselfNotTheProcess) {
    std::string csv = "day,customer,revenue\n";
    for (int i = 0; i < 300'000; ++i) csv += "2024-01-01,c" + std::to_string(i) + ",1\n";
    auto s = testing::RunEngine(csv, {.feed_bytes = 1 << 16, .hints = {{"customer", TypeHint{.role = ColumnRole::kDimension}}},
                                      .memory_budget = 8 << 20});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().slug(), "job-memory-exceeded");
    EXPECT_NE(s.error().detail().find("--job-memory-bytes"), std::string::npos) << s.error().detail();
}

TEST(CatalogueGenerated, DeeplyNestedJsonIsKeptAsText) {
    std::string deep = "1";
    for (int i = 0; i < 200; ++i) deep = "{\"k\":" + deep + "}";
    auto s = testing::RunEngine("{\"id\": 1, \"deep\": " + deep + "}\n", {.format = "ndjson"});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 1);
    bool kept = false;
    for (const auto& c : s->schema.columns) kept = kept || c.name.starts_with("deep.k.k");
    EXPECT_TRUE(kept);
}

}  // namespace
}  // namespace insightstream::engine
