#include "store/objects/dir/dir_object_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/crypto.hpp"

namespace insightstream::store {

namespace fs = std::filesystem;
using core::Error;

namespace {

Error IoError(std::string_view what, const fs::path& p, int err) {
    return Error::Unavailable(std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { Reset(); }
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&&) = delete;
    Fd(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    void Reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

Result<void> FsyncDir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return IoError("open dir", dir, errno);
    if (::fsync(fd.get()) != 0) return IoError("fsync dir", dir, errno);
    return {};
}

class DirWriter final : public ObjectWriter {
public:
    DirWriter(fs::path tmp, fs::path final_path, Fd fd)
        : tmp_(std::move(tmp)), final_(std::move(final_path)), fd_(std::move(fd)) {}
    // The temp file's name: until the commit renames it, its bytes are read there.
    [[nodiscard]] std::string ReadableAs() const override { return tmp_.filename().string(); }
    ~DirWriter() override {
        if (!committed_) {
            fd_.Reset();
            std::error_code ec;
            fs::remove(tmp_, ec);
        }
    }

    // The piece is hashed on the hasher's thread while it is written here.
    Result<void> Write(const char* data, size_t n) override {
        hash_.Start(data, n);
        size_ += static_cast<int64_t>(n);
        int error = 0;
        while (n > 0) {
            ssize_t w = ::write(fd_.get(), data, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                error = errno;
                break;
            }
            data += w;
            n -= static_cast<size_t>(w);
        }
        hash_.Wait();
        if (error != 0) return IoError("write", tmp_, error);
        return {};
    }

    Result<PutResult> Commit() override {
        if (::fsync(fd_.get()) != 0) return IoError("fsync", tmp_, errno);
        fd_.Reset();
        std::error_code ec;
        fs::create_directories(final_.parent_path(), ec);
        if (ec) return IoError("mkdir", final_.parent_path(), ec.value());
        if (::rename(tmp_.c_str(), final_.c_str()) != 0) return IoError("rename", final_, errno);
        committed_ = true;
        IS_TRY_VOID(FsyncDir(final_.parent_path()));
        return PutResult{size_, core::HexEncode(hash_.Final())};
    }

private:
    fs::path tmp_;
    fs::path final_;
    Fd fd_;
    core::Sha256Aside hash_;
    int64_t size_ = 0;
    bool committed_ = false;
};

class DirReader final : public ObjectReader {
public:
    DirReader(Fd fd, int64_t remaining) : fd_(std::move(fd)), size_(remaining), remaining_(remaining) {}
    Result<size_t> Read(char* buf, size_t n) override {
        if (remaining_ <= 0) return size_t{0};
        size_t want = std::min<size_t>(n, static_cast<size_t>(remaining_));
        for (;;) {
            ssize_t r = ::read(fd_.get(), buf, want);
            if (r < 0) {
                if (errno == EINTR) continue;
                return Error::Unavailable(std::string("read object: ") + std::strerror(errno));
            }
            remaining_ -= r;
            if (r == 0) remaining_ = 0;  // the file is shorter than it was: end the stream
            return static_cast<size_t>(r);
        }
    }
    [[nodiscard]] int64_t size() const override { return size_; }

private:
    Fd fd_;
    int64_t size_;
    int64_t remaining_;
};

}  // namespace

Result<std::unique_ptr<DirObjectStore>> DirObjectStore::Create(const fs::path& root) {
    std::error_code ec;
    fs::create_directories(root / ".tmp", ec);
    if (ec) return IoError("mkdir", root, ec.value());
    // Temp files belong to puts that never committed (a crash or a cut-off upload).
    for (const auto& entry : fs::directory_iterator(root / ".tmp", ec)) fs::remove(entry.path(), ec);
    return std::unique_ptr<DirObjectStore>(new DirObjectStore(fs::absolute(root)));
}

Result<std::unique_ptr<ObjectWriter>> DirObjectStore::BeginPut(const ObjectKey& key) {
    fs::path tmp = root_ / ".tmp" / core::RandomToken(18);
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (fd.get() < 0) return IoError("create", tmp, errno);
    return std::unique_ptr<ObjectWriter>(std::make_unique<DirWriter>(tmp, root_ / key.str(), std::move(fd)));
}

namespace {

Result<std::unique_ptr<ObjectReader>> OpenFile(const fs::path& p, int64_t offset, int64_t length) {
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return Error::NotFound("object not found");
        return IoError("open", p, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return IoError("stat", p, errno);
    int64_t size = st.st_size;
    if (offset < 0 || offset > size) return Error::InvalidArgument("range start is beyond the object").WithSlug("range-not-satisfiable");
    int64_t remaining = size - offset;
    if (length >= 0) remaining = std::min(remaining, length);
    if (offset > 0 && ::lseek(fd.get(), offset, SEEK_SET) < 0) return IoError("seek", p, errno);
    ::posix_fadvise(fd.get(), offset, remaining, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<ObjectReader>(std::make_unique<DirReader>(std::move(fd), remaining));
}

}  // namespace

Result<std::unique_ptr<ObjectReader>> DirObjectStore::Open(const ObjectKey& key, int64_t offset, int64_t length) {
    return OpenFile(root_ / key.str(), offset, length);
}

Result<std::unique_ptr<ObjectReader>> DirObjectStore::OpenWriting(const ObjectKey& key, const std::string& writing,
                                                                  int64_t offset, int64_t length) {
    // The name comes from a job message: only a temp file's name, never a path.
    if (writing.empty() || writing.size() > 64 ||
        writing.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
        return Error::InvalidArgument("not the name of a write in progress");
    }
    auto in_progress = OpenFile(root_ / ".tmp" / writing, offset, length);
    if (!in_progress && in_progress.error().code() == core::ErrorCode::kNotFound) {
        return Open(key, offset, length);  // committed since (renamed to its key), or abandoned
    }
    // Bytes asked for that the file does not hold yet are never read as its end.
    if (in_progress && length >= 0 && (*in_progress)->size() < length) {
        return Error::Unavailable("the upload in progress does not hold the bytes asked for yet").WithSlug("split-not-written");
    }
    return in_progress;
}

Result<void> DirObjectStore::Delete(const ObjectKey& key) {
    fs::path p = root_ / key.str();
    if (::unlink(p.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) return IoError("unlink", p, errno);
    // Remove directories left empty, up to the root, so deleted datasets leave no trace.
    std::error_code ec;
    for (fs::path dir = p.parent_path(); dir != root_ && dir.string().size() > root_.string().size();
         dir = dir.parent_path()) {
        if (!fs::is_empty(dir, ec) || ec) break;
        fs::remove(dir, ec);
    }
    return {};
}

Result<std::vector<ObjectInfo>> DirObjectStore::List(std::string_view prefix) {
    std::vector<ObjectInfo> out;
    std::string pre(prefix);
    while (!pre.empty() && pre.back() == '/') pre.pop_back();
    if (!pre.empty()) IS_TRY_VOID(ObjectKey::Parse(pre));
    fs::path base = pre.empty() ? root_ : root_ / pre;
    std::error_code ec;
    if (fs::is_regular_file(base, ec)) {
        out.push_back({pre, static_cast<int64_t>(fs::file_size(base, ec))});
        return out;
    }
    if (!fs::is_directory(base, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (pre.empty() && it.depth() == 0 && it->path().filename() == ".tmp") {
            it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec)) continue;
        std::string rel = fs::relative(it->path(), root_, ec).string();
        out.push_back({rel, static_cast<int64_t>(it->file_size(ec))});
    }
    if (ec) return IoError("list", base, ec.value());
    return out;
}

Result<void> DirObjectStore::Ping() {
    std::error_code ec;
    if (!fs::is_directory(root_ / ".tmp", ec)) return Error::Unavailable("object directory missing: " + root_.string());
    if (::access((root_ / ".tmp").c_str(), W_OK) != 0) return IoError("access", root_, errno);
    return {};
}

}  // namespace insightstream::store
