// The S3/SQS/IAM emulator started by ctest (tests/support/aws_emulator.py, fixture "aws"): its
// endpoint, the test bucket and queues, and one IAM user per role whose requests are checked for
// a valid signature and against that role's policy in deploy/iam/. Tests reach it only through
// our own AWS client, so every test also exercises SigV4 and the error mapping.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aws/client.hpp"
#include "store/objects/s3/s3_object_store.hpp"

namespace insightstream::testing {

struct AwsTestEnv {
    std::string endpoint;  // http://127.0.0.1:PORT
    std::string region;
    std::string bucket;
    std::string prefix;  // the prefix the IAM policies allow, e.g. "is/"
    std::string jobs_queue_url;
    std::string dlq_url;
    std::map<std::string, aws::Credentials> users;  // ingest, worker, analytics, all, admin

    /// The emulator's settings, or nullopt when INSIGHTSTREAM_TEST_AWS_DIR is unset (a plain
    /// `unit_tests` run); when it is set but unreadable the test fails rather than skips.
    static std::optional<AwsTestEnv> Load();

    /// A client of `service` signing as `user`, with short deadlines for tests.
    [[nodiscard]] std::shared_ptr<aws::AwsClient> Client(const std::string& service, const std::string& user,
                                                         const std::string& endpoint_override = "") const;
    /// Environment variables that make the binary use this emulator as `user`.
    [[nodiscard]] std::map<std::string, std::string> ProcessEnv(const std::string& user,
                                                                const std::string& endpoint_override = "") const;
    /// Creates a fresh queue (and its dead-letter queue, redriving after `max_receives`) as admin;
    /// returns {queue URL, dead-letter URL}.
    [[nodiscard]] std::pair<std::string, std::string> CreateQueue(const std::string& name, int max_receives,
                                                                  int visibility_s = 30) const;
    /// A key prefix no other test uses, under the allowed prefix.
    [[nodiscard]] std::string FreshPrefix() const;
    /// Multipart uploads S3 still holds under `store`'s prefix (what an abort must leave empty),
    /// as the admin user sees them (the application's roles may not list uploads).
    [[nodiscard]] size_t PendingMultipartUploads(const store::S3ObjectStore& store) const;
};

/// GTEST_SKIP()s unless the emulator runs; use at the top of S3/SQS tests.
#define IS_REQUIRE_AWS(env)                                                                 \
    auto env##_loaded = ::insightstream::testing::AwsTestEnv::Load();                      \
    if (!env##_loaded) GTEST_SKIP() << "INSIGHTSTREAM_TEST_AWS_DIR is not set: run through ctest"; \
    const ::insightstream::testing::AwsTestEnv& env = *env##_loaded

}  // namespace insightstream::testing
