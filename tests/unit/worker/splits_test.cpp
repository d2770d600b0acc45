// A version analysed in splits by several workers (worker/engine_processor.hpp, "Splits"): the
// real EngineProcessor, the directory object store and the DB queue on SQLite and PostgreSQL.
// The stored results are those of one engine reading the whole file; a split job that is lost,
// or taken by a worker that vanished, is analysed by the version's own job.
#include <gtest/gtest.h>

#include <thread>

#include "catalog/datasets.hpp"
#include "engine/engine.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "support/db_fixture.hpp"
#include "unit/worker/queued_version.hpp"
#include "worker/engine_processor.hpp"
#include "worker/worker.hpp"

namespace insightstream::worker {
namespace {

using core::Result;
using store::Tx;
using store::TxMode;

// Sales with quoted line breaks (inside and across split ends), a bad row, and a column whose values
// come only after the 1 MiB sample (a second pass types and counts it).
std::string File() {
    std::string csv = "day,region,note,amount,late\n";
    for (int i = 0; i < 24'000; ++i) {
        csv += "2024-" + std::string(i % 12 < 9 ? "0" : "") + std::to_string(i % 12 + 1) + "-1" + std::to_string(i % 9) + "," +
               (i % 4 ? "North" : "South") + ",\"two\nlines " + std::to_string(i) + "\"," +
               (i % 250 == 7 ? std::string("x1") : std::to_string(i % 97) + ".25") + "," +
               (i > 20'000 ? std::to_string(i) : "") + "\n";
        if (i == 1234) csv += "broken,row\n";
    }
    return csv;
}

class SplitsTest : public testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!db_) return;
        objects_ = store::DirObjectStore::Create(dir_.path() / "objects").value();
        queue_ = std::make_unique<store::DbJobQueue>(*db_, clock_, store::DbQueueSettings{.max_receives = 3});
        file_ = File();
        testing::QueueVersion(*db_, *objects_, *queue_, tenant_, dataset_, file_);
        if (HasFatalFailure()) return;
    }
    store::ObjectKey Key(const std::string& name) { return store::ObjectKey::ForDatasetVersion(tenant_, dataset_, 1, name); }
    std::unique_ptr<EngineProcessor> Processor(size_t max_issues = EngineProcessorSettings{}.max_issues) {
        return std::make_unique<EngineProcessor>(*objects_, EngineProcessorSettings{.chunk_bytes = 7919,
                                                                                     .threads = 2,
                                                                                     .max_issues = max_issues,
                                                                                     .split_bytes = 128 << 10,
                                                                                     .split_stall_ms = 400});
    }
    std::unique_ptr<Worker> MakeWorker(JobProcessor& p) {
        return std::make_unique<Worker>(*db_, *objects_, *queue_, nullptr, p, metrics_, clock_, WorkerSettings{.max_receives = 3});
    }
    catalog::VersionRecord Version() {
        auto v = store::TransactValue(*db_, tenant_, TxMode::kRead, [&](Tx& tx) {
            return catalog::datasets::FindVersion(tx, tenant_, dataset_, 1);
        });
        EXPECT_TRUE(v && v->has_value());
        return v && v->has_value() ? **v : catalog::VersionRecord{};
    }
    std::string Stored(const std::string& kind, const std::string& name = "") {
        auto r = store::TransactValue(*db_, tenant_, TxMode::kRead, [&](Tx& tx) {
            return catalog::results::Get(tx, tenant_, dataset_, 1, kind, name);
        });
        EXPECT_TRUE(r && r->has_value()) << kind;
        return r && r->has_value() ? **r : std::string();
    }
    // What one engine reading the whole file stores (the processor's options: csv, 2 threads).
    void ExpectTheWholeFilesResults() {
        auto v = Version();
        ASSERT_EQ(v.status, catalog::VersionStatus::kReady) << v.error.value_or("");
        engine::EngineOptions o;
        o.format = "csv";
        o.threads = 2;
        o.partial.max_issues = EngineProcessorSettings{}.max_issues;
        engine::AnalyzeHooks hooks;
        hooks.open = [&]() -> Result<std::unique_ptr<engine::ByteSource>> {
            return std::unique_ptr<engine::ByteSource>(std::make_unique<engine::MemorySource>(file_));
        };
        auto whole = engine::Analyze(o, hooks);
        ASSERT_TRUE(whole) << whole.error().ToString();
        EXPECT_GE(whole->passes, 2) << "the late column needs a second pass";
        EXPECT_EQ(v.rows_total, whole->rows);
        EXPECT_EQ(Stored("schema"), engine::SchemaJson(*whole));
        EXPECT_EQ(Stored("summary"), engine::SummaryJson(*whole));
        for (const auto& t : whole->time_series) {
            EXPECT_EQ(Stored("timeseries", whole->schema.columns[static_cast<size_t>(t.time_column)].name),
                      engine::TimeSeriesJson(*whole, t));
        }
        for (const auto& g : whole->groups) {
            EXPECT_EQ(Stored("groups", whole->schema.columns[static_cast<size_t>(g.dimension)].name), engine::GroupsJson(*whole, g));
        }
        for (const auto& b : whole->breakdowns) {
            EXPECT_EQ(Stored("breakdown", whole->schema.columns[static_cast<size_t>(b.dimension)].name),
                      engine::BreakdownJson(*whole, b));
        }
        EXPECT_GT(whole->issues.size(), 50U) << "bad values in every split";
        EXPECT_EQ(objects_->GetBytes(Key("errors.ndjson")).value_or(""), engine::IssuesNdjson(*whole));
        // The splits' objects are gone; the source, the quarantine and the snapshot stay.
        auto left = objects_->List(store::ObjectKey::DatasetPrefix(tenant_, dataset_).str());
        ASSERT_TRUE(left);
        for (const auto& o2 : *left) EXPECT_EQ(o2.key.find("split-"), std::string::npos) << o2.key;
    }

    testing::FakeClock clock_;
    core::Metrics metrics_;
    core::TenantId tenant_{"org_s"};
    core::DatasetId dataset_{"ds_s"};
    std::unique_ptr<store::DirObjectStore> objects_;
    std::unique_ptr<store::DbJobQueue> queue_;
    std::string file_;
};

TEST_P(SplitsTest, SeveralWorkersShareTheSplitsAndTheResultIsTheWholeFiles) {
    // Worker b is configured to keep one issue: it reads its splits with the limits the version's
    // job (a) wrote for the pass, or the bad values of its splits would be missing.
    auto pa = Processor();
    auto pb = Processor(1);
    auto a = MakeWorker(*pa);
    auto b = MakeWorker(*pb);
    std::atomic<bool> done{false};
    auto loop = [&](Worker& w) {
        for (int i = 0; i < 20'000 && !done; ++i) {
            if (!w.RunOnce(0)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    };
    std::jthread ta([&] { loop(*a); });
    for (int i = 0; i < 500 && Version().status == catalog::VersionStatus::kQueued; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::jthread tb([&] { loop(*b); });
    for (int i = 0; i < 3000 && Version().status != catalog::VersionStatus::kReady &&
                    Version().status != catalog::VersionStatus::kFailed;
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    done = true;
    ta.join();
    tb.join();
    ExpectTheWholeFilesResults();
    // Split jobs were sent and taken through the queue (by either worker) besides the version's.
    EXPECT_GT(metrics_.Value("insightstream_jobs_total", {{"outcome", "split"}}), 0) << "worker b analysed no split";
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "succeeded"}}), 1);
}

TEST_P(SplitsTest, LostSplitJobsAreAnalysedByTheVersionsJob) {
    auto p = Processor();
    auto w = MakeWorker(*p);
    int sent = 0;
    p->SetSplitSender([&](const catalog::JobMessage& m) -> Result<void> {
        EXPECT_EQ(m.kind, catalog::kSplitJob);
        ++sent;
        return {};  // and lost
    });
    ASSERT_TRUE(w->RunOnce(0));
    EXPECT_GT(sent, 4);
    ExpectTheWholeFilesResults();
}

TEST_P(SplitsTest, ASplitTakenByAWorkerThatVanishedIsTakenOverAfterTheStall) {
    auto p = Processor();
    auto w = MakeWorker(*p);
    // Split 1 of the first pass is taken, as its job is sent, by a worker that then goes away.
    p->SetSplitSender([&](const catalog::JobMessage& m) -> Result<void> {
        if (m.pass == 1 && m.split == 1) {
            EXPECT_TRUE(objects_->PutBytes(Key("split-" + m.run + "-p1-1.taken"), std::to_string(core::SystemClock().NowMs())));
        }
        return {};
    });
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(w->RunOnce(0));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300)) << "it waited for the taker";
    ExpectTheWholeFilesResults();
}

TEST_P(SplitsTest, ASplitJobOfAVersionThatIsNoLongerProcessedIsDropped) {
    auto p = Processor();
    auto w = MakeWorker(*p);
    ASSERT_TRUE(w->RunOnce(0));  // the version, with its split jobs left in the queue or taken
    ASSERT_EQ(Version().status, catalog::VersionStatus::kReady);
    while (w->RunOnce(0)) {
    }
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "split"}}), 0) << "nothing analysed twice";
}

TEST_P(SplitsTest, ADeadLetteredSplitJobNeverFailsItsVersion) {
    // A split job that killed its worker every time ends in the dead-letter queue; the version's
    // own job analyses that split itself, so the watcher must not fail the version for it.
    store::DbJobQueue dead(*db_, clock_, store::DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
    catalog::JobMessage split{tenant_, dataset_, 1, "t", "r"};
    split.kind = catalog::kSplitJob;
    split.run = "00ff";
    split.pass = 1;
    split.split = 3;
    split.begin = 10;
    split.end = 20;
    ASSERT_TRUE(dead.Send(split.ToJson(), 0));
    auto p = Processor();
    testing::WatchDeadLetters(*db_, *objects_, dead, *p, metrics_, clock_, [] { return false; }, 1500);
    EXPECT_NE(Version().status, catalog::VersionStatus::kFailed) << Version().error.value_or("");
    // The version's own job in the dead-letter queue does fail it (the watcher works). Queues
    // stay interrupted once their worker stopped: a new one.
    store::DbJobQueue dead2(*db_, clock_, store::DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
    ASSERT_TRUE(dead2.Send(catalog::JobMessage{tenant_, dataset_, 1, "t", "r"}.ToJson(), 0));
    testing::WatchDeadLetters(*db_, *objects_, dead2, *p, metrics_, clock_,
                              [&] { return Version().status == catalog::VersionStatus::kFailed; });
    EXPECT_EQ(Version().status, catalog::VersionStatus::kFailed);
}

TEST(SplitJobMessage, RoundTripsAndOneWithoutItsRangeRunOrFormatIsRefused) {
    catalog::JobMessage m{core::TenantId("org_s"), core::DatasetId("ds_s"), 3, "t", "r"};
    m.kind = catalog::kSplitJob;
    m.run = "0a1b2c3d4e5f6071";
    m.pass = 2;
    m.split = 7;
    m.begin = 1000;
    m.end = 2000;
    m.first_line = 41;
    auto back = catalog::JobMessage::Parse(m.ToJson());
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(back->kind, catalog::kSplitJob);
    EXPECT_EQ(back->run, m.run);
    EXPECT_EQ(back->pass, 2);
    EXPECT_EQ(back->split, 7);
    EXPECT_EQ(back->begin, 1000);
    EXPECT_EQ(back->end, 2000);
    EXPECT_EQ(back->first_line, 41);
    // Each of these is never processed (the worker drops an unreadable message).
    auto broken = [&](auto change) {
        catalog::JobMessage b = m;
        change(b);
        return !catalog::JobMessage::Parse(b.ToJson());
    };
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.run = ""; }));
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.run = "../x"; }));
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.pass = 0; }));
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.split = -1; }));
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.end = b.begin - 1; }));
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.first_line = 0; }));

    // A split cut while its file uploads carries the write in progress, the format and the
    // options; one without a known format is refused.
    m.writing = "AbC-_123";
    m.format = "ndjson";
    m.options = R"({"decimal":"comma"})";
    auto early = catalog::JobMessage::Parse(m.ToJson());
    ASSERT_TRUE(early) << early.error().ToString();
    EXPECT_EQ(early->writing, m.writing);
    EXPECT_EQ(early->format, "ndjson");
    EXPECT_EQ(early->options, m.options);
    EXPECT_TRUE(broken([](catalog::JobMessage& b) { b.format = "xml"; }));

    // A version's job names the run it adopts: a hex id or none.
    catalog::JobMessage v{core::TenantId("org_s"), core::DatasetId("ds_s"), 3, "t", "r"};
    v.run = "0a1b2c3d4e5f6071";
    auto adopted = catalog::JobMessage::Parse(v.ToJson());
    ASSERT_TRUE(adopted) << adopted.error().ToString();
    EXPECT_EQ(adopted->run, v.run);
    v.run = "../x";
    EXPECT_FALSE(catalog::JobMessage::Parse(v.ToJson()));
}

INSTANTIATE_TEST_SUITE_P(Backends, SplitsTest, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::worker
