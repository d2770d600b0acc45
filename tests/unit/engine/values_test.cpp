#include <gtest/gtest.h>

#include "engine/values.hpp"

namespace insightstream::engine {
namespace {

TEST(Values, NullTokens) {
    for (const char* s : {"", " ", "NA", "na", "N/A", "n/a", "null", "NULL", "Null", "None", "-", "NaN", "nan", "#N/A"}) {
        EXPECT_TRUE(IsNullToken(s)) << s;
    }
    for (const char* s : {"0", "--", "nah", "nullable", "N", "false"}) EXPECT_FALSE(IsNullToken(s)) << s;
}

TEST(Values, IntegersRejectLeadingZerosAndOverflow) {
    int64_t v;
    EXPECT_TRUE(ParseInteger("42", &v));
    EXPECT_EQ(v, 42);
    EXPECT_TRUE(ParseInteger("-9223372036854775808", &v));
    EXPECT_EQ(v, INT64_MIN);
    EXPECT_FALSE(ParseInteger("9223372036854775808", &v));
    EXPECT_TRUE(ParseInteger("0", &v));
    EXPECT_FALSE(ParseInteger("007", &v));
    EXPECT_TRUE(HasLeadingZero("02134"));
    EXPECT_FALSE(HasLeadingZero("0"));
    EXPECT_FALSE(ParseInteger("1.0", &v));
    EXPECT_FALSE(ParseInteger("", &v));
    EXPECT_FALSE(ParseInteger("+", &v));
}

TEST(Values, DecimalsAreExact) {
    DecimalParse d;
    ASSERT_TRUE(ParseDecimal("1234.56", &d));
    EXPECT_EQ(FormatDecimal(d.value, 2), "1234.56");
    EXPECT_EQ(d.frac_digits, 2);
    ASSERT_TRUE(ParseDecimal("-0.000000001", &d));
    EXPECT_EQ(d.value, -1);
    ASSERT_TRUE(ParseDecimal(".5", &d));
    EXPECT_EQ(FormatDecimal(d.value, 1), "0.5");
    ASSERT_TRUE(ParseDecimal("1,234,567.89", &d));
    EXPECT_TRUE(d.grouped);
    EXPECT_EQ(FormatDecimal(d.value, 2), "1234567.89");
    EXPECT_FALSE(ParseDecimal("1,23.4", &d));
    EXPECT_FALSE(ParseDecimal("12,34", &d));
    EXPECT_FALSE(ParseDecimal("1.2.3", &d));
    // More than 9 fractional digits: rounded half to even to 9, and flagged.
    ASSERT_TRUE(ParseDecimal("0.1234567891", &d));
    EXPECT_TRUE(d.rounded);
    EXPECT_EQ(FormatDecimal(d.value, 9), "0.123456789");
    EXPECT_EQ(FormatDecimal(-1'500'000'000, 9), "-1.500000000");
    EXPECT_EQ(FormatDecimal(-5, 9), "-0.000000005");
    EXPECT_EQ(FormatDecimal(1'000'000'007, 3), "1.000");
    ASSERT_TRUE(ParseDecimal("0.0000000025", &d));
    EXPECT_EQ(d.value, 2);  // a tie goes to the even neighbour
    ASSERT_TRUE(ParseDecimal("0.0000000035", &d));
    EXPECT_EQ(d.value, 4);
    ASSERT_TRUE(ParseDecimal("0.99999999951", &d));
    EXPECT_EQ(FormatDecimal(d.value, 0), "1");
    ASSERT_TRUE(ParseDecimal("123456789012345678901234567", &d));  // 27 digits, int128
    EXPECT_EQ(FormatDecimal(d.value, 0), "123456789012345678901234567");
    // 0.1 + 0.2 is exactly 0.3 here.
    DecimalParse a, b, c;
    ParseDecimal("0.1", &a);
    ParseDecimal("0.2", &b);
    ParseDecimal("0.3", &c);
    EXPECT_EQ(a.value + b.value, c.value);
}

TEST(Values, DecimalMarksGroupsAndAccountingNegatives) {
    DecimalParse d;
    const auto comma = DecimalMark::kComma;
    ASSERT_TRUE(ParseDecimal("1.234,56", &d, comma));
    EXPECT_EQ(FormatDecimal(d.value, 2), "1234.56");
    ASSERT_TRUE(ParseDecimal("1189,82", &d, comma));
    EXPECT_EQ(FormatDecimal(d.value, 2), "1189.82");
    ASSERT_TRUE(ParseDecimal("1.234", &d, comma));  // a thousands point
    EXPECT_EQ(FormatDecimal(d.value, 0), "1234");
    EXPECT_FALSE(ParseDecimal("1.5", &d, comma));
    EXPECT_FALSE(ParseDecimal("1189,82", &d));
    ASSERT_TRUE(ParseDecimal("1 234", &d));
    EXPECT_EQ(FormatDecimal(d.value, 0), "1234");
    ASSERT_TRUE(ParseDecimal("1\xC2\xA0" "234\xC2\xA0" "567,5", &d, comma));  // no-break spaces
    EXPECT_EQ(FormatDecimal(d.value, 1), "1234567.5");
    ASSERT_TRUE(ParseDecimal("1'234.50", &d));
    EXPECT_EQ(FormatDecimal(d.value, 2), "1234.50");
    EXPECT_FALSE(ParseDecimal("1,234 567", &d));  // one kind of separator per value
    EXPECT_FALSE(ParseDecimal("12 34", &d));
    ASSERT_TRUE(ParseDecimal("(1,234.50)", &d));
    EXPECT_EQ(FormatDecimal(d.value, 2), "-1234.50");
    EXPECT_FALSE(ParseDecimal("(-5)", &d));
    EXPECT_FALSE(ParseDecimal("()", &d));
    std::string sym;
    ASSERT_TRUE(ParseCurrency("12,50 \xE2\x82\xAC", &d, &sym, comma));
    EXPECT_EQ(FormatDecimal(d.value, 2), "12.50");
    EXPECT_EQ(CurrencyCode(sym), "EUR");
    EXPECT_EQ(CurrencyCode("$"), "USD");
    EXPECT_EQ(CurrencyCode("USD"), "USD");
}

TEST(Values, CompactDatesEpochsAndTheCalendar) {
    DateParse d;
    ASSERT_TRUE(ParseCompactDate("20240229", &d));
    EXPECT_EQ(d.p1, 2);
    EXPECT_EQ(d.p2, 29);
    EXPECT_FALSE(ParseCompactDate("20230229", &d));
    EXPECT_FALSE(ParseCompactDate("2024013", &d));
    ASSERT_TRUE(ParseEpoch("1704067261", false, &d));
    EXPECT_EQ(d.year, 2024);
    EXPECT_EQ(d.seconds_of_day, 61);
    ASSERT_TRUE(ParseEpoch("1704067261500", true, &d));
    EXPECT_EQ(d.millis, 500);
    EXPECT_FALSE(ParseEpoch("99999999999999", false, &d));  // year 3 million
    for (const char* bad : {"2024-02-30", "2023-02-29", "2024-04-31", "31/02/2024", "02/30/2024"}) {
        EXPECT_FALSE(ParseDate(bad, &d)) << bad;
    }
    ASSERT_TRUE(ParseDate("13.05.2023", &d));
    EXPECT_EQ(d.separator, '.');
    EXPECT_FALSE(d.ordered);
    EXPECT_TRUE(IsCivilDate(2000, 2, 29));
    EXPECT_FALSE(IsCivilDate(1900, 2, 29));
    EXPECT_EQ(Utf8Prefix("M\xC3\xBCller", 2), "M");
}

TEST(Values, CurrencyAndPercent) {
    DecimalParse d;
    std::string sym;
    ASSERT_TRUE(ParseCurrency("$1,234.50", &d, &sym));
    EXPECT_EQ(sym, "$");
    EXPECT_EQ(FormatDecimal(d.value, 2), "1234.50");
    ASSERT_TRUE(ParseCurrency("($1,234.50)", &d, &sym));
    EXPECT_EQ(FormatDecimal(d.value, 2), "-1234.50");
    ASSERT_TRUE(ParseCurrency("-$5", &d, &sym));
    EXPECT_EQ(FormatDecimal(d.value, 0), "-5");
    ASSERT_TRUE(ParseCurrency("12.00 \xE2\x82\xAC", &d, &sym));
    EXPECT_EQ(sym, "\xE2\x82\xAC");
    ASSERT_TRUE(ParseCurrency("\xC2\xA3" "3", &d, &sym));
    EXPECT_FALSE(ParseCurrency("12.00", &d, &sym));
    EXPECT_FALSE(ParseCurrency("(-$5)", &d, &sym));
    ASSERT_TRUE(ParsePercent("12.5%", &d));
    EXPECT_EQ(FormatDecimal(d.value, 1), "12.5");
    EXPECT_FALSE(ParsePercent("%", &d));
}

TEST(Values, Booleans) {
    bool b;
    BoolStyle s;
    EXPECT_TRUE(ParseBool("TRUE", &b, &s) && b && s == BoolStyle::kTrueFalse);
    EXPECT_TRUE(ParseBool("no", &b, &s) && !b && s == BoolStyle::kYesNo);
    EXPECT_TRUE(ParseBool("f", &b, &s) && !b && s == BoolStyle::kTF);
    EXPECT_TRUE(ParseBool("1", &b, &s) && b && s == BoolStyle::kOneZero);
    EXPECT_FALSE(ParseBool("2", &b, &s));
    EXPECT_FALSE(ParseBool("truth", &b, &s));
}

TEST(Values, DatesInEveryWrittenForm) {
    DateParse d;
    ASSERT_TRUE(ParseDate("2015-01-31", &d));
    EXPECT_EQ(d.year, 2015);
    EXPECT_EQ(d.p1, 1);
    EXPECT_EQ(d.p2, 31);
    EXPECT_TRUE(d.ordered);
    EXPECT_FALSE(d.has_time);
    ASSERT_TRUE(ParseDate("2015/01/01 01:00:00", &d));
    EXPECT_TRUE(d.has_time);
    EXPECT_EQ(d.seconds_of_day, 3600);
    ASSERT_TRUE(ParseDate("Jan 1 2000", &d));
    EXPECT_EQ(d.p1, 1);
    EXPECT_EQ(d.p2, 1);
    ASSERT_TRUE(ParseDate("January 31, 2000", &d));
    EXPECT_EQ(d.p2, 31);
    ASSERT_TRUE(ParseDate("12-Jun-1998", &d));
    EXPECT_EQ(d.p1, 6);
    EXPECT_EQ(d.p2, 12);
    ASSERT_TRUE(ParseDate("06/12/1998", &d));
    EXPECT_FALSE(d.ordered);
    EXPECT_EQ(d.p1, 6);
    EXPECT_EQ(d.p2, 12);
    ASSERT_TRUE(ParseDate("2024-02-29T23:30:00+02:00", &d));
    EXPECT_TRUE(d.has_offset);
    EXPECT_EQ(d.offset_minutes, 120);
    ASSERT_TRUE(ParseDate("2024-02-29T23:30:00.123Z", &d));
    EXPECT_EQ(d.millis, 123);
    ASSERT_TRUE(ParseDate("3/4/2020 1:05 PM", &d));
    EXPECT_EQ(d.seconds_of_day, 13 * 3600 + 5 * 60);
    for (const char* bad : {"2015-13-01", "2015-00-10", "20150101", "2015-1", "13/13/2020", "Foo 1 2000", "1.5",
                            "2015-01-31T25:00", "12:00", "2015-01-31 xyz"}) {
        EXPECT_FALSE(ParseDate(bad, &d)) << bad;
    }
}

TEST(Values, CivilDaysRoundTripIncludingLeapDays) {
    int32_t days;
    ASSERT_TRUE(DaysFromCivil(1970, 1, 1, &days));
    EXPECT_EQ(days, 0);
    ASSERT_TRUE(DaysFromCivil(2024, 2, 29, &days));
    EXPECT_EQ(FormatDate(days), "2024-02-29");
    EXPECT_FALSE(DaysFromCivil(2023, 2, 29, &days));
    EXPECT_FALSE(DaysFromCivil(1900, 2, 29, &days));
    EXPECT_TRUE(DaysFromCivil(2000, 2, 29, &days));
    for (int32_t d = -800000; d < 800000; d += 997) {
        int32_t y, m, dd, back;
        CivilFromDays(d, &y, &m, &dd);
        ASSERT_TRUE(DaysFromCivil(y, m, dd, &back));
        EXPECT_EQ(back, d);
    }
    EXPECT_EQ(FormatTimestamp(86400 + 3661), "1970-01-02T01:01:01Z");
}

}  // namespace
}  // namespace insightstream::engine
