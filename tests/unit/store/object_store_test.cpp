// The object store's contract, run on every backend: the local directory and S3 (on the
// emulator, signed and IAM-checked, with small parts, windows and pages so that multipart
// uploads, windowed reads and listing continuation are all exercised). Backend-specific checks
// (temp files, multipart leftovers, encryption headers) follow the contract.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "store/objects/s3/s3_object_store.hpp"
#include "support/aws_env.hpp"
#include "support/test_env.hpp"

namespace insightstream::store {
namespace {

namespace fs = std::filesystem;
using testing::AwsTestEnv;

ObjectKey Key(const std::string& k) { return *ObjectKey::Parse(k); }

std::string Pattern(size_t n, int seed) {
    std::string s(n, '\0');
    uint32_t x = 2166136261u ^ static_cast<uint32_t>(seed);
    for (size_t i = 0; i < n; ++i) {
        x = x * 16777619u + 7u;
        s[i] = static_cast<char>(x >> 24);
    }
    return s;
}

class ObjectStoreContract : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "s3") {
            IS_REQUIRE_AWS(env);
            S3Settings s{.bucket = env.bucket,
                         .prefix = env.FreshPrefix(),
                         .part_bytes = 5u << 20,
                         .parts_in_flight = 2,
                         .read_window_bytes = 1u << 20,
                         .list_page_keys = 2};
            auto made = S3ObjectStore::Create(s, env.Client("s3", "all"));
            ASSERT_TRUE(made) << made.error().ToString();
            s3_ = made->get();
            store_ = std::move(*made);
            env_ = env;
            return;
        }
        auto made = DirObjectStore::Create(dir_.path() / "objects");
        ASSERT_TRUE(made);
        store_ = std::move(*made);
    }
    // Uploads begun but neither committed nor aborted (temp files, or S3 multipart uploads).
    size_t Unfinished() {
        if (s3_) return env_->PendingMultipartUploads(*s3_);
        return static_cast<size_t>(std::distance(fs::directory_iterator(dir_.path() / "objects" / ".tmp"),
                                                 fs::directory_iterator()));
    }
    testing::TempDir dir_;
    std::unique_ptr<ObjectStore> store_;
    S3ObjectStore* s3_ = nullptr;
    std::optional<AwsTestEnv> env_;
};

TEST_P(ObjectStoreContract, StreamsAPutInAnyPiecesAndReportsSizeAndSha256) {
    // 12 MiB + a little in uneven pieces: on S3, three parts (the last one short).
    std::string all = Pattern((12u << 20) + 12345, 1);
    auto w = store_->BeginPut(Key("tenants/t/datasets/d/v1/source"));
    ASSERT_TRUE(w);
    for (size_t pos = 0, step = 1; pos < all.size(); pos += step, step = step * 3 % 700001 + 1) {
        size_t n = std::min(step, all.size() - pos);
        ASSERT_TRUE((*w)->Write(all.data() + pos, n));
    }
    auto put = (*w)->Commit();
    ASSERT_TRUE(put) << put.error().ToString();
    EXPECT_EQ(put->size_bytes, static_cast<int64_t>(all.size()));
    EXPECT_EQ(put->sha256_hex, core::Sha256Hex(all));
    auto back = store_->GetBytes(Key("tenants/t/datasets/d/v1/source"));
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_TRUE(*back == all);
    EXPECT_EQ(Unfinished(), 0U);
}

TEST_P(ObjectStoreContract, SmallAndEmptyObjects) {
    ASSERT_TRUE(store_->PutBytes(Key("small"), "tiny"));
    ASSERT_TRUE(store_->PutBytes(Key("empty"), ""));
    EXPECT_EQ(*store_->GetBytes(Key("small")), "tiny");
    EXPECT_EQ(*store_->GetBytes(Key("empty")), "");
    auto r = store_->Open(Key("empty"));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->size(), 0);
    EXPECT_EQ(store_->Open(Key("absent")).error().code(), core::ErrorCode::kNotFound);
    EXPECT_TRUE(store_->Ping());
}

TEST_P(ObjectStoreContract, NothingIsVisibleBeforeCommitAndAnAbortLeavesNothing) {
    {
        auto w = store_->BeginPut(Key("a/b"));
        std::string big = Pattern(11u << 20, 2);  // on S3 two parts are out before the abort
        ASSERT_TRUE((*w)->Write(big.data(), big.size()));
        EXPECT_EQ(store_->Open(Key("a/b")).error().code(), core::ErrorCode::kNotFound);
        EXPECT_EQ(Unfinished(), 1U);
    }  // destroyed without Commit()
    EXPECT_EQ(Unfinished(), 0U);
    EXPECT_TRUE(store_->List("")->empty());
}

TEST_P(ObjectStoreContract, ReadsRangesAcrossWindows) {
    std::string all = Pattern((3u << 20) + 17, 3);
    ASSERT_TRUE(store_->PutBytes(Key("r"), all));
    auto r = store_->Open(Key("r"), 3, 4);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->size(), 4);
    char buf[16];
    auto n = (*r)->Read(buf, sizeof buf);
    EXPECT_EQ(std::string(buf, *n), all.substr(3, 4));
    EXPECT_EQ(*(*r)->Read(buf, sizeof buf), 0U);
    // A range that crosses read windows, read in odd sizes.
    int64_t off = (1 << 20) - 5, len = (2 << 20) + 11;
    auto mid = store_->Open(Key("r"), off, len);
    ASSERT_TRUE(mid);
    std::string got;
    std::vector<char> chunk(70001);
    for (;;) {
        auto k = (*mid)->Read(chunk.data(), chunk.size());
        ASSERT_TRUE(k) << k.error().ToString();
        if (*k == 0) break;
        got.append(chunk.data(), *k);
    }
    EXPECT_TRUE(got == all.substr(static_cast<size_t>(off), static_cast<size_t>(len)));
    auto tail = store_->Open(Key("r"), static_cast<int64_t>(all.size()) - 2);
    EXPECT_EQ(std::string(buf, *(*tail)->Read(buf, sizeof buf)), all.substr(all.size() - 2));
}

TEST_P(ObjectStoreContract, ListsByPrefixAndDeletes) {
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d1/v1/source"), "a"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d1/v2/source"), "bb"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d1/v3/source"), "ccc"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t1/datasets/d2/v1/source"), "c"));
    ASSERT_TRUE(store_->PutBytes(Key("tenants/t2/datasets/d1/v1/source"), "d"));
    auto d1 = store_->List("tenants/t1/datasets/d1/");
    ASSERT_TRUE(d1);
    ASSERT_EQ(d1->size(), 3U);  // on S3, two pages
    int64_t total = 0;
    for (const auto& o : *d1) total += o.size_bytes;
    EXPECT_EQ(total, 6);
    EXPECT_TRUE(ObjectKey::Parse((*d1)[0].key));
    EXPECT_EQ(store_->List("tenants/t1/")->size(), 4U);
    EXPECT_EQ(store_->List("")->size(), 5U);
    ASSERT_TRUE(store_->DeletePrefix("tenants/t1/datasets/d1/"));
    EXPECT_TRUE(store_->List("tenants/t1/datasets/d1/")->empty());
    EXPECT_EQ(store_->List("")->size(), 2U);
    ASSERT_TRUE(store_->Delete(Key("tenants/t2/datasets/d1/v1/source")));
    EXPECT_EQ(store_->Open(Key("tenants/t2/datasets/d1/v1/source")).error().code(), core::ErrorCode::kNotFound);
    EXPECT_TRUE(store_->Delete(Key("never/was")));
}

TEST_P(ObjectStoreContract, AReplacedObjectIsReadWholeOldOrWholeNew) {
    ASSERT_TRUE(store_->PutBytes(Key("k"), "first"));
    ASSERT_TRUE(store_->PutBytes(Key("k"), "second!"));
    EXPECT_EQ(*store_->GetBytes(Key("k")), "second!");
}

TEST_P(ObjectStoreContract, AReaderOpenedBeforeAReplacementNeverMixesOldAndNew) {
    std::string old_bytes = Pattern((3u << 20) + 1, 4), new_bytes = Pattern((3u << 20) + 1, 5);
    ASSERT_TRUE(store_->PutBytes(Key("v"), old_bytes));
    auto r = store_->Open(Key("v"));
    ASSERT_TRUE(r);
    std::vector<char> chunk(1 << 16);
    std::string got;
    auto first = (*r)->Read(chunk.data(), chunk.size());
    ASSERT_TRUE(first);
    got.append(chunk.data(), *first);
    ASSERT_TRUE(store_->PutBytes(Key("v"), new_bytes));
    bool failed = false;
    for (;;) {
        auto k = (*r)->Read(chunk.data(), chunk.size());
        if (!k) {
            // S3: the next window no longer matches the ETag read at open; the error stays.
            EXPECT_EQ(k.error().code(), core::ErrorCode::kConflict) << k.error().ToString();
            EXPECT_FALSE((*r)->Read(chunk.data(), chunk.size()));
            failed = true;
            break;
        }
        if (*k == 0) break;
        got.append(chunk.data(), *k);
    }
    if (!failed) EXPECT_TRUE(got == old_bytes) << "the directory store keeps reading the file it opened";
    EXPECT_TRUE(*store_->GetBytes(Key("v")) == new_bytes);
}

INSTANTIATE_TEST_SUITE_P(Backends, ObjectStoreContract, ::testing::Values("dir", "s3"),
                         [](const auto& info) { return info.param; });

TEST(ObjectKeys, CannotEscapeTheirRoot) {
    for (const char* bad : {"../etc/passwd", "a/../../b", "/abs", "a//b", "a/./b", "a/b/", "", "a\\b", "a b",
                            "tenants/t/\0x"}) {
        EXPECT_FALSE(ObjectKey::Parse(bad)) << bad;
    }
    auto k = ObjectKey::ForDatasetVersion(core::TenantId("../x"), core::DatasetId("d"), 1, "source");
    EXPECT_EQ(k.str().find(".."), std::string::npos);
}

TEST(DirObjects, ListingCannotLeaveTheRoot) {
    testing::TempDir dir;
    auto store = DirObjectStore::Create(dir.path() / "objects");
    ASSERT_TRUE(store);
    EXPECT_FALSE((*store)->List("../"));
}

TEST(DirObjects, LeftoverTempFilesAreSweptAtStart) {
    testing::TempDir dir;
    auto store = DirObjectStore::Create(dir.path() / "objects");
    auto temp_files = [&] {
        return std::distance(fs::directory_iterator(dir.path() / "objects" / ".tmp"), fs::directory_iterator());
    };
    auto w = (*store)->BeginPut(Key("x"));
    ASSERT_TRUE((*w)->Write("abc", 3));
    EXPECT_EQ(temp_files(), 1);
    // A crash: the writer is never destroyed. A new store on the same root removes the leftovers.
    auto leaked = std::move(*w).release();
    auto again = DirObjectStore::Create(dir.path() / "objects");
    ASSERT_TRUE(again);
    EXPECT_EQ(temp_files(), 0);
    EXPECT_EQ(leaked->Commit().error().code(), core::ErrorCode::kUnavailable);  // its temp file is gone
    delete leaked;  // NOLINT(cppcoreguidelines-owning-memory): the simulated crash above released it
}

TEST(DirObjects, AWriteInProgressIsReadOnlyWhereWrittenThenAsTheCommittedObject) {
    // What a split job cut while its file uploads reads (worker/upload_splits.hpp).
    testing::TempDir dir;
    auto store = DirObjectStore::Create(dir.path() / "objects");
    ASSERT_TRUE(store);
    auto read = [](std::unique_ptr<ObjectReader> r) {
        std::string out(64, '\0');
        size_t n = *r->Read(out.data(), out.size());
        out.resize(n);
        return out;
    };
    auto w = (*store)->BeginPut(Key("t/source"));
    ASSERT_TRUE(w);
    const std::string writing = (*w)->ReadableAs();
    ASSERT_FALSE(writing.empty());
    ASSERT_TRUE((*w)->Write("hello world", 11));
    auto part = (*store)->OpenWriting(Key("t/source"), writing, 6, 5);
    ASSERT_TRUE(part) << part.error().ToString();
    EXPECT_EQ(read(std::move(*part)), "world");
    // Bytes not written yet are refused (to be asked again), never read as the file's end.
    auto ahead = (*store)->OpenWriting(Key("t/source"), writing, 6, 10);
    ASSERT_FALSE(ahead);
    EXPECT_EQ(ahead.error().slug(), "split-not-written");
    // A name from a message is a temp file's name, never a path.
    for (const std::string& bad : std::vector<std::string>{"../t/source", "a/b", "", std::string(65, 'a')}) {
        EXPECT_EQ((*store)->OpenWriting(Key("t/source"), bad, 0, 1).error().code(), core::ErrorCode::kInvalidArgument) << bad;
    }
    ASSERT_TRUE((*w)->Write("!", 1));
    ASSERT_TRUE((*w)->Commit());
    // Committed (renamed to its key): the same name reads the object.
    auto whole = (*store)->OpenWriting(Key("t/source"), writing, 0, 12);
    ASSERT_TRUE(whole) << whole.error().ToString();
    EXPECT_EQ(read(std::move(*whole)), "hello world!");
    // Abandoned and never committed: not found.
    EXPECT_EQ((*store)->OpenWriting(Key("t/other"), "nosuchwrite", 0, 1).error().code(), core::ErrorCode::kNotFound);
}

TEST(S3Objects, ParsesLocations) {
    auto a = ParseS3Url("s3://my-bucket/data/uploads");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->bucket, "my-bucket");
    EXPECT_EQ(a->prefix, "data/uploads/");
    EXPECT_EQ(ParseS3Url("s3://my-bucket")->prefix, "");
    for (const char* bad : {"s3://", "s3://ab", "s3://Upper", "s3://b_b/x", "file:/x", "s3://bucket/../x", "s3://bucket/a b"}) {
        EXPECT_FALSE(ParseS3Url(bad)) << bad;
    }
}

TEST(S3Objects, EncryptsWhenAsked) {
    IS_REQUIRE_AWS(env);
    S3Settings s{.bucket = env.bucket, .prefix = env.FreshPrefix(), .sse = "AES256"};
    auto store = S3ObjectStore::Create(s, env.Client("s3", "all"));
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->PutBytes(Key("secret"), "data"));
    auto head = (*store)->client().Send((*store)->Request("HEAD", s.prefix + "secret"));
    ASSERT_TRUE(head && head->ok());
    const std::string* sse = head->Header("x-amz-server-side-encryption");
    ASSERT_NE(sse, nullptr);
    EXPECT_EQ(*sse, "AES256");
    S3Settings bad = s;
    bad.sse = "rot13";
    EXPECT_FALSE(S3ObjectStore::Create(bad, env.Client("s3", "all")));
    bad = s;
    bad.part_bytes = 1u << 20;
    EXPECT_FALSE(S3ObjectStore::Create(bad, env.Client("s3", "all")));
}

}  // namespace
}  // namespace insightstream::store
