#include "app/app.hpp"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <unistd.h>

#include "analytics/analytics_service.hpp"
#include "app/otlp_exporter.hpp"
#include "auth/auth_service.hpp"
#include "auth/bearer_verifier.hpp"
#include "auth/password.hpp"
#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/trace.hpp"
#include "gateway/edge_policy.hpp"
#include "gateway/ops_routes.hpp"
#include "gateway/proxy.hpp"
#include "gateway/static_files.hpp"
#include "http/server.hpp"
#include "ingest/ingest_service.hpp"
#include "store/db/postgres/postgres_database.hpp"
#include "store/db/sqlite/sqlite_database.hpp"
#include "aws/client.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "store/objects/s3/s3_object_store.hpp"
#include "store/outbox.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "store/queue/sqs/sqs_job_queue.hpp"
#include "worker/engine_processor.hpp"
#include "worker/upload_splits.hpp"
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

// One client per AWS service, sharing the credentials chain (environment, then the ECS endpoint).
Result<std::shared_ptr<aws::AwsClient>> AwsClientFor(const Config& c, std::string_view service,
                                                     std::shared_ptr<aws::CredentialsProvider>& creds) {
    auto env = aws::ProcessEnvironment();
    if (!creds) {
        IS_TRY(creds, aws::DefaultCredentials(env));
    }
    IS_TRY(auto settings, aws::SettingsFromEnvironment(service, env));
    settings.connect_timeout_ms = c.aws_connect_timeout_ms;
    settings.request_timeout_ms = c.aws_request_timeout_ms;
    settings.max_attempts = c.aws_max_attempts;
    core::Log(LogLevel::kInfo, "aws.client", "AWS service client",
              {{"service", std::string(service)},
               {"region", settings.region},
               {"endpoint", settings.endpoint.Url()},
               {"credentials", creds->source()}});
    return std::make_shared<aws::AwsClient>(std::move(settings), creds);
}

Result<std::unique_ptr<store::ObjectStore>> OpenObjects(const Config& c,
                                                        std::shared_ptr<aws::CredentialsProvider>& creds) {
    if (c.objects.starts_with("file:")) {
        std::string path = c.objects.substr(5);
        if (path.starts_with("//")) path = path.substr(2);
        IS_TRY(auto s, store::DirObjectStore::Create(path));
        return std::unique_ptr<store::ObjectStore>(std::move(s));
    }
    if (c.objects.starts_with("s3://")) {
        IS_TRY(auto settings, store::ParseS3Url(c.objects));
        settings.part_bytes = c.s3_part_bytes;
        settings.parts_in_flight = c.s3_parts_in_flight;
        settings.sse = c.s3_sse;
        settings.kms_key_id = c.s3_kms_key_id;
        IS_TRY(auto client, AwsClientFor(c, "s3", creds));
        IS_TRY(auto s, store::S3ObjectStore::Create(std::move(settings), std::move(client)));
        return std::unique_ptr<store::ObjectStore>(std::move(s));
    }
    return Error::InvalidArgument("--objects must be file:PATH or s3://BUCKET/PREFIX");
}

std::vector<std::string> SplitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

// Every service's routes, with the service that registers them: the gateway's routing table. It
// is read from the services' own registration (each role built once with throwaway embedded
// backends), so the gateway can never forget a route a service adds.
Result<std::vector<http::Route>> ServiceRouteTable() {
    std::error_code ec;
    fs::path dir = fs::temp_directory_path() / ("insightstream-routes-" + std::to_string(::getpid()));
    fs::create_directories(dir, ec);
    std::vector<http::Route> table;
    for (const char* role : {"auth", "ingest", "analytics"}) {
        Config c;
        c.command = role;
        c.data_dir = dir.string();
        c.database = "sqlite:" + (dir / "routes.db").string();
        c.objects = "file:" + (dir / "objects").string();
        c.jwt_keys_dir = (dir / "keys").string();
        c.migrate = true;
        auto made = Application::Create(c);
        if (!made) {
            fs::remove_all(dir, ec);
            return std::move(made).error();
        }
        for (const auto& r : (*made)->router().routes()) {
            if (r.service.empty()) continue;
            http::Route entry;  // only what the gateway needs: no handler, no options
            entry.method = r.method;
            entry.pattern = r.pattern;
            entry.service = r.service;
            table.push_back(std::move(entry));
        }
    }
    fs::remove_all(dir, ec);
    return table;
}

// What the engine reads a version with: the worker's, and the ingest's where it cuts splits
// while a file uploads (so that the version's job can adopt them).
worker::EngineProcessorSettings EngineSettings(const Config& cfg) {
    return worker::EngineProcessorSettings{.chunk_bytes = cfg.worker_chunk_bytes,
                                           .threads = cfg.engine_threads,
                                           .max_rejected_share = cfg.max_rejected_share,
                                           .max_groups = static_cast<size_t>(cfg.max_groups),
                                           .memory_budget = static_cast<size_t>(cfg.job_memory_bytes),
                                           .split_bytes = cfg.split_bytes,
                                           .split_stall_ms = cfg.split_stall_ms,
                                           .nice = cfg.worker_nice};
}

}  // namespace

struct Application::Parts {
    ~Parts() {
        if (otlp) core::SetSpanSink(nullptr);  // before the exporter goes
    }
    Config cfg;
    core::SystemClock clock;
    core::RandomIdSource ids;
    core::Metrics metrics;
    std::unique_ptr<OtlpExporter> otlp;  // goes after every part that makes spans, before the metrics
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::ObjectStore> objects;
    std::shared_ptr<aws::CredentialsProvider> aws_credentials;
    std::unique_ptr<store::JobQueue> queue;
    std::unique_ptr<store::JobQueue> dead_letters;
    http::Router router;
    std::unique_ptr<auth::KeyRing> keys;
    std::optional<auth::PasswordHasher> hasher;
    std::optional<auth::JwtCodec> verifier;
    std::unique_ptr<auth::MembershipCheck> memberships;
    std::unique_ptr<auth::BearerVerifier> bearer;
    std::unique_ptr<auth::AuthService> auth;
    std::unique_ptr<auth::MembersService> members;
    std::unique_ptr<auth::ApiKeysService> api_keys;
    std::unique_ptr<store::OutboxRelay> relay;
    std::unique_ptr<ingest::IngestService> ingest;
    std::unique_ptr<analytics::AnalyticsService> analytics;
    std::unique_ptr<worker::JobProcessor> processor;
    std::unique_ptr<worker::Worker> worker;
    std::unique_ptr<gateway::Upstreams> upstreams;
    std::unique_ptr<gateway::EdgePolicy> edge;
    std::unique_ptr<gateway::StaticFiles> static_files;
    std::unique_ptr<http::HttpServer> server;
    bool stopped = false;
};

Application::Application(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Application::~Application() { Stop(); }
const http::Router& Application::router() const { return parts_->router; }
store::Database* Application::database() const { return parts_->db.get(); }

Result<std::unique_ptr<Application>> Application::Create(const Config& config) {
    auto p = std::make_unique<Parts>();
    p->cfg = config;
    const Config& cfg = p->cfg;
    if (!cfg.otlp_endpoint.empty() && cfg.command != "migrate") {
        p->otlp = std::make_unique<OtlpExporter>(cfg.otlp_endpoint, "insightstream-" + cfg.command, p->metrics);
        core::SetSpanSink([o = p->otlp.get()](core::SpanData&& span) { o->Submit(std::move(span)); });
    }

    if (cfg.command != "gateway") {
        IS_TRY(p->db, OpenDatabase(cfg));
        if (cfg.command == "migrate" || cfg.migrate) {
            IS_TRY(int applied, p->db->Migrate());
            auto version = p->db->SchemaVersion();
            core::Log(LogLevel::kInfo, "db.migrated", "schema up to date",
                      {{"applied", applied}, {"schema_version", version ? *version : -1}});
        }
    }
    if (cfg.command == "migrate") return std::unique_ptr<Application>(new Application(std::move(p)));

    if (cfg.Runs("ingest") || cfg.Runs("worker") || cfg.Runs("analytics")) {
        // Analytics reads the versions' snapshots (export, query).
        IS_TRY(p->objects, OpenObjects(cfg, p->aws_credentials));
    }
    if (cfg.Runs("ingest") || cfg.Runs("worker")) {
        if (cfg.queue == "db") {
            p->queue = std::make_unique<store::DbJobQueue>(
                *p->db, p->clock,
                store::DbQueueSettings{.name = "jobs", .dead_letter_name = "jobs-dlq", .max_receives = cfg.job_max_receives});
            p->dead_letters = std::make_unique<store::DbJobQueue>(
                *p->db, p->clock, store::DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
        } else if (cfg.queue.starts_with("sqs://") || cfg.queue.starts_with("https://") ||
                   cfg.queue.starts_with("http://")) {
            // Dead-lettering is the SQS queue's own RedrivePolicy; its target is watched when named.
            IS_TRY(auto client, AwsClientFor(cfg, "sqs", p->aws_credentials));
            IS_TRY(p->queue, store::SqsJobQueue::Open(cfg.queue, client));
            if (!cfg.dead_letter_queue.empty()) {
                IS_TRY(p->dead_letters, store::SqsJobQueue::Open(cfg.dead_letter_queue, client));
            }
        } else {
            return Error::InvalidArgument("--queue must be db, sqs://NAME or an SQS queue URL");
        }
        p->metrics.Describe("insightstream_queue_depth", "gauge", "Jobs waiting or in flight, by queue.");
        p->metrics.AddCollector([q = p->queue.get(), d = p->dead_letters.get()](core::Metrics& m) {
            if (auto n = q->Depth()) m.Set("insightstream_queue_depth", {{"queue", "jobs"}}, static_cast<double>(*n));
            if (d) {
                if (auto n = d->Depth()) m.Set("insightstream_queue_depth", {{"queue", "jobs-dlq"}}, static_cast<double>(*n));
            }
        });
    }

    std::vector<gateway::ReadinessCheck> checks;
    if (cfg.command == "gateway") {
        IS_TRY(p->upstreams, gateway::Upstreams::Parse(cfg.upstreams,
                                                       gateway::UpstreamSettings{
                                                           .connect_timeout_ms = cfg.upstream_connect_timeout_ms,
                                                           .response_timeout_ms = cfg.upstream_response_timeout_ms}));
        IS_TRY(auto table, ServiceRouteTable());
        gateway::RegisterForwarding(p->router, table, *p->upstreams);
        for (const char* service : {"auth", "ingest", "analytics"}) {
            if (!p->upstreams->Has(service)) {
                core::Log(LogLevel::kWarn, "gateway.no_upstream", "no --upstream for a service: its routes answer 503",
                          {{"service", service}});
                continue;
            }
            checks.push_back({std::string("upstream:") + service, [u = p->upstreams.get(), service]() -> Result<void> {
                                  if (u->Reachable(service)) return {};
                                  return Error::Unavailable(std::string("no instance of ") + service + " answers");
                              }});
        }
    }
    if (p->db) checks.push_back({"database", [db = p->db.get()] { return db->Ping(); }});
    if (p->objects) checks.push_back({"objects", [o = p->objects.get()] { return o->Ping(); }});
    if (p->queue) checks.push_back({"queue", [q = p->queue.get()] { return q->Ping(); }});
    gateway::RegisterOpsRoutes(p->router, p->metrics, checks);

    // Keys: the auth role signs with its own (a directory or one PEM) and publishes their public
    // halves in the database; every other role verifies with the published ones, reading them
    // again for a kid it does not know. The gateway alone, without a database, verifies nothing:
    // it passes requests on.
    bool verifies = cfg.command != "worker" && (cfg.Runs("auth") || p->db);
    if (verifies) {
        if (cfg.Runs("auth")) {
            IS_TRY(p->keys, cfg.jwt_private_key.empty() ? auth::KeyRing::LoadDir(cfg.jwt_keys_dir, /*create_if_empty=*/true)
                                                        : auth::KeyRing::FromPem(cfg.jwt_private_key));
            if (cfg.jwt_private_key.empty() && !cfg.database.starts_with("sqlite:")) {
                // Fine for one instance; several auth instances need one shared key set.
                core::Log(LogLevel::kWarn, "keys.local", "signing keys come from a local directory",
                          {{"dir", cfg.jwt_keys_dir},
                           {"hint", "share keys across auth instances with INSIGHTSTREAM_JWT_PRIVATE_KEY(_FILE)"}});
            }
        } else {
            p->keys = auth::KeyRing::VerifyOnly();
        }
        if (p->db) {
            // A retired key is forgotten once nothing it signed can still be valid.
            p->keys->ShareThrough(*p->db, int64_t{cfg.access_token_ttl_s} * 2000);
        }
        auth::JwtSettings jwt{cfg.jwt_issuer, cfg.jwt_audience, cfg.access_token_ttl_s, 30};
        p->verifier.emplace(*p->keys, p->clock, jwt);
        if (p->db) p->memberships = std::make_unique<auth::MembershipCheck>(*p->db, p->clock);
        if (cfg.Runs("auth")) {
            p->hasher.emplace();
            auth::AuthSettings as{.jwt = jwt,
                                  .login_per_ip_per_minute = cfg.login_rate_limit,
                                  .signup_per_ip_per_hour = cfg.signup_rate_limit};
            p->auth = std::make_unique<auth::AuthService>(*p->db, *p->keys, p->clock, p->ids, *p->hasher,
                                                          *p->memberships, as);
            p->router.SetService("auth");
            p->auth->RegisterRoutes(p->router);
            p->members = std::make_unique<auth::MembersService>(*p->db, p->clock, p->ids, *p->hasher,
                                                                *p->memberships, as.min_password_chars);
            p->members->RegisterRoutes(p->router);
            p->api_keys = std::make_unique<auth::ApiKeysService>(*p->db, p->clock, p->ids);
            p->api_keys->RegisterRoutes(p->router);
            p->router.SetService("");
        }
    }

    if (cfg.Runs("ingest")) {
        p->relay = std::make_unique<store::OutboxRelay>(*p->db, *p->queue, p->clock);
        p->ingest = std::make_unique<ingest::IngestService>(
            *p->db, *p->objects, *p->relay, p->clock, p->ids, p->metrics,
            ingest::IngestSettings{.max_upload_bytes = cfg.max_upload_bytes,
                                   .quota_storage_bytes = cfg.quota_storage_bytes,
                                   .quota_datasets = cfg.quota_datasets,
                                   .quota_uploads_per_minute = cfg.quota_uploads_per_minute,
                                   .max_concurrent_uploads = cfg.max_concurrent_uploads,
                                   .max_concurrent_uploads_per_org = cfg.max_concurrent_uploads_per_org},
            worker::ParseVersionOptions);
        // Where workers can read an upload before it is stored whole (the directory store), the
        // file is cut into splits while it streams and workers start on them at once.
        if (cfg.split_bytes > 0) {
            p->ingest->SplitWhileUploading(
                worker::UploadSplitters(*p->objects, *p->queue, p->metrics, EngineSettings(cfg), cfg.split_bytes));
        }
        p->router.SetService("ingest");
        p->ingest->RegisterRoutes(p->router);
        p->router.SetService("");
    }

    if (cfg.Runs("analytics")) {
        // The version memo only in the embedded mode, where this process makes every change
        // itself (ingest deletes, its worker readies). Anywhere else another process may ready a
        // version, so analytics reads the ready version on every request (one indexed lookup) and
        // never answers from an older one.
        bool sees_every_change = cfg.Runs("ingest") && cfg.Runs("worker") && cfg.database.starts_with("sqlite:");
        p->analytics = std::make_unique<analytics::AnalyticsService>(
            *p->db, *p->objects, p->clock, p->metrics,
            analytics::AnalyticsSettings{.cache_bytes = cfg.analytics_cache_bytes,
                                         .version_memo_ms = sees_every_change ? 2000 : 0,
                                         .column_cache_bytes = cfg.query_cache_bytes,
                                         .query = {.max_groups = cfg.query_max_groups, .max_ms = cfg.query_max_ms}});
        p->router.SetService("analytics");
        p->analytics->RegisterRoutes(p->router);
        p->router.SetService("");
        if (p->ingest) {
            // In one process a deleted dataset or a new version is forgotten at once.
            p->ingest->OnChange([a = p->analytics.get()](const core::TenantId& t, const core::DatasetId& d) {
                a->Invalidate(t, d);
            });
        }
    }

    if (cfg.Runs("worker")) {
        worker::EngineProcessorSettings settings = EngineSettings(cfg);
        // The embedded mode (SQLite: one process) with one worker thread has nobody to share the
        // splits it would cut after the upload with (those cut while it uploads, it takes itself).
        if (cfg.database.starts_with("sqlite:") && cfg.worker_concurrency <= 1) settings.split_bytes = 0;
        p->processor = std::make_unique<worker::EngineProcessor>(*p->objects, settings);
        worker::WorkerSettings ws{.concurrency = cfg.worker_concurrency,
                                  .visibility_s = cfg.job_visibility_s,
                                  .heartbeat_s = cfg.job_heartbeat_s,
                                  .max_receives = cfg.job_max_receives,
                                  .backoff_base_s = cfg.job_backoff_base_s,
                                  .fault_chunk_pause_ms = cfg.fault_chunk_pause_ms};
        // SQS is asked as seldom as it allows: a receive waits up to 20 s for a job (shutdown
        // interrupts it); the DB queue is polled every second.
        if (cfg.queue != "db") ws.poll_wait_ms = 20'000;
        p->worker = std::make_unique<worker::Worker>(*p->db, *p->objects, *p->queue, p->dead_letters.get(),
                                                     *p->processor, p->metrics, p->clock, ws);
        if (p->analytics) {
            p->worker->OnCommitting([a = p->analytics.get()](const core::TenantId& t, const core::DatasetId& d) {
                a->BeginChange(t, d);
            });
            p->worker->OnReady([a = p->analytics.get()](const core::TenantId& t, const core::DatasetId& d) {
                a->EndChange(t, d);
            });
        }
    }

    p->edge = std::make_unique<gateway::EdgePolicy>(gateway::EdgeSettings{.cors_origins = SplitList(cfg.cors_origins),
                                                                          .client_requests_per_second = cfg.client_rate_limit},
                                                    p->router);
    http::ServerHooks hooks;
    Parts* raw = p.get();
    if (p->auth) {
        hooks.authenticate = [raw](const http::Request& req) { return raw->auth->Authenticate(req); };
        hooks.authenticate_fast = [raw](const http::Request& req) { return raw->auth->AuthenticateCached(req); };
    } else if (p->verifier) {
        // Every other role verifies bearer credentials alike: access tokens locally against the
        // shared keys, API keys in the database (trusted for 2 s, so a revoked key stops working
        // on this process within 2 s; the gateway, without a database, takes tokens only).
        p->bearer = std::make_unique<auth::BearerVerifier>(*p->verifier, p->db.get(), p->memberships.get(), p->clock,
                                                           2000);
        hooks.authenticate = [raw](const http::Request& req) { return raw->bearer->Authenticate(req); };
        hooks.authenticate_fast = [raw](const http::Request& req) { return raw->bearer->AuthenticateCached(req); };
    }
    if (cfg.Runs("gateway")) {
        IS_TRY(auto files, gateway::StaticFiles::Load(cfg.web_dir));
        p->static_files = std::make_unique<gateway::StaticFiles>(std::move(files));
        core::Log(LogLevel::kInfo, "web.loaded", "dashboard files", {{"dir", cfg.web_dir},
                                                                   {"files", static_cast<int64_t>(p->static_files->size())}});
    }
    hooks.intercept = [raw](const http::Request& req) -> std::optional<http::Response> {
        if (auto r = raw->edge->Intercept(req)) return r;
        if (raw->static_files) return raw->static_files->Serve(req);
        return std::nullopt;
    };
    hooks.decorate = [raw](const http::Request& req, http::Response& resp) { raw->edge->Decorate(req, resp); };
    http::ServerSettings ss{.host = cfg.listen_host,
                            .port = cfg.listen_port,
                            .io_threads = cfg.io_threads,
                            .handler_threads = cfg.handler_threads,
                            .max_header_bytes = cfg.max_header_bytes,
                            .header_timeout_s = cfg.header_timeout_s,
                            .body_timeout_s = cfg.body_timeout_s,
                            .min_body_rate = static_cast<uint64_t>(cfg.min_upload_rate),
                            .trust_forwarded_for = cfg.trust_forwarded_for};
    p->server = std::make_unique<http::HttpServer>(ss, p->router, p->metrics, std::move(hooks));
    return std::unique_ptr<Application>(new Application(std::move(p)));
}

Result<uint16_t> Application::Start() {
    auto& p = *parts_;
    IS_TRY(uint16_t port, p.server->Start());
    if (p.relay) p.relay->Start(p.cfg.outbox_relay_interval_ms, 5000);
    if (p.worker) p.worker->Start();
    return port;
}

void Application::Stop() {
    auto& p = *parts_;
    if (p.stopped) return;
    p.stopped = true;
    // Stop taking work first (the queue, then HTTP), letting what is running finish.
    if (p.worker) p.worker->Stop();
    if (p.server) p.server->Shutdown(std::chrono::seconds(p.cfg.shutdown_grace_s));
    if (p.relay) p.relay->Stop();
}

namespace {

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
    // Now, from the main thread: started later by a lowered engine thread (--worker-nice), the
    // upload hashing threads would inherit its priority.
    core::StartHashThreads();
    core::LogLevel level;
    core::ParseLogLevel(cfg.log_level, &level);
    core::SetLogLevel(level);
    core::SetLogService(cfg.command);
    core::Log(LogLevel::kInfo, "config.effective", cfg.RedactedJson());

    if (cfg.command == "keys-rotate") {
        auto kid = auth::KeyRing::Rotate(cfg.jwt_keys_dir, core::SystemClock().NowMs(),
                                         int64_t{cfg.access_token_ttl_s} * 2000);
        if (!kid) return Fail(kid.error());
        core::Log(LogLevel::kInfo, "keys.rotated",
                  "new signing key written; the auth service signs with it within seconds, and every role "
                  "verifies it without a restart",
                  {{"kid", *kid}});
        return 0;
    }
    auto app = Application::Create(cfg);
    if (!app) return Fail(app.error());
    if (cfg.command == "migrate") return 0;
    auto port = (*app)->Start();
    if (!port) return Fail(port.error());
    // The ready line: tests and scripts read the bound port from it.
    core::Log(LogLevel::kInfo, "server.listening", "serving", {{"host", cfg.listen_host}, {"port", int{*port}}});

    int sig = 0;
    sigwait(&stop_signals, &sig);
    core::Log(LogLevel::kInfo, "server.stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              {{"grace_s", cfg.shutdown_grace_s}});
    (*app)->Stop();
    core::Log(LogLevel::kInfo, "server.stopped", "bye");
    return 0;
}

}  // namespace insightstream::app
