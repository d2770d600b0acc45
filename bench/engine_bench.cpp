// Engine benchmark: the engine alone on a file (read with plain read(2), as the worker streams
// the object store), the whole insight set computed. Prints wall time, MB/s, rows/s and peak
// RSS, and with --json the insight payloads, for comparison with ../shared/bench peers.
//
//   engine_bench FILE [--format csv|json|ndjson] [--threads N] [--json] [--runs N]
//   engine_bench FILE --peer [--brief]   the peers' output format, for compare_outputs.py
//   engine_bench FILE --split-bytes N [--split-workers K]   the file cut into splits of N bytes
//     (engine/splits.hpp), K analysed at a time as K workers would, merged; checked against the
//     whole file's payloads, with the time of the cut, of the splits and of the merge
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/json_text.hpp"
#include "engine/engine.hpp"
#include "engine/splits.hpp"

using namespace insightstream::engine;
using insightstream::core::AppendJsonDouble;
using insightstream::core::AppendJsonString;

namespace {

// The insight set in the shape of ../shared/bench/duckdb_insights.mjs, for compare_outputs.py.
double Money(int128 units) { return std::round(DecimalToDouble(units) * 100.0) / 100.0; }

void Num(std::string& out, double v) {
    if (std::floor(v) == v && std::fabs(v) < 9e15) out += std::to_string(static_cast<long long>(v));
    else AppendJsonDouble(out, v);
}

int ColumnIndex(const InsightSet& s, const std::string& name) {
    for (size_t c = 0; c < s.schema.columns.size(); ++c) {
        if (s.schema.columns[c].name == name) return static_cast<int>(c);
    }
    return -1;
}

size_t MeasureIndex(const InsightSet& s, int column) {
    return static_cast<size_t>(std::find(s.measures.begin(), s.measures.end(), column) - s.measures.begin());
}

std::string PeerJson(const InsightSet& s, const std::string& file, bool brief) {
    std::string out = "{\"engine\":\"insightstream\",\"file\":";
    AppendJsonString(out, file);
    out += ",\"rows\":" + std::to_string(s.rows) + ",\"columns\":[";
    for (size_t c = 0; c < s.columns.size(); ++c) {
        const auto& col = s.columns[c];
        const auto& spec = s.schema.columns[c];
        if (c) out += ',';
        out += "{\"name\":";
        AppendJsonString(out, spec.name);
        out += ",\"nulls\":" + std::to_string(col.nulls) + ",\"min\":";
        std::string mn = col.min.value_or(""), mx = col.max.value_or("");
        if (spec.type == ColumnType::kBoolean) {
            mn = col.falses > 0 ? "false" : "true";
            mx = col.trues > 0 ? "true" : "false";
        }
        AppendJsonString(out, mn);
        out += ",\"max\":";
        AppendJsonString(out, mx);
        if (spec.numeric() && col.sum) {
            out += ",\"sum\":";
            Num(out, std::round(std::stod(*col.sum) * 100) / 100);
            out += ",\"mean\":";
            Num(out, std::round(*col.mean * 100) / 100);
        }
        out += '}';
    }
    out += ']';
    int date = ColumnIndex(s, "order_date");
    int revenue = ColumnIndex(s, "revenue");
    size_t rm = MeasureIndex(s, revenue);
    size_t nm = s.measures.size();
    // By month from the day series.
    std::map<int, std::pair<int128, int64_t>> months;
    for (const auto& t : s.time_series) {
        if (t.time_column != date) continue;
        for (size_t i = 0; i < t.days.size(); ++i) {
            int32_t y, m, d;
            CivilFromDays(t.days[i], &y, &m, &d);
            auto& e = months[y * 12 + m - 1];
            e.first += t.accs[i * nm + rm].sum;
            e.second += t.rows[i];
        }
    }
    out += ",\"revenue_by_month\":";
    if (brief) {
        out += "{\"groups\":" + std::to_string(months.size()) + "}";
    } else {
        out += '[';
        bool first = true;
        for (const auto& [mo, e] : months) {
            if (!first) out += ',';
            first = false;
            out += "{\"month\":\"" + MonthLabel(mo) + "\",\"revenue\":";
            Num(out, Money(e.first));
            out += ",\"orders\":" + std::to_string(e.second) + ",\"avg_revenue\":";
            Num(out, std::round(DecimalToDouble(e.first) / static_cast<double>(e.second) * 100) / 100);
            out += '}';
        }
        out += ']';
    }
    auto groups = [&](const char* dim, const char* label, size_t limit) {
        int d = ColumnIndex(s, dim);
        out += std::string(",\"") + label + "\":[";
        for (const auto& g : s.groups) {
            if (g.dimension != d) continue;
            std::vector<std::pair<std::string, int128>> rows;
            for (const auto& one : g.groups) rows.emplace_back(one.key.value_or(""), one.accs[rm].sum);
            std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
                return a.second != b.second ? a.second > b.second : a.first < b.first;
            });
            for (size_t i = 0; i < rows.size() && i < limit; ++i) {
                if (i) out += ',';
                out += "{\"";
                out += dim;
                out += "\":";
                AppendJsonString(out, rows[i].first);
                out += ",\"revenue\":";
                Num(out, Money(rows[i].second));
                out += '}';
            }
        }
        out += ']';
    };
    groups("region", "revenue_by_region", 1000);
    groups("category", "revenue_by_category", 1000);
    groups("product", "top20_products", 20);
    int cat = ColumnIndex(s, "category");
    out += ",\"revenue_by_category_month\":";
    size_t cells = 0;
    std::string list = "[";
    for (const auto& b : s.breakdowns) {
        if (b.dimension != cat) continue;
        std::vector<const BreakdownData::Series*> series;
        for (const auto& se : b.series) series.push_back(&se);
        std::sort(series.begin(), series.end(), [](auto* a, auto* b2) { return a->key < b2->key; });
        for (const auto* se : series) {
            for (size_t mo = 0; mo < b.months.size(); ++mo) {
                if (se->rows[mo] == 0) continue;
                if (cells++) list += ',';
                list += "{\"category\":";
                AppendJsonString(list, se->key.value_or(""));
                list += ",\"month\":\"" + MonthLabel(b.months[mo]) + "\",\"revenue\":";
                Num(list, Money(se->accs[mo * nm + rm].sum));
                list += '}';
            }
        }
    }
    out += brief ? "{\"groups\":" + std::to_string(cells) + "}" : list + "]";
    out += '}';
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: engine_bench FILE [--format csv|json|ndjson] [--threads N] [--json] [--runs N] "
                     "[--role COLUMN=ROLE]... [--snapshot OUT.parquet] [--split-bytes N [--split-workers K]]\n");
        return 2;
    }
    std::string path = argv[1];
    std::string format = "csv";
    int threads = 0;
    int runs = 1;
    bool print_json = false;
    bool peer = false;
    bool brief = false;
    std::string snapshot;  // also write the columnar snapshot, as the worker does, and time it apart
    int64_t split_bytes = 0;
    int split_workers = 1;
    std::map<std::string, TypeHint> hints;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--format" && i + 1 < argc) format = argv[++i];
        else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
        else if (a == "--json") print_json = true;
        else if (a == "--peer") peer = true;
        else if (a == "--brief") brief = true;
        else if (a == "--snapshot" && i + 1 < argc) snapshot = argv[++i];
        else if (a == "--split-bytes" && i + 1 < argc) split_bytes = std::atoll(argv[++i]);
        else if (a == "--split-workers" && i + 1 < argc) split_workers = std::atoi(argv[++i]);
        else if (a == "--role" && i + 1 < argc) {
            std::string spec = argv[++i];
            size_t eq = spec.find('=');
            ColumnRole role;
            if (eq == std::string::npos || !ParseRoleName(spec.substr(eq + 1), &role)) {
                std::fprintf(stderr, "--role wants COLUMN=time|measure|dimension|identifier\n");
                return 2;
            }
            hints[spec.substr(0, eq)].role = role;
        }
    }
    // The whole analysis, as the worker runs it (engine::Analyze: a second pass when one is needed).
    struct File final : ByteSource {
        int fd = -1;
        int64_t bytes = 0;
        ~File() override {
            if (fd >= 0) ::close(fd);
        }
        insightstream::core::Result<size_t> Read(char* buffer, size_t capacity) override {
            ssize_t n = ::read(fd, buffer, capacity);
            if (n < 0) return insightstream::core::Error::Internal("read failed");
            bytes += n;
            return static_cast<size_t>(n);
        }
    };
    // A range of the file, as a split job reads it from the object store.
    struct Range final : ByteSource {
        int fd = -1;
        int64_t left = 0;
        ~Range() override {
            if (fd >= 0) ::close(fd);
        }
        insightstream::core::Result<size_t> Read(char* buffer, size_t capacity) override {
            if (left == 0) return size_t{0};
            ssize_t n = ::read(fd, buffer, std::min<size_t>(capacity, static_cast<size_t>(left)));
            if (n < 0) return insightstream::core::Error::Internal("read failed");
            left -= n;
            return static_cast<size_t>(n);
        }
    };
    for (int run = 0; run < runs && split_bytes > 0; ++run) {
        EngineOptions options;
        options.format = format;
        options.threads = threads;
        options.hints = hints;
        auto t0 = std::chrono::steady_clock::now();
        SplitCutter cutter(options, split_bytes);
        std::vector<SplitRange> splits;
        std::string buffer(4 << 20, '\0');
        int fd = ::open(path.c_str(), O_RDONLY);
        int64_t size = 0;
        for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
            cutter.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
            size += n;
        }
        ::close(fd);
        splits = cutter.Take();
        for (auto& r : cutter.Finish()) splits.push_back(r);
        double cut = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        OpenRange open = [&](int64_t begin, int64_t end) -> insightstream::core::Result<std::unique_ptr<ByteSource>> {
            auto r = std::make_unique<Range>();
            r->fd = ::open(path.c_str(), O_RDONLY);
            if (r->fd < 0) return insightstream::core::Error::NotFound(path + ": cannot open");
            ::lseek(r->fd, begin, SEEK_SET);
            r->left = (end < 0 ? size : end) - begin;
            return std::unique_ptr<ByteSource>(std::move(r));
        };
        auto parts = AnalyzeInSplits(options, open, splits, 3, 4 << 20, nullptr, split_workers);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!parts) {
            std::fprintf(stderr, "error: %s %s\n", parts.error().detail().c_str(), parts.error().internal().c_str());
            return 1;
        }
        struct rusage ru {};
        getrusage(RUSAGE_SELF, &ru);
        std::printf("splits %-30s %8.3f s %8.1f MB/s  %zu splits of %lld bytes, %d at a time  cut %.3f s  rows %lld  passes %d  "
                    "peak %.1f MiB\n",
                    path.substr(path.rfind('/') + 1).c_str(), secs, static_cast<double>(size) / 1e6 / secs, splits.size(),
                    static_cast<long long>(split_bytes), split_workers, cut, static_cast<long long>(parts->rows), parts->passes,
                    static_cast<double>(ru.ru_maxrss) / 1024.0);
        // The same payloads as the whole file's, or the numbers above mean nothing.
        AnalyzeHooks hooks;
        hooks.open = [&]() { return open(0, -1); };
        auto whole = Analyze(options, hooks);
        auto payloads = [](const InsightSet& r) {
            std::string out = SchemaJson(r) + SummaryJson(r) + IssuesNdjson(r);
            for (const auto& t : r.time_series) out += TimeSeriesJson(r, t);
            for (const auto& g : r.groups) out += GroupsJson(r, g);
            for (const auto& b : r.breakdowns) out += BreakdownJson(r, b);
            return out;
        };
        if (!whole || payloads(*whole) != payloads(*parts)) {
            std::fprintf(stderr, "error: the splits' payloads differ from the whole file's\n");
            return 1;
        }
        std::printf("splits %-30s same payloads as the whole file\n", path.substr(path.rfind('/') + 1).c_str());
    }
    for (int run = 0; run < runs && split_bytes == 0; ++run) {
        auto t0 = std::chrono::steady_clock::now();
        EngineOptions options;
        options.format = format;
        options.threads = threads;
        options.hints = hints;
        int64_t bytes = 0;
        AnalyzeHooks hooks;
        hooks.open = [&]() -> insightstream::core::Result<std::unique_ptr<ByteSource>> {
            auto f = std::make_unique<File>();
            f->fd = ::open(path.c_str(), O_RDONLY);
            if (f->fd < 0) return insightstream::core::Error::NotFound(path + ": cannot open");
            return std::unique_ptr<ByteSource>(std::move(f));
        };
        hooks.progress = [&](int pass, int64_t read, int64_t) {
            if (pass == 1) bytes = read;
        };
        EngineOptions last;
        auto result = Analyze(options, hooks, &last);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!result) {
            std::fprintf(stderr, "error: %s\n", result.error().detail().c_str());
            return 1;
        }
        struct rusage ru {};
        getrusage(RUSAGE_SELF, &ru);
        if (peer) {
            std::printf("%s\n", PeerJson(*result, path, brief).c_str());
            continue;
        }
        std::printf("engine %-30s %8.3f s %8.1f MB/s %10.0f rows/s  rows %lld rejected %lld  passes %d  peak %.1f MiB\n",
                    path.substr(path.rfind('/') + 1).c_str(), secs, static_cast<double>(bytes) / 1e6 / secs,
                    static_cast<double>(result->rows) / secs, static_cast<long long>(result->rows),
                    static_cast<long long>(result->rejected), result->passes, static_cast<double>(ru.ru_maxrss) / 1024.0);
        if (!snapshot.empty()) {
            // The snapshot pass, into a local file: time, size, and the peak memory of both passes.
            struct Out final : insightstream::parquet::ByteSink {
                FILE* f = nullptr;
                insightstream::core::Result<void> Write(std::string_view b) override {
                    if (std::fwrite(b.data(), 1, b.size(), f) != b.size()) return insightstream::core::Error::Internal("write failed");
                    return {};
                }
            } out;
            out.f = std::fopen(snapshot.c_str(), "wb");
            if (out.f == nullptr) {
                std::fprintf(stderr, "error: cannot write %s\n", snapshot.c_str());
                return 1;
            }
            auto s0 = std::chrono::steady_clock::now();
            auto stats = WriteSnapshot(last, *result, hooks, out);
            std::fclose(out.f);
            double ssecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
            if (!stats) {
                std::fprintf(stderr, "error: %s %s\n", stats.error().detail().c_str(), stats.error().internal().c_str());
                return 1;
            }
            getrusage(RUSAGE_SELF, &ru);
            std::printf("snapshot %-28s %8.3f s (+%.0f %% of the analysis) %8.1f MB/s  %lld row groups  %.1f MiB file  peak %.1f MiB\n",
                        path.substr(path.rfind('/') + 1).c_str(), ssecs, 100.0 * ssecs / secs,
                        static_cast<double>(bytes) / 1e6 / ssecs, static_cast<long long>(stats->row_groups),
                        static_cast<double>(stats->bytes) / 1048576.0, static_cast<double>(ru.ru_maxrss) / 1024.0);
        }
        if (print_json && run == runs - 1) {
            std::printf("%s\n%s\n", SchemaJson(*result).c_str(), SummaryJson(*result).c_str());
            for (const auto& g : result->groups) std::printf("%s\n", GroupsJson(*result, g).substr(0, 600).c_str());
            for (const auto& t : result->time_series) std::printf("%s\n", TimeSeriesJson(*result, t).c_str());
            std::printf("%s", IssuesNdjson(*result).substr(0, 2000).c_str());
        }
    }
    return 0;
}
