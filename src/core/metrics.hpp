// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format. Thread-safe; collectors run at scrape time for values read from backends
// (e.g. queue depth). Names follow insightstream_<what>_<unit>.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace insightstream::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
public:
    Metrics();
    void Describe(const std::string& name, std::string_view type, std::string_view help);
    void Add(const std::string& name, const Labels& labels, double v = 1);
    void Set(const std::string& name, const Labels& labels, double v);
    /// Records one observation into a histogram with the default latency buckets (seconds).
    void Observe(const std::string& name, const Labels& labels, double v);
    /// Runs at every Render() before the text is produced.
    void AddCollector(std::function<void(Metrics&)> collector);
    [[nodiscard]] std::string Render();
    /// Current value of a counter or gauge (0 if absent); for tests and the worker's own use.
    [[nodiscard]] double Value(const std::string& name, const Labels& labels);

private:
    struct Histogram {
        std::vector<double> counts;  // per bucket, non-cumulative
        double sum = 0;
        double count = 0;
    };
    struct Family {
        std::string type = "untyped";
        std::string help;
        std::map<std::string, double> values;        // label text -> value
        std::map<std::string, Histogram> histograms;  // label text -> histogram
    };
    static std::string LabelText(const Labels& labels);

    std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::vector<double> buckets_;
    std::vector<std::function<void(Metrics&)>> collectors_;
};

}  // namespace insightstream::core
