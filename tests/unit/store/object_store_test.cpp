#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "support/test_env.hpp"

namespace insightstream::store {
namespace {

namespace fs = std::filesystem;

class DirObjects : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = DirObjectStore::Create(dir_.path() / "objects");
        ASSERT_TRUE(s);
        store_ = std::move(*s);
    }
    ObjectKey Key(const std::string& k) { return *ObjectKey::Parse(k); }
    size_t TempFiles() {
        return static_cast<size_t>(std::distance(fs::directory_iterator(dir_.path() / "objects" / ".tmp"),
                                                 fs::directory_iterator()));
    }
    testing::TempDir dir_;
    std::unique_ptr<DirObjectStore> store_;
};

TEST_F(DirObjects, StreamsAPutAndReportsSizeAndSha256) {
    auto w = store_->BeginPut(Key("tenants/t/datasets/d/v1/source"));
    ASSERT_TRUE(w);
    std::string all;
    for (int i = 0; i < 100; ++i) {
        std::string piece(1000 + i, static_cast<char>('a' + i % 26));
        ASSERT_TRUE((*w)->Write(piece.data(), piece.size()));
        all += piece;
    }
    auto put = (*w)->Commit();
    ASSERT_TRUE(put);
    EXPECT_EQ(put->size_bytes, static_cast<int64_t>(all.size()));
    EXPECT_EQ(put->sha256_hex, core::Sha256Hex(all));
    EXPECT_EQ(*store_->GetBytes(Key("tenants/t/datasets/d/v1/source")), all);
    EXPECT_EQ(TempFiles(), 0U);
}

TEST_F(DirObjects, NothingIsVisibleBeforeCommitAndAnAbortLeavesNothing) {
    {
        auto w = store_->BeginPut(Key("a/b"));
        ASSERT_TRUE((*w)->Write("partial", 7));
        EXPECT_EQ(store_->Open(Key("a/b")).error().code(), core::ErrorCode::kNotFound);
        EXPECT_EQ(TempFiles(), 1U);
    }  // destroyed without Commit()
    EXPECT_EQ(TempFiles(), 0U);
    EXPECT_TRUE(store_->List("")->empty());
}

TEST_F(DirObjects, ReadsRanges) {
    ASSERT_TRUE(store_->PutBytes(Key("r"), "0123456789"));
    auto r = store_->Open(Key("r"), 3, 4);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->size(), 4);
    char buf[16];
    auto n = (*r)->Read(buf, sizeof buf);
    EXPECT_EQ(std::string(buf, *n), "3456");
    EXPECT_EQ(*(*r)->Read(buf, sizeof buf), 0U);
    auto tail = store_->Open(Key("r"), 8);
    EXPECT_EQ(std::string(buf, *(*tail)->Read(buf, sizeof buf)), "89");
    EXPECT_FALSE(store_->Open(Key("r"), 11));
}

TEST_F(DirObjects, ListsByPrefixAndDeletes) {
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d1/v1/source"), "a"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d1/v2/source"), "bb"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d2/v1/source"), "c"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t2/datasets/d1/v1/source"), "d"));
    EXPECT_EQ(store_->List("tenants/t1/datasets/d1/")->size(), 2U);
    EXPECT_EQ(store_->List("tenants/t1/")->size(), 3U);
    EXPECT_EQ(store_->List("")->size(), 4U);
    ASSERT_TRUE(store_->DeletePrefix("tenants/t1/datasets/d1/"));
    EXPECT_TRUE(store_->List("tenants/t1/datasets/d1/")->empty());
    EXPECT_FALSE(fs::exists(dir_.path() / "objects/tenants/t1/datasets/d1"));
    EXPECT_EQ(store_->List("")->size(), 2U);
    EXPECT_TRUE(store_->Delete(Key("never/was")));
}

TEST_F(DirObjects, KeysCannotEscapeTheRoot) {
    for (const char* bad : {"../etc/passwd", "a/../../b", "/abs", "a//b", "a/./b", "a/b/", "", "a\\b", "a b",
                            "tenants/t/\0x"}) {
        EXPECT_FALSE(ObjectKey::Parse(bad)) << bad;
    }
    EXPECT_FALSE(store_->List("../"));
    auto k = ObjectKey::ForDatasetVersion(core::TenantId("../x"), core::DatasetId("d"), 1, "source");
    EXPECT_EQ(k.str().find(".."), std::string::npos);
}

TEST_F(DirObjects, LeftoverTempFilesAreSweptAtStart) {
    auto w = store_->BeginPut(Key("x"));
    ASSERT_TRUE((*w)->Write("abc", 3));
    EXPECT_EQ(TempFiles(), 1U);
    // A crash: the writer is never destroyed. A new store on the same root removes the leftovers.
    auto leaked = std::move(*w).release();
    auto again = DirObjectStore::Create(dir_.path() / "objects");
    ASSERT_TRUE(again);
    EXPECT_EQ(TempFiles(), 0U);
    EXPECT_EQ(leaked->Commit().error().code(), core::ErrorCode::kUnavailable);  // its temp file is gone
    delete leaked;  // NOLINT(cppcoreguidelines-owning-memory): the simulated crash above released it
}

}  // namespace
}  // namespace insightstream::store
