// Access-token verification on arbitrary tokens: never a crash, never an accepted forgery.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "auth/jwt.hpp"
#include "auth/token_keys.hpp"

namespace {
struct Fixed final : insightstream::core::Clock {
    [[nodiscard]] int64_t NowMs() const override { return 1'800'000'000'000; }
};
const insightstream::auth::KeyRing& Keys() {
    static auto ring = [] {
        auto r = insightstream::auth::KeyRing::FromPem(*insightstream::auth::GenerateEcPrivateKeyPem());
        return std::move(*r);
    }();
    return *ring;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixed clock;
    static insightstream::auth::JwtCodec codec(Keys(), clock, {});
    auto p = codec.Verify(std::string_view(reinterpret_cast<const char*>(data), size));
    if (p) std::abort();  // nobody can forge a token without the private key
    return 0;
}
