#include "store/objects/s3/s3_object_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <optional>

#include "aws/xml.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/memory.hpp"

namespace insightstream::store {

using core::Error;

namespace {

std::string Md5Base64(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
    return core::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

bool IsNotFound(const aws::AwsResponse& r) {
    return r.status == 404 && (r.error_code == "NoSuchKey" || r.error_code == "NotFound");
}

}  // namespace

core::Error S3Error(const aws::AwsResponse& r, std::string_view what) {
    if (IsNotFound(r)) return Error::NotFound("the object does not exist");
    return aws::DependencyError("the object store", "S3", what, r, r.status == 403 ? 30 : 1);
}

Result<S3Settings> ParseS3Url(std::string_view url) {
    if (!url.starts_with("s3://")) return Error::InvalidArgument("an S3 location is s3://BUCKET/PREFIX");
    std::string_view rest = url.substr(5);
    S3Settings s;
    auto slash = rest.find('/');
    s.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) s.prefix = std::string(rest.substr(slash + 1));
    bool bucket_ok = s.bucket.size() >= 3 && s.bucket.size() <= 63;
    for (char c : s.bucket) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) bucket_ok = false;
    }
    if (!bucket_ok) return Error::InvalidArgument("an S3 bucket name is 3-63 characters of a-z, 0-9, '-' and '.'");
    while (s.prefix.starts_with("/")) s.prefix.erase(0, 1);
    if (!s.prefix.empty() && !s.prefix.ends_with("/")) s.prefix += "/";
    if (!s.prefix.empty()) {
        auto checked = ObjectKey::Parse(std::string_view(s.prefix).substr(0, s.prefix.size() - 1));
        if (!checked) return Error::InvalidArgument("an S3 prefix is '/'-separated segments of A-Z a-z 0-9 . _ -");
    }
    return s;
}

aws::AwsRequest S3ObjectStore::Request(std::string method, std::string_view full_key) const {
    aws::AwsRequest r;
    r.method = std::move(method);
    std::string encoded = aws::UriEncode(full_key, true);
    if (PathStyle()) {
        r.path = "/" + settings_.bucket + "/" + encoded;
    } else {
        r.host = settings_.bucket + "." + client_->settings().endpoint.host;
        r.path = "/" + encoded;
    }
    return r;
}

void S3ObjectStore::AddEncryption(aws::AwsRequest& req) const {
    if (settings_.sse.empty()) return;
    req.headers.emplace_back("x-amz-server-side-encryption", settings_.sse);
    if (settings_.sse == "aws:kms" && !settings_.kms_key_id.empty()) {
        req.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", settings_.kms_key_id);
    }
}

S3ObjectStore::~S3ObjectStore() {
    {
        std::scoped_lock lock(aborts_mutex_);
        stopping_ = true;
    }
    aborts_wake_.notify_all();
    if (aborts_thread_.joinable()) aborts_thread_.join();
}

bool S3ObjectStore::AbortUpload(const std::string& full_key, const std::string& upload_id) {
    auto req = Request("DELETE", full_key);
    req.query = {{"uploadId", upload_id}};
    auto r = client_->Send(req);
    return r && (r->ok() || r->status == 404);
}

void S3ObjectStore::AbortLater(std::string full_key, std::string upload_id) {
    int64_t now = core::MonotonicMs();
    std::scoped_lock lock(aborts_mutex_);
    aborts_.push_back(PendingAbort{std::move(full_key), std::move(upload_id), now + 1000, 1000, now + 24 * 3600 * 1000});
    if (!aborts_thread_.joinable()) aborts_thread_ = std::thread([this] { RetryAborts(); });
    aborts_wake_.notify_all();
}

size_t S3ObjectStore::PendingAborts() const {
    std::scoped_lock lock(aborts_mutex_);
    return aborts_.size();
}

void S3ObjectStore::RetryAborts() {
    std::unique_lock lock(aborts_mutex_);
    while (!stopping_) {
        int64_t now = core::MonotonicMs();
        int64_t next = now + 60'000;
        for (size_t i = 0; i < aborts_.size();) {
            PendingAbort& a = aborts_[i];
            if (a.next_ms > now) {
                next = std::min(next, a.next_ms);
                ++i;
                continue;
            }
            PendingAbort tried = a;
            lock.unlock();
            bool done = AbortUpload(tried.full_key, tried.upload_id);
            lock.lock();
            if (stopping_) return;  // shutting down: what is left is the lifecycle rule's
            now = core::MonotonicMs();
            PendingAbort& again = aborts_[i];  // only this thread removes entries
            if (done || now >= again.give_up_ms) {
                core::Log(done ? core::LogLevel::kInfo : core::LogLevel::kError, "s3.multipart_aborted",
                          done ? "an unfinished upload was aborted on a later try"
                               : "gave up aborting an unfinished upload; the bucket's lifecycle rule removes it",
                          {{"key", again.full_key}});
                aborts_.erase(aborts_.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            again.delay_ms = std::min<int64_t>(again.delay_ms * 2, 60'000);
            again.next_ms = now + again.delay_ms;
            next = std::min(next, again.next_ms);
            ++i;
        }
        aborts_wake_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, next - core::MonotonicMs())));
    }
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Settings settings,
                                                             std::shared_ptr<aws::AwsClient> client) {
    if (settings.part_bytes < (5u << 20)) return Error::InvalidArgument("S3 parts must be at least 5 MiB");
    if (settings.part_bytes > (5ull << 30)) return Error::InvalidArgument("S3 parts must be at most 5 GiB");
    if (settings.list_page_keys < 1 || settings.read_window_bytes < 1) {
        return Error::InvalidArgument("S3 list pages and read windows must not be empty");
    }
    if (settings.parts_in_flight < 1) return Error::InvalidArgument("at least one S3 part must be in flight");
    if (!settings.sse.empty() && settings.sse != "AES256" && settings.sse != "aws:kms") {
        return Error::InvalidArgument("S3 server-side encryption is AES256 or aws:kms");
    }
    return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(settings), std::move(client)));
}

// ---- writing ---------------------------------------------------------------------------------

namespace {

class S3Writer final : public ObjectWriter {
public:
    S3Writer(S3ObjectStore& store, std::string full_key) : store_(store), key_(std::move(full_key)) {}
    ~S3Writer() override {
        if (!committed_) Abort("the upload was not committed");
    }

    Result<void> Write(const char* data, size_t n) override {
        if (failed_) return Error(core::ErrorCode::kUnavailable, "the object store is unavailable; retry later");
        sha_.Update(data, n);
        size_ += static_cast<int64_t>(n);
        while (n > 0) {
            if (buf_.capacity() == 0) buf_ = TakeBuffer();
            size_t take = buf_.Append(data, n);
            data += take;
            n -= take;
            if (buf_.full()) {
                if (auto r = SendPart(); !r) return Fail(std::move(r).error());
            }
        }
        return {};
    }

    Result<PutResult> Commit() override {
        if (failed_) return Error(core::ErrorCode::kUnavailable, "the object store is unavailable; retry later");
        if (upload_id_.empty()) {
            // Smaller than one part: a single PutObject.
            auto req = store_.Request("PUT", key_);
            req.headers.emplace_back("content-type", "application/octet-stream");
            store_.AddEncryption(req);
            req.body = buf_.view();
            IS_TRY(auto r, store_.client().Send(req));
            if (!r.ok()) return Fail(S3Error(r, "PutObject"));
        } else {
            if (buf_.size() > 0) {
                if (auto r = SendPart(); !r) return Fail(std::move(r).error());
            }
            while (!inflight_.empty()) {
                if (auto r = WaitOldest(); !r) return Fail(std::move(r).error());
            }
            std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
            for (const auto& [no, etag] : etags_) {
                xml += "<Part><PartNumber>" + std::to_string(no) + "</PartNumber><ETag>" + aws::XmlEscape(etag) +
                       "</ETag></Part>";
            }
            xml += "</CompleteMultipartUpload>";
            auto req = store_.Request("POST", key_);
            req.query = {{"uploadId", upload_id_}};
            req.headers.emplace_back("content-type", "application/xml");
            req.body = xml;
            req.extra_timeout_ms = 5 * 60 * 1000;  // S3 may take minutes to assemble a large object
            auto sent = store_.client().Send(req);
            if (!sent) return Fail(std::move(sent).error());
            auto& r = *sent;
            if (!r.ok() && r.error_code == "NoSuchUpload" && HasWholeObject()) {
                // A retry of a Complete whose first answer was lost: the object is there.
                return Done();
            }
            if (!r.ok()) return Fail(S3Error(r, "CompleteMultipartUpload"));
            // S3 may answer 200 and still fail: the error is then in the body.
            auto doc = aws::ParseXml(r.body);
            if (!doc) return Fail(Error::Unavailable("S3 CompleteMultipartUpload: " + doc.error().internal()));
            if ((*doc)->name == "Error") {
                r.status = 500;
                r.error_code = (*doc)->ChildText("Code");
                r.error_message = (*doc)->ChildText("Message");
                return Fail(S3Error(r, "CompleteMultipartUpload"));
            }
        }
        return Done();
    }

private:
    PutResult Done() {
        committed_ = true;
        return PutResult{size_, core::HexEncode(sha_.Final())};
    }

    // Whether the object now stored under the key has this upload's size.
    bool HasWholeObject() {
        auto head = store_.client().Send(store_.Request("HEAD", key_));
        const std::string* len = head && head->ok() ? head->Header("content-length") : nullptr;
        return len && *len == std::to_string(size_);
    }

    Result<void> Start() {
        auto req = store_.Request("POST", key_);
        req.query = {{"uploads", ""}};
        req.headers.emplace_back("content-type", "application/octet-stream");
        store_.AddEncryption(req);
        IS_TRY(auto r, store_.client().Send(req));
        if (!r.ok()) return S3Error(r, "CreateMultipartUpload");
        auto doc = aws::ParseXml(r.body);
        if (!doc) return Error::Unavailable("S3 CreateMultipartUpload: " + doc.error().internal());
        upload_id_ = (*doc)->ChildText("UploadId");
        if (upload_id_.empty()) return Error::Unavailable("S3 CreateMultipartUpload answered without an UploadId");
        return {};
    }

    // Hands the full buffer to a part upload, first waiting while too many are in flight. The
    // part buffers (parts_in_flight + 1 of them) are reused for the whole upload, so memory stays
    // flat and the allocator is not asked for a fresh 8 MiB per part.
    Result<void> SendPart() {
        if (next_part_ > 10000) {
            return Error::PayloadTooLarge("an object in S3 is at most 5 TiB").WithSlug("payload-too-large");
        }
        if (upload_id_.empty()) IS_TRY_VOID(Start());
        while (static_cast<int>(inflight_.size()) >= store_.settings().parts_in_flight) IS_TRY_VOID(WaitOldest());
        int no = next_part_++;
        auto part = std::make_unique<core::PageBuffer>(std::move(buf_));
        const core::PageBuffer* body = part.get();
        auto task = [&store = store_, key = key_, id = upload_id_, no, body]() -> Result<std::string> {
            auto req = store.Request("PUT", key);
            req.query = {{"partNumber", std::to_string(no)}, {"uploadId", id}};
            req.headers.emplace_back("content-type", "application/octet-stream");
            req.body = body->view();
            IS_TRY(auto r, store.client().Send(req));
            if (!r.ok()) return S3Error(r, "UploadPart");
            const std::string* etag = r.Header("etag");
            if (!etag) return Error::Unavailable("S3 UploadPart answered without an ETag");
            return *etag;
        };
        inflight_.push_back({no, std::move(part), std::async(std::launch::async, std::move(task))});
        return {};
    }

    // S3 takes at most 10 000 parts: the part size doubles every 1 000 parts, so an upload has no
    // size limit short of S3's own 5 TiB (with 8 MiB parts: 8 GB in 8 MiB parts, the next 16 GB
    // in 16 MiB parts, ...), and memory stays flat up to 8 GB and grows in steps beyond.
    size_t PartBytesFor(int part) const {
        size_t bytes = store_.settings().part_bytes << std::min(20, (part - 1) / 1000);
        return std::min<size_t>(bytes, 5ull << 30);
    }

    core::PageBuffer TakeBuffer() {
        size_t want = PartBytesFor(next_part_);
        while (!spare_.empty() && spare_.back().capacity() < want) spare_.pop_back();
        if (spare_.empty()) return core::PageBuffer(want);
        core::PageBuffer b = std::move(spare_.back());
        spare_.pop_back();
        b.Clear();
        return b;
    }

    Result<void> WaitOldest() {
        InFlight oldest = std::move(inflight_.front());
        inflight_.pop_front();
        auto etag = oldest.etag.get();
        spare_.push_back(std::move(*oldest.body));
        if (!etag) return std::move(etag).error();
        etags_.emplace_back(oldest.part, std::move(*etag));
        return {};
    }

    Error Fail(Error e) {
        Abort(e.internal().empty() ? e.detail() : e.internal());
        return e;
    }

    void Abort(const std::string& why) {
        if (failed_ && upload_id_.empty()) return;
        failed_ = true;
        for (auto& f : inflight_) (void)f.etag.get();
        inflight_.clear();
        if (upload_id_.empty()) return;
        bool aborted = store_.AbortUpload(key_, upload_id_);
        core::Log(aborted ? core::LogLevel::kInfo : core::LogLevel::kWarn, "s3.multipart_aborted",
                  aborted ? "an unfinished upload was aborted" : "aborting an unfinished upload failed; tried again later",
                  {{"key", key_}, {"reason", why}});
        if (!aborted) store_.AbortLater(key_, upload_id_);
        upload_id_.clear();
    }

    S3ObjectStore& store_;
    std::string key_;
    core::PageBuffer buf_;  // mapped when the first byte comes
    core::Sha256 sha_;
    int64_t size_ = 0;
    std::string upload_id_;
    int next_part_ = 1;
    struct InFlight {
        int part;
        std::unique_ptr<core::PageBuffer> body;  // owned here, read by the task until it finishes
        std::future<Result<std::string>> etag;
    };
    std::deque<InFlight> inflight_;
    std::vector<core::PageBuffer> spare_;
    std::vector<std::pair<int, std::string>> etags_;
    bool committed_ = false;
    bool failed_ = false;
};

}  // namespace

Result<std::unique_ptr<ObjectWriter>> S3ObjectStore::BeginPut(const ObjectKey& key) {
    return std::unique_ptr<ObjectWriter>(std::make_unique<S3Writer>(*this, FullKey(key)));
}

// ---- reading ---------------------------------------------------------------------------------

namespace {

class S3Reader final : public ObjectReader {
public:
    S3Reader(S3ObjectStore& store, std::string key, std::string etag, int64_t offset, int64_t length)
        : store_(store), key_(std::move(key)), etag_(std::move(etag)), next_(offset), end_(offset + length),
          length_(length) {
        Prefetch();
    }
    ~S3Reader() override {
        if (pending_.valid()) pending_.wait();
    }

    Result<size_t> Read(char* buf, size_t n) override {
        if (failed_) return *failed_;  // an error stays an error; it never turns into the end
        while (pos_ == windows_[current_].size()) {
            if (!pending_.valid()) return size_t{0};
            if (auto got = pending_.get(); !got) {
                failed_ = got.error();
                return *failed_;
            }
            current_ ^= 1;  // the prefetched window becomes the current one
            pos_ = 0;
            Prefetch();
        }
        const core::PageBuffer& w = windows_[current_];
        size_t take = std::min(n, w.size() - pos_);
        std::memcpy(buf, w.data() + pos_, take);
        pos_ += take;
        return take;
    }
    [[nodiscard]] int64_t size() const override { return length_; }

private:
    // Fetches the next window into the buffer not being read; two buffers serve the whole read.
    void Prefetch() {
        if (next_ >= end_) return;
        int64_t first = next_;
        int64_t last = std::min(end_, first + static_cast<int64_t>(store_.settings().read_window_bytes)) - 1;
        next_ = last + 1;
        core::PageBuffer* into = &windows_[current_ ^ 1];
        if (into->capacity() == 0) {
            *into = core::PageBuffer(std::min<size_t>(store_.settings().read_window_bytes, static_cast<size_t>(end_ - first)));
        }
        pending_ = std::async(std::launch::async, [this, first, last, into]() -> Result<void> {
            auto req = store_.Request("GET", key_);
            req.headers.emplace_back("range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
            if (!etag_.empty()) req.headers.emplace_back("if-match", etag_);
            req.body_into = into;
            IS_TRY(auto r, store_.client().Send(req));
            if (r.status == 412) {
                return Error(core::ErrorCode::kConflict, "the object changed while it was being read")
                    .WithInternal("S3 GetObject: ETag no longer " + etag_);
            }
            if (!r.ok()) return S3Error(r, "GetObject");
            if (into->size() != static_cast<size_t>(last - first + 1)) {
                return Error::Unavailable("S3 GetObject returned " + std::to_string(into->size()) + " bytes for a " +
                                          std::to_string(last - first + 1) + "-byte range");
            }
            return {};
        });
    }

    S3ObjectStore& store_;
    std::string key_;
    std::string etag_;
    int64_t next_;
    int64_t end_;
    int64_t length_;
    core::PageBuffer windows_[2];  // mapped on first use, at most one window each
    int current_ = 0;
    size_t pos_ = 0;
    std::future<Result<void>> pending_;
    std::optional<Error> failed_;
};

}  // namespace

Result<std::unique_ptr<ObjectReader>> S3ObjectStore::Open(const ObjectKey& key, int64_t offset, int64_t length) {
    std::string full = FullKey(key);
    IS_TRY(auto head, client_->Send(Request("HEAD", full)));
    if (!head.ok()) return S3Error(head, "HeadObject");
    const std::string* len = head.Header("content-length");
    if (!len) return Error::Unavailable("S3 HeadObject answered without a Content-Length");
    int64_t size = std::stoll(*len);
    const std::string* etag = head.Header("etag");
    offset = std::clamp<int64_t>(offset, 0, size);
    int64_t available = size - offset;
    int64_t n = length < 0 ? available : std::min(length, available);
    return std::unique_ptr<ObjectReader>(std::make_unique<S3Reader>(*this, full, etag ? *etag : "", offset, n));
}

// ---- the rest --------------------------------------------------------------------------------

Result<void> S3ObjectStore::Delete(const ObjectKey& key) {
    IS_TRY(auto r, client_->Send(Request("DELETE", FullKey(key))));
    if (!r.ok() && !IsNotFound(r)) return S3Error(r, "DeleteObject");
    return {};
}

Result<std::vector<std::string>> S3ObjectStore::ListFullKeys(std::string_view full_prefix, int max_keys,
                                                             std::vector<ObjectInfo>* out) {
    std::vector<std::string> keys;
    std::string token;
    for (;;) {
        aws::AwsRequest req = Request("GET", "");
        if (PathStyle()) req.path = "/" + settings_.bucket;
        req.query = {{"list-type", "2"},
                     {"prefix", std::string(full_prefix)},
                     {"max-keys", std::to_string(max_keys > 0 ? max_keys : settings_.list_page_keys)}};
        if (!token.empty()) req.query.emplace_back("continuation-token", token);
        IS_TRY(auto r, client_->Send(req));
        if (!r.ok()) return S3Error(r, "ListObjectsV2");
        auto doc = aws::ParseXml(r.body);
        if (!doc) return Error::Unavailable("S3 ListObjectsV2: " + doc.error().internal());
        for (const aws::XmlNode* c : (*doc)->Children("Contents")) {
            std::string k = c->ChildText("Key");
            if (out) {
                std::string size = c->ChildText("Size");
                out->push_back({k.substr(settings_.prefix.size()), size.empty() ? 0 : std::stoll(size)});
            }
            keys.push_back(std::move(k));
        }
        if ((*doc)->ChildText("IsTruncated") != "true" || max_keys > 0) break;
        token = (*doc)->ChildText("NextContinuationToken");
        if (token.empty()) return Error::Unavailable("S3 ListObjectsV2 was truncated without a continuation token");
    }
    return keys;
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view prefix) {
    std::vector<ObjectInfo> out;
    IS_TRY_VOID(ListFullKeys(settings_.prefix + std::string(prefix), 0, &out));
    return out;
}

Result<void> S3ObjectStore::DeletePrefix(std::string_view prefix) {
    IS_TRY(auto keys, ListFullKeys(settings_.prefix + std::string(prefix), 0, nullptr));
    for (size_t start = 0; start < keys.size(); start += 1000) {
        std::string xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
        for (size_t i = start; i < std::min(keys.size(), start + 1000); ++i) {
            xml += "<Object><Key>" + aws::XmlEscape(keys[i]) + "</Key></Object>";
        }
        xml += "</Delete>";
        aws::AwsRequest req = Request("POST", "");
        if (PathStyle()) req.path = "/" + settings_.bucket;
        req.query = {{"delete", ""}};
        req.headers.emplace_back("content-type", "application/xml");
        req.headers.emplace_back("content-md5", Md5Base64(xml));
        req.body = xml;
        IS_TRY(auto r, client_->Send(req));
        if (!r.ok()) return S3Error(r, "DeleteObjects");
        auto doc = aws::ParseXml(r.body);
        if (!doc) return Error::Unavailable("S3 DeleteObjects: " + doc.error().internal());
        // Keys the batch could not delete are tried once more one by one (a policy evaluated per
        // key may still allow DeleteObject); one that still fails is the answer.
        for (const aws::XmlNode* err : (*doc)->Children("Error")) {
            std::string key = err->ChildText("Key");
            auto single = client_->Send(Request("DELETE", key));
            if (single && (single->ok() || IsNotFound(*single))) continue;
            aws::AwsResponse failed;
            failed.status = 500;
            failed.error_code = err->ChildText("Code");
            failed.error_message = key + ": " + err->ChildText("Message");
            return single ? S3Error(*single, "DeleteObject") : S3Error(failed, "DeleteObjects");
        }
    }
    return {};
}

Result<void> S3ObjectStore::Ping() {
    // A listing of the store's own prefix: what every role that opens the store may do.
    IS_TRY_VOID(ListFullKeys(settings_.prefix, 1, nullptr));
    return {};
}

}  // namespace insightstream::store
