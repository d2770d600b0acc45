// The local-directory object store (embedded mode). A put writes <root>/.tmp/<random>, fsyncs it,
// renames it into place and fsyncs the directory: a crash leaves either the old state or the whole
// new object, never half of one. Leftover temp files are swept at start.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/objects/object_store.hpp"

namespace insightstream::store {

class DirObjectStore final : public ObjectStore {
public:
    static Result<std::unique_ptr<DirObjectStore>> Create(const std::filesystem::path& root);

    Result<std::unique_ptr<ObjectWriter>> BeginPut(const ObjectKey& key) override;
    Result<std::unique_ptr<ObjectReader>> Open(const ObjectKey& key, int64_t offset = 0, int64_t length = -1) override;
    Result<std::unique_ptr<ObjectReader>> OpenWriting(const ObjectKey& key, const std::string& writing, int64_t offset,
                                                      int64_t length) override;
    Result<void> Delete(const ObjectKey& key) override;
    Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
    Result<void> Ping() override;

    [[nodiscard]] const std::filesystem::path& root() const { return root_; }

private:
    explicit DirObjectStore(std::filesystem::path root) : root_(std::move(root)) {}
    std::filesystem::path root_;
};

}  // namespace insightstream::store
