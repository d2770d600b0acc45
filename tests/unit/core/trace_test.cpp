#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <deque>

#include "app/otlp_exporter.hpp"
#include "core/trace.hpp"

namespace insightstream::core {
namespace {

TEST(Trace, TraceparentIsParsedOnlyWhenWellFormed) {
    auto tp = ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01");
    ASSERT_TRUE(tp);
    EXPECT_EQ(tp->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(tp->parent_span_id, "00f067aa0ba902b7");
    EXPECT_FALSE(ParseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")) << "zero trace id";
    EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")) << "zero parent id";
    EXPECT_FALSE(ParseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) << "version ff";
    EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")) << "not hex";
    EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"));
    EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz")) << "flags not hex";
    EXPECT_FALSE(ParseTraceparent(""));
    EXPECT_EQ(FormatTraceparent(tp->trace_id, tp->parent_span_id), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_EQ(NewTraceId().size(), 32U);
    EXPECT_EQ(NewSpanId().size(), 16U);
    EXPECT_NE(NewSpanId(), NewSpanId());
}

TEST(Trace, SpansReachTheSinkOnlyWhileOneIsSet) {
    std::vector<SpanData> got;
    { Span quiet("unseen", SpanKind::kInternal, "", ""); }
    SetSpanSink([&](SpanData&& s) { got.push_back(std::move(s)); });
    {
        Span parent("parent", SpanKind::kServer, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        Span child("child", SpanKind::kInternal, parent.trace_id(), parent.span_id());
        child.Fail("broke");
    }
    SetSpanSink(nullptr);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].name, "child");
    EXPECT_TRUE(got[0].error);
    EXPECT_EQ(got[0].parent_span_id, got[1].span_id);
    EXPECT_EQ(got[1].parent_span_id, "00f067aa0ba902b7");
    EXPECT_GE(got[1].end_unix_ns, got[1].start_unix_ns);
}

TEST(Trace, OtlpJsonFollowsTheProtocolMapping) {
    std::deque<SpanData> spans;
    spans.push_back(SpanData{.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                             .span_id = "00f067aa0ba902b7",
                             .name = "job.process",
                             .kind = SpanKind::kConsumer,
                             .start_unix_ns = 1'700'000'000'000'000'001,
                             .end_unix_ns = 1'700'000'000'000'000'002,
                             .attributes = {{"rows", int64_t{42}}, {"ok", true}, {"name", "x\"y"}},
                             .error = true,
                             .status_message = "failed"});
    auto doc = boost::json::parse(app::OtlpExporter::Encode(spans, "insightstream-worker"));
    const auto& rs = doc.at("resourceSpans").at(0);
    EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "insightstream-worker");
    const auto& s = rs.at("scopeSpans").at(0).at("spans").at(0);
    EXPECT_EQ(s.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_FALSE(s.as_object().contains("parentSpanId")) << "a root span has none";
    EXPECT_EQ(s.at("kind"), 5);
    EXPECT_EQ(s.at("startTimeUnixNano"), "1700000000000000001") << "uint64 as a decimal string";
    EXPECT_EQ(s.at("attributes").at(0).at("value").at("intValue"), "42");
    EXPECT_EQ(s.at("attributes").at(1).at("value").at("boolValue"), true);
    EXPECT_EQ(s.at("attributes").at(2).at("value").at("stringValue"), "x\"y");
    EXPECT_EQ(s.at("status").at("code"), 2);
    EXPECT_EQ(s.at("status").at("message"), "failed");
}

}  // namespace
}  // namespace insightstream::core
