#include "core/metrics.hpp"

#include <charconv>
#include <cmath>

namespace insightstream::core {

namespace {
std::string FormatValue(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

void AppendEscaped(std::string& out, std::string_view s) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
}
}  // namespace

Metrics::Metrics() : buckets_{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60} {}

std::string Metrics::LabelText(const Labels& labels) {
    std::string s;
    for (const auto& [k, v] : labels) {
        if (!s.empty()) s += ',';
        s += k;
        s += "=\"";
        AppendEscaped(s, v);
        s += '"';
    }
    return s;
}

void Metrics::Describe(const std::string& name, std::string_view type, std::string_view help) {
    std::scoped_lock lock(mutex_);
    auto& f = families_[name];
    f.type = type;
    f.help = help;
}

void Metrics::Add(const std::string& name, const Labels& labels, double v) {
    auto key = LabelText(labels);
    std::scoped_lock lock(mutex_);
    families_[name].values[key] += v;
}

void Metrics::Set(const std::string& name, const Labels& labels, double v) {
    auto key = LabelText(labels);
    std::scoped_lock lock(mutex_);
    families_[name].values[key] = v;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double v) {
    auto key = LabelText(labels);
    std::scoped_lock lock(mutex_);
    auto& h = families_[name].histograms[key];
    if (h.counts.empty()) h.counts.assign(buckets_.size() + 1, 0);
    size_t i = 0;
    while (i < buckets_.size() && v > buckets_[i]) ++i;
    h.counts[i] += 1;
    h.sum += v;
    h.count += 1;
}

void Metrics::AddCollector(std::function<void(Metrics&)> collector) {
    std::scoped_lock lock(mutex_);
    collectors_.push_back(std::move(collector));
}

double Metrics::Value(const std::string& name, const Labels& labels) {
    auto key = LabelText(labels);
    std::scoped_lock lock(mutex_);
    auto f = families_.find(name);
    if (f == families_.end()) return 0;
    auto v = f->second.values.find(key);
    return v == f->second.values.end() ? 0 : v->second;
}

std::string Metrics::Render() {
    std::vector<std::function<void(Metrics&)>> collectors;
    {
        std::scoped_lock lock(mutex_);
        collectors = collectors_;
    }
    for (auto& c : collectors) c(*this);

    std::scoped_lock lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name + " " + f.type + "\n";
        for (const auto& [labels, v] : f.values) {
            out += name;
            if (!labels.empty()) out += "{" + labels + "}";
            out += " " + FormatValue(v) + "\n";
        }
        for (const auto& [labels, h] : f.histograms) {
            double cumulative = 0;
            std::string sep = labels.empty() ? "" : ",";
            for (size_t i = 0; i <= buckets_.size(); ++i) {
                cumulative += h.counts[i];
                std::string le = i < buckets_.size() ? FormatValue(buckets_[i]) : "+Inf";
                out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + FormatValue(cumulative) + "\n";
            }
            std::string l = labels.empty() ? "" : "{" + labels + "}";
            out += name + "_sum" + l + " " + FormatValue(h.sum) + "\n";
            out += name + "_count" + l + " " + FormatValue(h.count) + "\n";
        }
    }
    return out;
}

}  // namespace insightstream::core
