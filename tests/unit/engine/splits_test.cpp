// A file analysed in splits (engine/splits.hpp) gives byte for byte the insight set one engine
// gives reading the whole file: on the catalogue of nasty inputs, on quoted fields whose line
// breaks straddle a split's end, on files that need more passes, for split sizes down to a byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/partial_io.hpp"
#include "engine/splits.hpp"
#include "unit/engine/engine_test_util.hpp"

#ifndef INSIGHTSTREAM_TEST_DATA
#error "INSIGHTSTREAM_TEST_DATA must name tests/data"
#endif

namespace insightstream::engine {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;

// Everything the service stores of an analysis, as the worker writes it.
std::string Everything(const InsightSet& s) {
    std::string out = SchemaJson(s) + "\n" + SummaryJson(s) + "\n";
    for (const auto& t : s.time_series) out += TimeSeriesJson(s, t) + "\n";
    for (const auto& g : s.groups) out += GroupsJson(s, g) + "\n";
    for (const auto& b : s.breakdowns) out += BreakdownJson(s, b) + "\n";
    out += IssuesNdjson(s);
    out += "\nrows " + std::to_string(s.rows) + " rejected " + std::to_string(s.rejected) + " lines " +
           std::to_string(s.lines) + " issues " + std::to_string(s.issue_count) + " encoding " + s.encoding +
           " passes " + std::to_string(s.passes);
    return out;
}

EngineOptions Options(const std::string& format, int threads, size_t sample_bytes = 1 << 20) {
    EngineOptions o;
    o.format = format;
    o.threads = threads;
    o.sample_bytes = sample_bytes;
    o.block_bytes = 4096;  // several blocks per split where splits are large
    return o;
}

OpenRange Opener(std::string_view data) {
    return [data](int64_t begin, int64_t end) -> core::Result<std::unique_ptr<ByteSource>> {
        auto b = static_cast<size_t>(begin);
        size_t e = end < 0 ? data.size() : static_cast<size_t>(end);
        EXPECT_LE(b, e);
        EXPECT_LE(e, data.size());
        return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(data.substr(b, e - b)));
    };
}

core::Result<InsightSet> Whole(std::string_view data, const EngineOptions& o) {
    AnalyzeHooks hooks;
    hooks.chunk_bytes = 7919;
    hooks.open = [&]() -> core::Result<std::unique_ptr<ByteSource>> {
        return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(data));
    };
    return Analyze(o, hooks);
}

// The file cut as the ingest cuts it: fed in pieces of `feed` bytes.
std::vector<SplitRange> Cut(std::string_view data, const EngineOptions& o, int64_t split_bytes, size_t feed = 3) {
    SplitCutter cutter(o, split_bytes);
    std::vector<SplitRange> out;
    for (size_t i = 0; i < data.size(); i += feed) {
        cutter.Feed(data.substr(i, feed));
        for (auto& s : cutter.Take()) out.push_back(s);
    }
    for (auto& s : cutter.Finish()) out.push_back(s);
    return out;
}

// Splits are contiguous, cover the file, and start on the line they say.
void ExpectCover(std::string_view data, const std::vector<SplitRange>& splits, char newline = '\n') {
    ASSERT_FALSE(splits.empty());
    EXPECT_EQ(splits.front().begin, 0);
    EXPECT_EQ(splits.back().end, static_cast<int64_t>(data.size()));
    for (size_t i = 0; i < splits.size(); ++i) {
        EXPECT_LE(splits[i].begin, splits[i].end);
        if (i > 0) {
            EXPECT_EQ(splits[i].begin, splits[i - 1].end);
            EXPECT_EQ(splits[i].first_line,
                      1 + std::count(data.begin(), data.begin() + splits[i].begin, newline));
        }
    }
}

// The whole file against the file in splits of each size: the same answer (or the same error).
// At most about 50 splits a size (every split reads the head again), so a size of a few bytes
// means splits of single records in the small files.
void ExpectSameInSplits(std::string_view data, const EngineOptions& o, std::initializer_list<int64_t> sizes,
                        char newline = '\n', int64_t max_splits = 50) {
    auto whole = Whole(data, o);
    for (int64_t asked : sizes) {
        const int64_t size = std::max<int64_t>(asked, static_cast<int64_t>(data.size()) / max_splits);
        SCOPED_TRACE("splits of " + std::to_string(size) + " bytes");
        auto splits = Cut(data, o, size);
        ExpectCover(data, splits, newline);
        auto parts = AnalyzeInSplits(o, Opener(data), splits, 3, 5);
        if (!whole) {
            ASSERT_FALSE(parts) << "the whole file failed: " << whole.error().ToString();
            EXPECT_EQ(parts.error().slug(), whole.error().slug());
            EXPECT_EQ(parts.error().detail(), whole.error().detail());
            continue;
        }
        ASSERT_TRUE(parts) << parts.error().ToString();
        EXPECT_EQ(Everything(*parts), Everything(*whole));
    }
}

class SplitsOfTheCatalogue : public ::testing::TestWithParam<fs::path> {};

TEST_P(SplitsOfTheCatalogue, GiveWhatTheWholeFileGives) {
    fs::path dir = GetParam();
    for (const char* ext : {"csv", "json", "ndjson"}) {
        fs::path input = dir / (std::string("input.") + ext);
        if (!fs::exists(input)) continue;
        std::string data = ReadFile(input);
        char newline = data.find('\n') == std::string::npos && data.find('\r') != std::string::npos ? '\r' : '\n';
        for (int threads : {1, 2}) {
            SCOPED_TRACE("threads " + std::to_string(threads));
            ExpectSameInSplits(data, Options(ext, threads), {1, 7, 1000, 1 << 20}, newline);
        }
    }
}

std::vector<fs::path> Cases() { return testing::CatalogueCases(INSIGHTSTREAM_TEST_DATA); }

INSTANTIATE_TEST_SUITE_P(Engine, SplitsOfTheCatalogue, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.filename().string(); });

TEST(Splits, QuotedLineBreaksAcrossASplitsEndStayInTheirRecord) {
    // Records whose quoted fields hold line breaks, "" quotes and delimiters: a split may only
    // end where a record does, wherever the split size falls.
    std::string csv = "day,note,region,amount\n";
    for (int i = 0; i < 400; ++i) {
        csv += "2024-0" + std::to_string(i % 9 + 1) + "-1" + std::to_string(i % 10) + ",\"line one\nline \"\"two\"\", " +
               std::to_string(i) + "\n\n end\"," + (i % 3 ? "North" : "\"So,uth\"") + "," + std::to_string(i * 7 % 101) +
               "." + std::to_string(i % 10) + "\n";
    }
    auto o = Options("csv", 2, 2048);
    auto whole = Whole(csv, o);
    ASSERT_TRUE(whole) << whole.error().ToString();
    EXPECT_EQ(whole->rows, 400);
    EXPECT_EQ(whole->rejected, 0);
    ExpectSameInSplits(csv, o, {1, 13, 997, 4096, 100000});
    // Splits of a byte or a few over the first records: every record its own split.
    std::string head = csv.substr(0, csv.find("2024-03-1"));
    ExpectSameInSplits(head, o, {1, 5}, '\n', 1'000'000);
    // A split boundary is never inside a record: every split but the first starts a record.
    for (const auto& s : Cut(csv, o, 50)) {
        if (s.begin == 0) continue;
        EXPECT_EQ(csv.compare(static_cast<size_t>(s.begin), 5, "2024-"), 0) << s.begin;
    }
}

TEST(Splits, AHeaderWhoseQuotesSpanLinesIsOneRecordEvenWhereRowsDoNot) {
    // The header is read before the file's quoting is decided: its quoted line break is part of
    // it, while in the rows every line ends a record. No split may end inside the header (found
    // by the fuzzer: the second case is its input).
    auto o = Options("csv", 1);
    std::string csv = "id,\"long\nname\",n\n1,a,2\n2,\"b,3\n3,c,4\n";
    ExpectSameInSplits(csv, o, {1, 3, 12}, '\n', 1'000);
    std::string found("a,b,\xc2;c\xdc" "0,\"01-3\xfd" "1\n2\xce", 20);
    ExpectSameInSplits(found, o, {1, 2}, '\n', 1'000);
}

TEST(Splits, ManyLinesReadAsWindows1252KeepTheWholeFilesFirstNotes) {
    // A UTF-8 file with a stray Latin-1 byte on 1 500 lines: the decoder notes the first 1 000;
    // in splits each split's decoder notes its own, and the merge keeps the same first 1 000.
    std::string csv = "name,n\n";
    for (int i = 0; i < 3000; ++i) csv += (i % 2 ? "M\xFCller" : "Z\xC3\xBCrich") + std::to_string(i) + "," + std::to_string(i) + "\n";
    auto o = Options("csv", 2, 4096);
    o.partial.max_issues = 10'000;  // more than the decoder notes
    auto whole = Whole(csv, o);
    ASSERT_TRUE(whole) << whole.error().ToString();
    EXPECT_EQ(whole->encoding, "utf-8");
    EXPECT_EQ(whole->issues.size(), 1000U);
    EXPECT_EQ(whole->issue_count, 1500);
    ExpectSameInSplits(csv, o, {2000, 20000});
}

TEST(Splits, FilesThatNeedMorePassesGiveTheSameInSplits) {
    // A column with no value in the sample, numeric dates whose order only the whole column
    // decides, JSON keys first seen after the sample, and many groups whose months a second
    // pass counts: every split is read again with what the merge found.
    std::string csv = "date,customer,late,amount\n";
    for (int i = 0; i < 3000; ++i) {
        int d = i % 28 + 1, m = i % 12 + 1;
        std::string date = i < 2000 ? "0" + std::to_string(m % 9 + 1) + "/0" + std::to_string(d % 9 + 1) + "/2023"
                                    : std::to_string(m) + "/" + std::to_string(d) + "/2024";
        csv += date + ",c" + std::to_string(i * 7919 % 1500) + "," + (i > 2500 ? std::to_string(i) : "") + "," +
               std::to_string(i % 97) + ".5\n";
    }
    auto o = Options("csv", 2, 4096);
    o.partial.breakdown_groups = 20;
    auto whole = Whole(csv, o);
    ASSERT_TRUE(whole) << whole.error().ToString();
    EXPECT_GE(whole->passes, 2);
    ExpectSameInSplits(csv, o, {17, 30000});

    std::string nd;
    for (int i = 0; i < 2000; ++i) {
        nd += "{\"id\": " + std::to_string(i) + ", \"region\": \"r" + std::to_string(i % 5) + "\", \"amount\": " +
              std::to_string(i % 13) + (i > 1500 ? ", \"extra\": {\"score\": " + std::to_string(i % 7) + "}" : "") + "}\n";
    }
    auto jo = Options("ndjson", 2, 4096);
    auto jwhole = Whole(nd, jo);
    ASSERT_TRUE(jwhole) << jwhole.error().ToString();
    EXPECT_GE(jwhole->passes, 2);
    ExpectSameInSplits(nd, jo, {1, 20000});
}

TEST(Splits, ManyGroupsAndSharedTablesMergeExactly) {
    // More groups than a thread keeps to itself (the shared tables) and a breakdown cap: the
    // splits' partials carry all of it.
    std::string csv = "day,customer,revenue\n";
    for (int i = 0; i < 30'000; ++i) {
        csv += "2024-0" + std::to_string(i % 9 + 1) + "-0" + std::to_string(i % 7 + 1) + ",c" +
               std::to_string(i * 7919 % 20'000) + "," + std::to_string(i % 1000) + "." + std::to_string(i % 10) + "\n";
    }
    auto o = Options("csv", 2);
    o.block_bytes = 64 << 10;
    o.hints["customer"].role = ColumnRole::kDimension;
    o.partial.local_groups = 500;
    o.partial.breakdown_groups = 50;
    ExpectSameInSplits(csv, o, {50'000, 400'000});
}

TEST(Splits, PartialsMergedInAnyOrderGiveTheSameAnswer) {
    // The version's job merges partial results as they arrive: last split first here, every pass.
    std::string csv = "day,customer,region,revenue\n";
    for (int i = 0; i < 30'000; ++i) {
        csv += "2024-0" + std::to_string(i % 9 + 1) + "-1" + std::to_string(i % 10) + ",c" + std::to_string(i * 7919 % 9'000) +
               "," + (i % 3 ? "North" : "South") + "," + (i % 400 == 3 ? std::string("bad") : std::to_string(i % 1000) + ".5") + "\n";
    }
    auto o = Options("csv", 2, 8192);
    o.hints["customer"].role = ColumnRole::kDimension;
    o.partial.local_groups = 500;
    o.partial.breakdown_groups = 40;
    auto whole = Whole(csv, o);
    ASSERT_TRUE(whole) << whole.error().ToString();
    auto splits = Cut(csv, o, 60'000, 65536);
    ASSERT_GT(splits.size(), 5U);
    EngineOptions pass_options = o;
    for (int pass = 1;; ++pass) {
        auto merger = SplitMerger::Open(pass_options, Opener(csv));
        ASSERT_TRUE(merger) << merger.error().ToString();
        for (size_t k = splits.size(); k-- > 0;) {
            auto partial = AnalyzeSplit(pass_options, Opener(csv), splits[k]);
            ASSERT_TRUE(partial) << partial.error().ToString();
            ASSERT_TRUE((*merger)->Add(*partial));
        }
        auto s = (*merger)->Finish();
        ASSERT_TRUE(s) << s.error().ToString();
        s->passes = pass;
        if (IsLastPass(*s, pass_options, pass, 3)) {
            EXPECT_EQ(Everything(*s), Everything(*whole));
            EXPECT_EQ(pass, whole->passes);
            break;
        }
        pass_options.refined.Merge(s->refine);
    }
}

TEST(Splits, AUtf16FileAndAJsonArrayAreOneSplit) {
    std::string json = "[{\"a\": 1},\n {\"a\": 2}]";
    auto splits = Cut(json, Options("json", 1), 1);
    ASSERT_EQ(splits.size(), 1U);
    EXPECT_EQ(splits[0], (SplitRange{0, static_cast<int64_t>(json.size()), 1}));
    std::string utf16("\xFF\xFE", 2);
    for (char c : std::string("a,b\n1,2\n3,4\n")) {
        utf16 += c;
        utf16 += '\0';
    }
    splits = Cut(utf16, Options("csv", 1), 1);
    ASSERT_EQ(splits.size(), 1U);
    EXPECT_EQ(splits[0].end, static_cast<int64_t>(utf16.size()));
}

TEST(PartialIo, ABrokenOrForeignPartialIsRefusedNotMerged) {
    std::string csv = "day,region,amount\n2024-01-01,North,5\n2024-01-02,South,x\n";
    auto o = Options("csv", 1);
    auto splits = Cut(csv, o, 1 << 20);
    ASSERT_EQ(splits.size(), 1U);
    auto partial = AnalyzeSplit(o, Opener(csv), splits[0]);
    ASSERT_TRUE(partial) << partial.error().ToString();
    auto merged = MergeSplits(o, Opener(csv), {*partial});
    ASSERT_TRUE(merged) << merged.error().ToString();
    EXPECT_EQ(merged->rows, 2);
    EXPECT_EQ(PartialRows(*partial), 2);
    EXPECT_EQ(PartialRows(partial->substr(0, 10)), 0);
    // Cut anywhere, flipped, or from a file with other columns: an error, never a partial.
    for (size_t cut : {size_t{0}, size_t{3}, size_t{20}, partial->size() / 2, partial->size() - 1}) {
        auto r = MergeSplits(o, Opener(csv), {partial->substr(0, cut)});
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error().slug(), "split-unreadable");
    }
    std::string longer = *partial + "x";
    EXPECT_FALSE(MergeSplits(o, Opener(csv), {longer}));
    // Any byte changed anywhere: refused, never merged (most by the checksum; the structure is
    // checked besides).
    for (size_t at = 0; at < partial->size(); at += 7) {
        std::string bad = *partial;
        bad[at] = static_cast<char>(bad[at] ^ 0x5A);
        auto r = MergeSplits(o, Opener(csv), {bad});
        EXPECT_FALSE(r) << "byte " << at << " changed and the partial was merged";
    }
    std::string other = "day,region,amount,extra\n2024-01-01,North,5,1\n";
    auto foreign = AnalyzeSplit(o, Opener(other), SplitRange{0, static_cast<int64_t>(other.size()), 1});
    ASSERT_TRUE(foreign) << foreign.error().ToString();
    auto r = MergeSplits(o, Opener(csv), {*foreign});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().internal().find("other columns"), std::string::npos) << r.error().internal();
}

TEST(Splits, WhereEveryNewlineEndsARecordEachSplitEndsAtTheFirstRecordEndPastItsSize) {
    // The cutter's fast path (newlines counted in bulk, a record end looked for only where a split
    // must close) against the rule written out: a split closes at the first newline at or after
    // its begin + size - 1; every split starts on the line after the newlines before it. Random
    // files (empty lines, CRLF, long and short lines), sizes and pieces, CSV and NDJSON, with a
    // sample small enough that most of each file is cut after the head was read.
    std::mt19937 rng(1729);
    for (int round = 0; round < 400; ++round) {
        const bool ndjson = round % 2 == 1;
        std::string data = ndjson ? "" : "k,v\n";
        const int lines = 1 + static_cast<int>(rng() % 200);
        for (int i = 0; i < lines; ++i) {
            const int len = static_cast<int>(rng() % 5 == 0 ? rng() % 300 : rng() % 12);
            std::string row = ndjson ? "{\"k\":" + std::to_string(i) + ",\"v\":\"" + std::string(static_cast<size_t>(len), 'x') + "\"}"
                                     : std::to_string(i) + "," + std::string(static_cast<size_t>(len), 'x');
            if (rng() % 17 == 0) row.clear();  // an empty line
            data += row + (rng() % 5 == 0 ? "\r\n" : "\n");
        }
        if (rng() % 3 == 0) data.pop_back();  // no newline at the end
        const auto size = static_cast<int64_t>(1 + rng() % 400);
        const size_t feed = 1 + rng() % 500;
        SCOPED_TRACE("round " + std::to_string(round) + ", splits of " + std::to_string(size) + ", pieces of " +
                     std::to_string(feed));
        std::vector<SplitRange> want;
        int64_t begin = 0, line = 1;
        for (size_t j = 0; j < data.size(); ++j) {
            if (data[j] != '\n') continue;
            const auto end = static_cast<int64_t>(j) + 1;
            if (end - begin >= size) {
                want.push_back(SplitRange{begin, end, line});
                begin = end;
                line = 1 + std::count(data.begin(), data.begin() + end, '\n');
            }
        }
        if (begin < static_cast<int64_t>(data.size()) || want.empty()) {
            want.push_back(SplitRange{begin, static_cast<int64_t>(data.size()), line});
        }
        auto got = Cut(data, Options(ndjson ? "ndjson" : "csv", 1, 64), size, feed);
        ASSERT_EQ(got.size(), want.size());
        for (size_t k = 0; k < got.size(); ++k) {
            EXPECT_EQ(got[k].begin, want[k].begin) << "split " << k;
            EXPECT_EQ(got[k].end, want[k].end) << "split " << k;
            EXPECT_EQ(got[k].first_line, want[k].first_line) << "split " << k;
        }
    }
}

TEST(Splits, TheSampleEndsAtTheSameByteHoweverTheFileIsFed) {
    // The schema comes from the first sample_bytes (and 50 lines): fed in pieces of 1 byte or
    // of the whole file, the same columns are late or typed.
    std::string csv = "id,value\n";
    for (int i = 0; i < 2000; ++i) csv += std::to_string(i) + "," + (i < 300 ? "" : std::to_string(i)) + "\n";
    auto o = Options("csv", 1, 2048);
    std::string want;
    for (size_t feed : {size_t{1}, size_t{4096}, csv.size()}) {
        AnalyzeHooks hooks;
        hooks.chunk_bytes = feed;
        hooks.open = [&]() -> core::Result<std::unique_ptr<ByteSource>> {
            return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(csv));
        };
        auto s = Analyze(o, hooks);
        ASSERT_TRUE(s) << s.error().ToString();
        if (want.empty()) want = Everything(*s);
        EXPECT_EQ(Everything(*s), want) << "fed in pieces of " << feed;
    }
}

}  // namespace
}  // namespace insightstream::engine
