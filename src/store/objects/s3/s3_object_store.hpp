// The S3 object store (distributed mode), `--objects s3://BUCKET/PREFIX`. Uploads stream as a
// multipart upload: parts of `part_bytes` go out while the next one fills, at most
// `parts_in_flight` at a time, so memory stays (parts_in_flight + 1) × part_bytes for any size;
// SHA-256 and size are computed as bytes pass. Commit completes the upload; a failure, or a writer
// destroyed uncommitted, aborts it — and an abort S3 did not take (S3 unreachable: the very
// failure that ended the upload) is tried again in the background, with back-off, until it is. An object smaller than one part is one PutObject. Reads are
// ranged GETs of one window at a time, the next prefetched, pinned to the object's ETag so a
// replaced object is never read half old, half new. Keys are the validated ObjectKeys under PREFIX.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/client.hpp"
#include "store/objects/object_store.hpp"

namespace insightstream::store {

struct S3Settings {
    std::string bucket;
    std::string prefix;  // "" or ending in '/'
    size_t part_bytes = 8u << 20;
    int parts_in_flight = 2;
    size_t read_window_bytes = 8u << 20;
    int list_page_keys = 1000;  // ListObjectsV2 max-keys (S3's own maximum)
    std::string sse;         // "", "AES256" or "aws:kms"
    std::string kms_key_id;  // with aws:kms; empty: the bucket's default key
};

/// Parses "s3://BUCKET[/PREFIX]" into bucket and prefix.
Result<S3Settings> ParseS3Url(std::string_view url);

class S3ObjectStore final : public ObjectStore {
public:
    static Result<std::unique_ptr<S3ObjectStore>> Create(S3Settings settings, std::shared_ptr<aws::AwsClient> client);

    Result<std::unique_ptr<ObjectWriter>> BeginPut(const ObjectKey& key) override;
    Result<std::unique_ptr<ObjectReader>> Open(const ObjectKey& key, int64_t offset = 0, int64_t length = -1) override;
    Result<void> Delete(const ObjectKey& key) override;
    Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
    /// DeleteObjects in batches of 1000.
    Result<void> DeletePrefix(std::string_view prefix) override;
    Result<void> Ping() override;
    ~S3ObjectStore() override;

    /// AbortMultipartUpload; true when S3 took it (or the upload is gone already).
    bool AbortUpload(const std::string& full_key, const std::string& upload_id);
    /// An abort that failed: tried again in the background (1 s, 2 s, 4 s ... at most a minute
    /// apart, for a day; the bucket's lifecycle rule is the last resort) until S3 takes it.
    void AbortLater(std::string full_key, std::string upload_id);
    /// Aborts still waiting to be tried again.
    [[nodiscard]] size_t PendingAborts() const;

    [[nodiscard]] const S3Settings& settings() const { return settings_; }
    [[nodiscard]] aws::AwsClient& client() const { return *client_; }

    // The pieces the writer and reader share.
    aws::AwsRequest Request(std::string method, std::string_view full_key) const;
    std::string FullKey(const ObjectKey& key) const { return settings_.prefix + key.str(); }
    void AddEncryption(aws::AwsRequest& req) const;
    /// Path-style addressing: with a custom endpoint (emulators) and for bucket names with dots
    /// (which break the TLS wildcard of virtual-hosted names).
    [[nodiscard]] bool PathStyle() const {
        return client_->settings().endpoint.custom || settings_.bucket.find('.') != std::string::npos;
    }

private:
    S3ObjectStore(S3Settings settings, std::shared_ptr<aws::AwsClient> client)
        : settings_(std::move(settings)), client_(std::move(client)) {}
    Result<std::vector<std::string>> ListFullKeys(std::string_view full_prefix, int max_keys, std::vector<ObjectInfo>* out);
    void RetryAborts();

    S3Settings settings_;
    std::shared_ptr<aws::AwsClient> client_;
    struct PendingAbort {
        std::string full_key;
        std::string upload_id;
        int64_t next_ms = 0;
        int64_t delay_ms = 1000;
        int64_t give_up_ms = 0;
    };
    mutable std::mutex aborts_mutex_;
    std::condition_variable aborts_wake_;
    std::vector<PendingAbort> aborts_;
    bool stopping_ = false;
    std::thread aborts_thread_;  // started at the first abort that fails
};

/// Maps an S3 error answer to the service's error: NoSuchKey → NotFound; everything else (access
/// denied, a missing bucket, a bad signature, throttling after retries) → Unavailable naming the
/// object store and S3's code, never S3's body.
core::Error S3Error(const aws::AwsResponse& r, std::string_view what);

}  // namespace insightstream::store
