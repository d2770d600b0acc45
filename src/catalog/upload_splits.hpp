// A file's splits analysed while it is still uploading. The ingest hands every piece it has
// stored to an UploadSplitter (made by the worker module: worker/upload_splits.hpp, which knows
// the engine's record ends and the splits' objects); it cuts the file at record ends and sends a
// split job as soon as a split's bytes are written, so workers analyse the file's start while its
// end is on the wire. The version's job adopts what they did (engine_processor.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace insightstream::catalog {

class UploadSplitter {
public:
    virtual ~UploadSplitter() = default;
    /// The next bytes of the file, once they are written to the store.
    virtual void Written(std::string_view bytes) = 0;
    /// The upload is stored: the id of the analysis the version's job adopts ("" if none).
    virtual std::string Finish() = 0;
    /// The upload failed or was not saved: what the split jobs sent so far stored is deleted
    /// (a split job still running deletes its own when it sees that). Also on destruction
    /// without Finish.
    virtual void Withdraw() = 0;
};

/// What an upload's splitter is made with.
struct UploadStart {
    core::TenantId tenant;
    core::DatasetId dataset;
    int64_t version = 0;
    std::string format;   // csv, json or ndjson
    std::string options;  // the version's options (JSON)
    std::string writing;  // store::ObjectWriter::ReadableAs of the upload's write
    std::string trace_id, request_id, span_id;
    int64_t size_bytes = -1;  // the body's length if it was announced (a multipart body: more)
};

/// nullptr when the upload is not split while it streams.
using UploadSplitterFactory = std::function<std::unique_ptr<UploadSplitter>(const UploadStart&)>;

}  // namespace insightstream::catalog
