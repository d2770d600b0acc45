#include "app/app.hpp"

#include <signal.h>
#include <strings.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "app/config.hpp"
#include "auth/auth_service.hpp"
#include "auth/password.hpp"
#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "gateway/ops_routes.hpp"
#include "http/server.hpp"
#include "ingest/ingest_service.hpp"
#include "store/db/postgres/postgres_database.hpp"
#include "store/db/sqlite/sqlite_database.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "store/outbox.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "worker/worker.hpp"

namespace insightstream::app {

using core::Error;
using core::LogLevel;
using core::Result;
namespace fs = std::filesystem;

namespace {

Result<std::unique_ptr<store::Database>> OpenDatabase(const Config& c) {
    if (c.database.starts_with("sqlite:")) {
        std::string path = c.database.substr(7);
        if (path.starts_with("//")) path = path.substr(2);
        std::error_code ec;
        if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
        IS_TRY(auto db, store::SqliteDatabase::Open({.path = path, .pool_size = c.db_pool_size}));
        return std::unique_ptr<store::Database>(std::move(db));
    }
    if (c.database.starts_with("postgres://") || c.database.starts_with("postgresql://")) {
        IS_TRY(auto db, store::PostgresDatabase::Open({.url = c.database, .pool_size = c.db_pool_size}));
        return std::unique_ptr<store::Database>(std::move(db));
    }
    return Error::InvalidArgument("--database must start with sqlite: or postgres://");
}

Result<std::unique_ptr<store::ObjectStore>> OpenObjects(const Config& c) {
    if (c.objects.starts_with("file:")) {
        std::string path = c.objects.substr(5);
        if (path.starts_with("//")) path = path.substr(2);
        IS_TRY(auto s, store::DirObjectStore::Create(path));
        return std::unique_ptr<store::ObjectStore>(std::move(s));
    }
    return Error::InvalidArgument("--objects must start with file:");
}

sigset_t BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    // Blocked before any thread starts, so every thread inherits the mask and only sigwait sees them.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return set;
}

int Fail(const Error& e) {
    core::Log(LogLevel::kError, "startup.failed", e.ToString());
    std::fprintf(stderr, "insightstream: %s\n", (e.detail() + (e.internal().empty() ? "" : ": " + e.internal())).c_str());
    return 1;
}

}  // namespace

int Main(int argc, char** argv) {
    sigset_t stop_signals = BlockStopSignals();
    int exit_code = -1;
    auto parsed = ParseConfig(argc, argv, &exit_code);
    if (exit_code >= 0) return exit_code;
    if (!parsed) {
        std::fprintf(stderr, "insightstream: %s\n", parsed.error().detail().c_str());
        return 2;
    }
    const Config& cfg = *parsed;
    core::LogLevel level;
    core::ParseLogLevel(cfg.log_level, &level);
    core::SetLogLevel(level);
    core::SetLogService(cfg.command);
    core::Log(LogLevel::kInfo, "config.effective", cfg.RedactedJson());

    core::SystemClock clock;
    core::RandomIdSource ids;
    core::Metrics metrics;

    if (cfg.command == "keys-rotate") {
        auto kid = auth::KeyRing::Rotate(cfg.jwt_keys_dir, clock.NowMs(), int64_t{cfg.access_token_ttl_s} * 2000);
        if (!kid) return Fail(kid.error());
        core::Log(LogLevel::kInfo, "keys.rotated", "new signing key written; restart the auth service to sign with it",
                  {{"kid", *kid}});
        return 0;
    }

    const bool needs_db = cfg.command != "gateway";
    std::unique_ptr<store::Database> db;
    if (needs_db) {
        auto opened = OpenDatabase(cfg);
        if (!opened) return Fail(opened.error());
        db = std::move(*opened);
        if (cfg.command == "migrate" || cfg.migrate) {
            auto applied = db->Migrate();
            if (!applied) return Fail(applied.error());
            auto version = db->SchemaVersion();
            core::Log(LogLevel::kInfo, "db.migrated", "schema up to date",
                      {{"applied", *applied}, {"schema_version", version ? *version : -1}});
        }
        if (cfg.command == "migrate") return 0;
    }

    std::unique_ptr<store::ObjectStore> objects;
    std::unique_ptr<store::DbJobQueue> queue;
    std::unique_ptr<store::DbJobQueue> dead_letters;
    if (cfg.Runs("ingest") || cfg.Runs("worker")) {
        auto o = OpenObjects(cfg);
        if (!o) return Fail(o.error());
        objects = std::move(*o);
        if (cfg.queue != "db") return Fail(Error::InvalidArgument("--queue must be db"));
        queue = std::make_unique<store::DbJobQueue>(
            *db, clock, store::DbQueueSettings{.name = "jobs", .dead_letter_name = "jobs-dlq",
                                               .max_receives = cfg.job_max_receives});
        dead_letters = std::make_unique<store::DbJobQueue>(
            *db, clock, store::DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
        metrics.Describe("insightstream_queue_depth", "gauge", "Jobs waiting or in flight, by queue.");
        metrics.AddCollector([q = queue.get(), d = dead_letters.get()](core::Metrics& m) {
            if (auto n = q->Depth()) m.Set("insightstream_queue_depth", {{"queue", "jobs"}}, static_cast<double>(*n));
            if (auto n = d->Depth()) m.Set("insightstream_queue_depth", {{"queue", "jobs-dlq"}}, static_cast<double>(*n));
        });
    }

    http::Router router;
    std::vector<gateway::ReadinessCheck> checks;
    if (db) checks.push_back({"database", [&db] { return db->Ping(); }});
    if (objects) checks.push_back({"objects", [&objects] { return objects->Ping(); }});
    gateway::RegisterOpsRoutes(router, metrics, checks);

    std::unique_ptr<auth::KeyRing> keys;
    std::optional<auth::PasswordHasher> hasher;
    std::unique_ptr<auth::AuthService> auth_service;
    std::optional<auth::JwtCodec> verifier;
    if (cfg.command != "migrate" && cfg.command != "worker") {
        auto ring = cfg.jwt_private_key.empty()
                        ? auth::KeyRing::LoadDir(cfg.jwt_keys_dir, /*create_if_empty=*/true)
                        : auth::KeyRing::FromPem(cfg.jwt_private_key);
        if (!ring) return Fail(ring.error());
        keys = std::move(*ring);
        if (cfg.jwt_private_key.empty() && !cfg.database.starts_with("sqlite:")) {
            // Fine for one instance; several auth instances need one shared key set.
            core::Log(LogLevel::kWarn, "keys.local", "signing keys come from a local directory",
                      {{"dir", cfg.jwt_keys_dir},
                       {"hint", "share keys across instances with INSIGHTSTREAM_JWT_PRIVATE_KEY(_FILE)"}});
        }
        auth::JwtSettings jwt{cfg.jwt_issuer, cfg.jwt_audience, cfg.access_token_ttl_s, 30};
        verifier.emplace(*keys, clock, jwt);
        if (cfg.Runs("auth")) {
            hasher.emplace();
            auth_service = std::make_unique<auth::AuthService>(*db, *keys, clock, ids, *hasher,
                                                               auth::AuthSettings{.jwt = jwt});
            auth_service->RegisterRoutes(router);
        }
    }

    std::unique_ptr<store::OutboxRelay> relay;
    std::unique_ptr<ingest::IngestService> ingest_service;
    if (cfg.Runs("ingest")) {
        relay = std::make_unique<store::OutboxRelay>(*db, *queue, clock);
        ingest_service = std::make_unique<ingest::IngestService>(
            *db, *objects, *relay, clock, ids, metrics, ingest::IngestSettings{.max_upload_bytes = cfg.max_upload_bytes});
        ingest_service->RegisterRoutes(router);
    }

    std::unique_ptr<worker::RowCountProcessor> processor;
    std::unique_ptr<worker::Worker> worker;
    if (cfg.Runs("worker")) {
        processor = std::make_unique<worker::RowCountProcessor>(cfg.worker_chunk_bytes);
        worker::WorkerSettings ws{.concurrency = cfg.worker_concurrency,
                                  .visibility_s = cfg.job_visibility_s,
                                  .heartbeat_s = cfg.job_heartbeat_s,
                                  .max_receives = cfg.job_max_receives,
                                  .backoff_base_s = cfg.job_backoff_base_s,
                                  .fault_chunk_pause_ms = cfg.fault_chunk_pause_ms};
        worker = std::make_unique<worker::Worker>(*db, *objects, *queue, dead_letters.get(), *processor, metrics,
                                                  clock, ws);
    }

    http::ServerHooks hooks;
    if (verifier) {
        hooks.authenticate = [&verifier](const http::Request& req) -> Result<core::Principal> {
            const std::string* h = req.Header("authorization");
            if (!h || h->size() < 8 || strncasecmp(h->c_str(), "Bearer ", 7) != 0) {
                return Error::Unauthenticated("send an access token as Authorization: Bearer <token>");
            }
            return verifier->Verify(std::string_view(*h).substr(7));
        };
    }
    if (auth_service) {
        hooks.authenticate = [&auth_service](const http::Request& req) { return auth_service->Authenticate(req); };
    }
    hooks.decorate = [](const http::Request&, http::Response& resp) {
        resp.Header("X-Content-Type-Options", "nosniff");
        resp.Header("Referrer-Policy", "no-referrer");
        if (!resp.FindHeader("Cache-Control")) resp.Header("Cache-Control", "no-store");
    };

    http::ServerSettings ss{.host = cfg.listen_host,
                            .port = cfg.listen_port,
                            .io_threads = cfg.io_threads,
                            .handler_threads = cfg.handler_threads,
                            .max_header_bytes = cfg.max_header_bytes,
                            .header_timeout_s = cfg.header_timeout_s,
                            .body_timeout_s = cfg.body_timeout_s,
                            .trust_forwarded_for = cfg.trust_forwarded_for};
    http::HttpServer server(ss, router, metrics, std::move(hooks));
    auto port = server.Start();
    if (!port) return Fail(port.error());
    if (relay) relay->Start(cfg.outbox_relay_interval_ms, 5000);
    if (worker) worker->Start();
    // The ready line: tests and scripts read the bound port from it.
    core::Log(LogLevel::kInfo, "server.listening", "serving", {{"host", cfg.listen_host}, {"port", int{*port}}});

    int sig = 0;
    sigwait(&stop_signals, &sig);
    core::Log(LogLevel::kInfo, "server.stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              {{"grace_s", cfg.shutdown_grace_s}});
    // Stop taking work first (HTTP and the queue), then let what is running finish.
    if (worker) worker->Stop();
    server.Shutdown(std::chrono::seconds(cfg.shutdown_grace_s));
    if (relay) relay->Stop();
    core::Log(LogLevel::kInfo, "server.stopped", "bye");
    return 0;
}

}  // namespace insightstream::app
