// The object store: where uploaded files and large per-version artifacts live. Writes stream and
// publish atomically (a reader sees the whole object or nothing); reads stream, optionally a range.
// Keys are built only from validated ids, so no key can escape its tenant's prefix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace insightstream::store {

using core::Result;

/// A validated object key: '/'-separated segments of [A-Za-z0-9._-], none empty, "." or "..".
class ObjectKey {
public:
    static Result<ObjectKey> Parse(std::string_view key);
    /// tenants/<t>/datasets/<d>/v<n>/<name>
    static ObjectKey ForDatasetVersion(const core::TenantId& tenant, const core::DatasetId& dataset, int64_t version,
                                       std::string_view name);
    static ObjectKey DatasetPrefix(const core::TenantId& tenant, const core::DatasetId& dataset);
    [[nodiscard]] const std::string& str() const { return key_; }

private:
    explicit ObjectKey(std::string k) : key_(std::move(k)) {}
    std::string key_;
};

struct PutResult {
    int64_t size_bytes = 0;
    std::string sha256_hex;
};

struct ObjectInfo {
    std::string key;
    int64_t size_bytes = 0;
};

/// A streaming write. Nothing is visible until Commit(); destroying it uncommitted aborts it.
class ObjectWriter {
public:
    virtual ~ObjectWriter() = default;
    virtual Result<void> Write(const char* data, size_t n) = 0;
    virtual Result<PutResult> Commit() = 0;
    /// A name other processes may read the bytes written so far by (ObjectStore::OpenWriting),
    /// or "" where the backend cannot show a write before it commits (S3: a multipart upload's
    /// parts are not readable until it completes).
    [[nodiscard]] virtual std::string ReadableAs() const { return {}; }
};

/// A streaming read. Read() returns 0 at the end.
class ObjectReader {
public:
    virtual ~ObjectReader() = default;
    virtual Result<size_t> Read(char* buf, size_t n) = 0;
    /// Bytes this reader will deliver in total (the range length, or the object size).
    [[nodiscard]] virtual int64_t size() const = 0;
};

class ObjectStore {
public:
    virtual ~ObjectStore() = default;
    virtual Result<std::unique_ptr<ObjectWriter>> BeginPut(const ObjectKey& key) = 0;
    /// Opens [offset, offset+length) of the object; length < 0 reads to the end. NotFound if absent.
    virtual Result<std::unique_ptr<ObjectReader>> Open(const ObjectKey& key, int64_t offset = 0,
                                                       int64_t length = -1) = 0;
    /// Like Open, for an object still being written: [offset, offset+length) of what the writer
    /// named `writing` (ObjectWriter::ReadableAs) has written, or of the object once committed.
    /// The caller reads only bytes it knows are written. NotFound if neither exists (the write
    /// was abandoned).
    virtual Result<std::unique_ptr<ObjectReader>> OpenWriting(const ObjectKey& key, const std::string& writing,
                                                              int64_t offset, int64_t length) {
        (void)writing;
        return Open(key, offset, length);
    }
    /// Deleting an absent key succeeds.
    virtual Result<void> Delete(const ObjectKey& key) = 0;
    /// Every object whose key starts with `prefix` (a whole-segment prefix such as "tenants/t1/").
    virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
    virtual Result<void> Ping() = 0;

    /// Deletes every object under `prefix` (one by one unless the backend deletes in batches).
    virtual Result<void> DeletePrefix(std::string_view prefix);
    /// Writes a whole small object in one call.
    Result<PutResult> PutBytes(const ObjectKey& key, std::string_view bytes);
    /// Reads a whole object into memory; only for small artifacts.
    Result<std::string> GetBytes(const ObjectKey& key);
};

}  // namespace insightstream::store
