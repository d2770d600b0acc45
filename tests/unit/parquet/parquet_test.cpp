#include <gtest/gtest.h>

#include "parquet/reader.hpp"
#include "parquet/rle.hpp"
#include "parquet/thrift_compact.hpp"
#include "parquet/writer.hpp"

namespace insightstream::parquet {
namespace {

TEST(Rle, HybridRoundTripsRunsAndMixedValuesAtEveryWidth) {
    for (int width : {1, 3, 7, 8, 13, 20, 32}) {
        const uint64_t max = width == 32 ? 0xFFFFFFFFULL : (1ULL << width) - 1;
        std::vector<uint32_t> v;
        for (int i = 0; i < 1000; ++i) v.push_back(static_cast<uint32_t>((i * 2654435761ULL) % (max + 1)));
        v.insert(v.end(), 100, static_cast<uint32_t>(max));  // a long run
        for (int i = 0; i < 13; ++i) v.push_back(static_cast<uint32_t>(i % 2));  // a ragged end
        std::string enc;
        EncodeHybrid(v.data(), v.size(), width, &enc);
        std::vector<uint32_t> back(v.size());
        ASSERT_TRUE(DecodeHybrid(enc, width, v.size(), back.data())) << width;
        EXPECT_EQ(back, v) << width;
        // Truncated input is refused, never read past.
        EXPECT_FALSE(DecodeHybrid(std::string_view(enc).substr(0, enc.size() / 2), width, v.size(), back.data()));
    }
}

TEST(ThriftCompact, ReaderRefusesTruncatedAndSkipsUnknownFields) {
    std::string out;
    CompactWriter w(&out);
    w.BeginStruct();
    w.FieldI32(1, -5);
    w.FieldBinary(40, "skipped");  // a long-form field id
    w.FieldStruct(41);
    w.FieldI64(1, 1LL << 40);
    w.EndStruct();
    w.FieldI64(42, 7);
    w.EndStruct();
    CompactReader r(out);
    r.BeginStruct();
    int16_t id;
    TType t;
    ASSERT_TRUE(r.NextField(&id, &t));
    EXPECT_EQ(id, 1);
    EXPECT_EQ(r.I32(), -5);
    ASSERT_TRUE(r.NextField(&id, &t));
    EXPECT_EQ(id, 40);
    r.Skip(t);
    ASSERT_TRUE(r.NextField(&id, &t));
    r.Skip(t);
    ASSERT_TRUE(r.NextField(&id, &t));
    EXPECT_EQ(id, 42);
    EXPECT_EQ(r.I64(), 7);
    EXPECT_FALSE(r.NextField(&id, &t));
    EXPECT_TRUE(r.ok());
    for (size_t cut = 0; cut < out.size(); ++cut) {
        CompactReader bad(std::string_view(out).substr(0, cut));
        bad.Skip(TType::kStruct);
        EXPECT_FALSE(bad.ok()) << cut;
    }
}

TEST(ParquetFile, EveryKindRoundTripsWithNullsStatisticsAndSeveralRowGroups) {
    std::vector<SchemaColumn> cols = {
        MakeColumn("name", LogicalKind::kString),      MakeColumn("n", LogicalKind::kInt64),
        MakeColumn("price", LogicalKind::kDecimal, 2), MakeColumn("big", LogicalKind::kDecimal, 3, true),
        MakeColumn("x", LogicalKind::kDouble),         MakeColumn("ok", LogicalKind::kBoolean),
        MakeColumn("day", LogicalKind::kDate),         MakeColumn("at", LogicalKind::kTimestampMillis),
    };
    StringSink sink;
    FileWriter writer(cols, sink);
    const std::vector<std::string> names = {"a", "bb", "", "ünï"};
    for (int g = 0; g < 3; ++g) {
        std::vector<ColumnBatch> b(cols.size());
        const int rows = 1000 + g;
        for (int i = 0; i < rows; ++i) {
            bool null = i % 7 == 3;
            for (auto& c : b) c.defined.push_back(null ? 0 : 1);
            if (null) continue;
            b[0].codes.push_back(static_cast<uint32_t>(i % 4));
            b[1].i64.push_back(i - 500);
            b[2].i64.push_back(i * 101);
            b[3].i128.push_back(static_cast<int128>(i) * static_cast<int128>(1'000'000'000'000'000'000LL) * -1);
            b[4].f64.push_back(i / 8.0);
            b[5].b.push_back(i % 3 == 0);
            b[6].i32.push_back(19000 + i);
            b[7].i64.push_back(1'700'000'000'000LL + i);
        }
        for (const auto& n : names) b[0].dict.push_back(n);
        auto rg = EncodeRowGroup(cols, b, rows);
        ASSERT_TRUE(rg.has_value());
        ASSERT_TRUE(writer.Append(std::move(*rg)).has_value());
    }
    auto size = writer.Finish({{"k", "v"}});
    ASSERT_TRUE(size.has_value());
    EXPECT_EQ(*size, static_cast<int64_t>(sink.data.size()));

    MemoryFile file(sink.data);
    auto reader = FileReader::Open(file);
    ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
    const FileMeta& meta = reader->meta();
    EXPECT_EQ(meta.num_rows, 3003);
    ASSERT_EQ(meta.row_groups.size(), 3U);
    ASSERT_EQ(meta.columns.size(), cols.size());
    EXPECT_EQ(meta.columns[3].kind, LogicalKind::kDecimal);
    EXPECT_EQ(meta.columns[3].precision, 38);
    EXPECT_EQ(meta.columns[2].scale, 2);
    EXPECT_EQ(meta.row_groups[1].columns[1].statistics.null_count, 143);
    EXPECT_EQ(*meta.row_groups[0].columns[1].statistics.min_value, PlainInt64(-500));
    EXPECT_EQ(*meta.row_groups[0].columns[0].statistics.max_value, "ünï");
    auto name = reader->ReadColumn(2, 0);
    ASSERT_TRUE(name.has_value()) << name.error().ToString();
    ASSERT_EQ(name->rows(), 1002U);
    EXPECT_EQ(name->dict[name->codes[5]], "bb");
    EXPECT_EQ(name->defined[3], 0);
    auto big = reader->ReadColumn(1, 3);
    ASSERT_TRUE(big.has_value());
    EXPECT_TRUE(big->i128[999] == static_cast<int128>(999) * static_cast<int128>(1'000'000'000'000'000'000LL) * -1);
    auto ok = reader->ReadColumn(0, 5);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->b[9], 1);
    EXPECT_EQ(ok->b[10], 0);
    auto at = reader->ReadColumn(0, 7);
    ASSERT_TRUE(at.has_value());
    EXPECT_EQ(at->i64[999], 1'700'000'000'999LL);

    // Any corruption of the file is refused with a reason (or reads other values), never a crash.
    for (size_t i = 0; i < sink.data.size(); i += 97) {
        std::string bad = sink.data;
        bad[i] = static_cast<char>(bad[i] ^ 0x5A);
        MemoryFile f(bad);
        auto r = FileReader::Open(f);
        if (!r) continue;
        for (size_t g = 0; g < r->meta().row_groups.size(); ++g) {
            for (size_t c = 0; c < r->meta().columns.size(); ++c) (void)r->ReadColumn(g, c);
        }
    }
    MemoryFile cut(sink.data.substr(0, sink.data.size() - 3));
    EXPECT_FALSE(FileReader::Open(cut).has_value());
}

}  // namespace
}  // namespace insightstream::parquet
