// A Partial written out and read back exactly: what one split of a file (engine/splits.hpp)
// hands to the merge, possibly on another machine. Every field that Merge and Finalize read is
// kept as it is — sketches with their registers and buckets, group tables with what lies beyond
// the cap — so merging read-back partials gives the same insight set as merging the originals.
//
// Our own format, not a general serialization library: it is the engine's state (the product),
// it must be exact down to hash-table contents, and a truncated or foreign blob must fail cleanly
// (every read is bounds-checked) rather than build a wrong partial. The blob starts with a magic,
// a format version and a fingerprint of the schema it was made with; a partial is only read back
// into a Partial of the same schema.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "engine/engine.hpp"
#include "engine/partial.hpp"

namespace insightstream::engine {

/// The partial as bytes. Leaves `p` as it was.
std::string WritePartial(Partial& p);
/// Replaces the aggregation state of `p` (made with the same schema and options) with the one in
/// `bytes`. Errors: not a partial, another format version, another schema, truncated.
core::Result<void> ReadPartial(std::string_view bytes, Partial& p);

/// The rows a partial result counted (for progress), without reading the rest; 0 if unreadable.
int64_t PartialRows(std::string_view bytes);

/// The options every split of a pass is read with, beyond the version's own (format, hints):
/// the partial's limits and what the pass before asked for. As bytes, so that every worker reads
/// the splits of one file alike whatever its own configuration.
std::string WritePassOptions(const EngineOptions& o);
core::Result<void> ReadPassOptions(std::string_view bytes, EngineOptions* o);

}  // namespace insightstream::engine
