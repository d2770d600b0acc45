// The IAM policies of deploy/iam/, as the emulator enforces them on signed requests: each role can
// do its job through our S3 and SQS backends and is refused outside it, and a refusal is a clear
// Unavailable naming the dependency and AWS's code (never AWS's body).
#include <gtest/gtest.h>

#include "store/objects/s3/s3_object_store.hpp"
#include "store/queue/sqs/sqs_job_queue.hpp"
#include "support/aws_env.hpp"

namespace insightstream::store {
namespace {

using testing::AwsTestEnv;

ObjectKey Key(const std::string& k) { return *ObjectKey::Parse(k); }

struct Role {
    std::unique_ptr<S3ObjectStore> objects;         // under the allowed prefix
    std::unique_ptr<S3ObjectStore> outside;         // the same bucket, outside the prefix
    std::unique_ptr<SqsJobQueue> jobs;
    std::unique_ptr<SqsJobQueue> dead_letters;
};

Role As(const AwsTestEnv& env, const std::string& user, const std::string& prefix) {
    Role r;
    auto s3 = env.Client("s3", user);
    auto sqs = env.Client("sqs", user);
    auto objects = S3ObjectStore::Create({.bucket = env.bucket, .prefix = prefix}, s3);
    auto outside = S3ObjectStore::Create({.bucket = env.bucket, .prefix = "elsewhere/" + prefix}, s3);
    auto jobs = SqsJobQueue::Open(env.jobs_queue_url, sqs);
    auto dead_letters = SqsJobQueue::Open(env.dlq_url, sqs);
    EXPECT_TRUE(objects && outside && jobs && dead_letters);
    if (objects) r.objects = std::move(*objects);
    if (outside) r.outside = std::move(*outside);
    if (jobs) r.jobs = std::move(*jobs);
    if (dead_letters) r.dead_letters = std::move(*dead_letters);
    return r;
}

void ExpectRefused(const core::Error& e, const std::string& dependency, const std::string& code) {
    EXPECT_EQ(e.code(), core::ErrorCode::kUnavailable) << e.ToString();
    EXPECT_NE(e.detail().find(dependency), std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find(code), std::string::npos) << e.detail();
    EXPECT_EQ(e.detail().find('<'), std::string::npos) << "no XML in what a client sees: " << e.detail();
    EXPECT_TRUE(e.retry_after_s());
}

template <typename R>
void ExpectRefused(const core::Result<R>& r, const std::string& dependency, const std::string& code = "AccessDenied") {
    ASSERT_FALSE(r);
    ExpectRefused(r.error(), dependency, code);
}

TEST(AwsIam, IngestMayWriteDeleteAndSendButNotConsume) {
    IS_REQUIRE_AWS(env);
    std::string prefix = env.FreshPrefix();
    Role ingest = As(env, "ingest", prefix);
    ASSERT_TRUE(ingest.objects->PutBytes(Key("tenants/t/datasets/d/v1/source"), "a,b\n1,2\n"));
    EXPECT_TRUE(ingest.objects->Ping());
    EXPECT_EQ(*ingest.objects->GetBytes(Key("tenants/t/datasets/d/v1/source")), "a,b\n1,2\n");
    ASSERT_TRUE(ingest.objects->DeletePrefix("tenants/t/"));
    ExpectRefused(ingest.outside->PutBytes(Key("x"), "no"), "object store");
    EXPECT_TRUE(ingest.jobs->Send("{}", 0));
    ExpectRefused(ingest.jobs->Receive(1, 30, 0), "job queue");
    ExpectRefused(ingest.dead_letters->Receive(1, 30, 0), "job queue");
}

TEST(AwsIam, WorkerMayReadConsumeAndSendSplitJobsOnlyWithinItsPrefixAndQueue) {
    IS_REQUIRE_AWS(env);
    std::string prefix = env.FreshPrefix();
    Role admin = As(env, "admin", prefix);
    ASSERT_TRUE(admin.objects->PutBytes(Key("source"), "data"));
    ASSERT_TRUE(admin.outside->PutBytes(Key("source"), "theirs"));
    Role worker = As(env, "worker", prefix);
    EXPECT_EQ(*worker.objects->GetBytes(Key("source")), "data");
    EXPECT_TRUE(worker.objects->PutBytes(Key("errors.ndjson"), "{}\n"));  // its quarantine report
    EXPECT_EQ(worker.objects->Open(Key("absent")).error().code(), core::ErrorCode::kNotFound)
        << "a missing object is told apart from a refusal";
    EXPECT_TRUE(worker.objects->Ping());
    // A file in splits: the worker writes and then deletes the splits' partial results beside
    // the upload, and sends split jobs to the jobs queue — nowhere else.
    EXPECT_TRUE(worker.objects->PutBytes(Key("split-ab-p1-0.partial"), "p"));
    EXPECT_TRUE(worker.objects->Delete(Key("split-ab-p1-0.partial")));
    ExpectRefused(worker.outside->GetBytes(Key("source")), "object store");
    ExpectRefused(worker.outside->Delete(Key("source")), "object store");
    // (The grant names the jobs queue alone; the emulator checks SQS actions, not which queue,
    // so that the dead-letter queue is not among them is checked only by reading worker.json.)
    EXPECT_TRUE(worker.jobs->Send("{}", 0));
    EXPECT_TRUE(worker.jobs->Receive(1, 0, 0));
    EXPECT_TRUE(worker.dead_letters->Depth());
    // By name: GetQueueUrl, or the URL from the caller's account where the grant is refused it.
    auto named = SqsJobQueue::Open("sqs://jobs", env.Client("sqs", "worker"));
    ASSERT_TRUE(named) << named.error().ToString();
    EXPECT_EQ((*named)->url(), env.jobs_queue_url);
    EXPECT_TRUE((*named)->Ping());
}

TEST(AwsIam, AnalyticsMayOnlyReadObjectsAndAWrongSecretIsRefused) {
    IS_REQUIRE_AWS(env);
    std::string prefix = env.FreshPrefix();
    Role admin = As(env, "admin", prefix);
    ASSERT_TRUE(admin.objects->PutBytes(Key("snapshot.parquet"), "PAR1"));
    Role analytics = As(env, "analytics", prefix);
    EXPECT_EQ(*analytics.objects->GetBytes(Key("snapshot.parquet")), "PAR1");
    EXPECT_EQ(analytics.objects->Open(Key("absent")).error().code(), core::ErrorCode::kNotFound)
        << "a missing snapshot is told apart from a refusal";
    EXPECT_TRUE(analytics.objects->Ping());
    ExpectRefused(analytics.objects->PutBytes(Key("x"), "no"), "object store");
    ExpectRefused(analytics.objects->Delete(Key("snapshot.parquet")), "object store");
    ExpectRefused(analytics.outside->GetBytes(Key("snapshot.parquet")), "object store");
    ExpectRefused(analytics.jobs->Send("{}", 0), "job queue");
    ExpectRefused(analytics.jobs->Ping(), "job queue");

    AwsTestEnv forged = env;
    forged.users["all"].secret_access_key = "not-the-secret";
    Role wrong = As(forged, "all", prefix);
    ExpectRefused(wrong.objects->PutBytes(Key("x"), "no"), "object store", "SignatureDoesNotMatch");
    ExpectRefused(wrong.jobs->Send("{}", 0), "job queue", "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace insightstream::store
