// The worker module's side of splitting a file while it uploads (catalog/upload_splits.hpp):
// made by the app for the ingest, with the engine settings the workers read splits with.
//
// As the ingest stores the upload, the file is cut at record ends (engine::SplitCutter, the
// same cut the version's job would make); once a split's bytes are written, a split job is sent
// for it — run and pass 1 of an analysis of its own, with the pass's options written beside the
// upload first — naming the write in progress to read the bytes from. When the upload is stored,
// the plan (every split, the last one included) is written beside it and the analysis's id goes
// into the version's job, which adopts the splits already analysed (engine_processor.hpp). An
// upload that fails withdraws what its split jobs stored.
//
// Only where the store can show a write before it commits (the directory store; not S3, whose
// multipart parts cannot be read before the upload completes): elsewhere the version's job cuts
// the file after the upload, as before.
#pragma once

#include <memory>

#include "catalog/upload_splits.hpp"
#include "core/metrics.hpp"
#include "store/objects/object_store.hpp"
#include "store/queue/job_queue.hpp"
#include "worker/engine_processor.hpp"

namespace insightstream::worker {

/// Splits of `split_bytes` (0: none) for every upload whose store can show its write in progress,
/// split jobs sent through `queue`.
catalog::UploadSplitterFactory UploadSplitters(store::ObjectStore& objects, store::JobQueue& queue, core::Metrics& metrics,
                                               EngineProcessorSettings settings, int64_t split_bytes);

}  // namespace insightstream::worker
