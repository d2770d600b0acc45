#include "store/objects/object_store.hpp"

namespace insightstream::store {

using core::Error;

namespace {
bool ValidSegment(std::string_view s) {
    if (s.empty() || s == "." || s == ".." || s.size() > 200) return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}
}  // namespace

Result<ObjectKey> ObjectKey::Parse(std::string_view key) {
    if (key.empty() || key.size() > 1024) return Error::InvalidArgument("invalid object key");
    size_t start = 0;
    while (start <= key.size()) {
        size_t end = key.find('/', start);
        if (end == std::string_view::npos) end = key.size();
        if (!ValidSegment(key.substr(start, end - start))) return Error::InvalidArgument("invalid object key");
        start = end + 1;
    }
    return ObjectKey(std::string(key));
}

ObjectKey ObjectKey::ForDatasetVersion(const core::TenantId& tenant, const core::DatasetId& dataset, int64_t version,
                                       std::string_view name) {
    // Ids are validated at the edge (IsValidId); Parse re-checks so a bad id can never form a path.
    std::string k = "tenants/" + tenant.str() + "/datasets/" + dataset.str() + "/v" + std::to_string(version) + "/" +
                    std::string(name);
    auto parsed = Parse(k);
    if (!parsed) return ObjectKey("invalid/invalid");
    return std::move(parsed).value();
}

ObjectKey ObjectKey::DatasetPrefix(const core::TenantId& tenant, const core::DatasetId& dataset) {
    auto parsed = Parse("tenants/" + tenant.str() + "/datasets/" + dataset.str());
    if (!parsed) return ObjectKey("invalid/invalid");
    return std::move(parsed).value();
}

Result<void> ObjectStore::DeletePrefix(std::string_view prefix) {
    IS_TRY(auto objects, List(prefix));
    for (const auto& o : objects) {
        IS_TRY(auto key, ObjectKey::Parse(o.key));
        IS_TRY_VOID(Delete(key));
    }
    return {};
}

Result<PutResult> ObjectStore::PutBytes(const ObjectKey& key, std::string_view bytes) {
    IS_TRY(auto w, BeginPut(key));
    IS_TRY_VOID(w->Write(bytes.data(), bytes.size()));
    return w->Commit();
}

Result<std::string> ObjectStore::GetBytes(const ObjectKey& key) {
    IS_TRY(auto r, Open(key));
    std::string out;
    out.reserve(static_cast<size_t>(r->size()));
    char buf[64 * 1024];
    for (;;) {
        IS_TRY(size_t n, r->Read(buf, sizeof buf));
        if (n == 0) break;
        out.append(buf, n);
    }
    return out;
}

}  // namespace insightstream::store
