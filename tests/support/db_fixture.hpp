// A migrated database per test, for every backend: SQLite in a temp file and PostgreSQL in a
// fresh schema of the private test server. Suites instantiate with ::testing::Values("sqlite",
// "postgres") so the same behaviour is checked on both.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "store/db/database.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {

class FakeClock final : public core::Clock {
public:
    explicit FakeClock(int64_t start_ms = 1'800'000'000'000) : now_(start_ms) {}
    [[nodiscard]] int64_t NowMs() const override { return now_.load(); }
    void Advance(int64_t ms) { now_ += ms; }

private:
    std::atomic<int64_t> now_;
};

/// Opens a migrated database of `backend` (nullptr and a test failure if it cannot).
std::unique_ptr<store::Database> OpenTestDatabase(const std::string& backend, const TempDir& dir,
                                                  std::string* url_out = nullptr);

class BackendTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "postgres" && std::getenv("INSIGHTSTREAM_TEST_PG_DIR") == nullptr) {
            GTEST_SKIP() << "INSIGHTSTREAM_TEST_PG_DIR is not set: run through ctest for the PostgreSQL cases";
        }
        db_ = OpenTestDatabase(GetParam(), dir_, &url_);
        if (!db_ && !IsSkipped() && !HasFailure()) FAIL() << "no database";
    }
    TempDir dir_;
    std::string url_;
    std::unique_ptr<store::Database> db_;
};

std::string BackendName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace insightstream::testing
