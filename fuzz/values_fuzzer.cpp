// Every value parser and the schema inference on arbitrary values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/schema.hpp"
#include "engine/values.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace insightstream::engine;
    std::string_view s(reinterpret_cast<const char*>(data), size);
    int64_t i;
    DecimalParse d;
    double f;
    bool b;
    BoolStyle bs;
    std::string sym;
    DateParse dp;
    (void)IsNullToken(s);
    (void)ParseInteger(s, &i);
    if (ParseDecimal(s, &d)) (void)FormatDecimal(d.value, d.frac_digits);
    (void)ParseFloat(s, &f);
    (void)ParseBool(s, &b, &bs);
    (void)ParseCurrency(s, &d, &sym);
    (void)ParsePercent(s, &d);
    if (ParseDecimal(s, &d, DecimalMark::kComma)) (void)FormatDecimal(d.value, d.frac_digits);
    (void)ParseCurrency(s, &d, &sym, DecimalMark::kComma);
    (void)ParseCompactDate(s, &dp);
    (void)ParseEpoch(s, size % 2 == 0, &dp);
    TypeHint hint;
    std::string error;
    (void)ParseTypeHint(s, &hint, &error);
    if (ParseDate(s, &dp) && dp.ordered) {
        int32_t days;
        if (DaysFromCivil(dp.year, dp.p1, dp.p2, &days)) (void)FormatDate(days);
    }
    // Inference over the input split into values.
    std::vector<std::vector<std::string>> rows;
    size_t start = 0;
    for (size_t k = 0; k <= s.size(); ++k) {
        if (k == s.size() || s[k] == '\n') {
            rows.push_back({std::string(s.substr(start, k - start))});
            start = k + 1;
        }
    }
    (void)InferSchema({"value"}, rows, {});
    (void)InferSchema({"value", "value"}, rows, {}, InferOptions{.delimiter = ';'});
    (void)UniqueColumnNames({std::string(s.substr(0, size / 2)), std::string(s.substr(size / 2)), "a", "a_2"});
    return 0;
}
