#include "app/config.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace insightstream::app {

using core::Error;

bool Config::Runs(std::string_view service) const {
    if (command == "all") return service != "migrate";
    return command == service;
}

std::string RedactUrl(const std::string& url) {
    size_t scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    size_t at = url.find('@', scheme + 3);
    size_t colon = url.find(':', scheme + 3);
    std::string out = url;
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
        out = url.substr(0, colon + 1) + "***" + url.substr(at);
    }
    // Query parameters such as ?password=... are redacted too.
    size_t pw = out.find("password=");
    if (pw != std::string::npos) {
        size_t end = out.find('&', pw);
        out = out.substr(0, pw + 9) + "***" + (end == std::string::npos ? "" : out.substr(end));
    }
    return out;
}

std::string Config::RedactedJson() const {
    boost::json::object o{{"command", command},
                          {"listen", listen},
                          {"data_dir", data_dir},
                          {"database", RedactUrl(database)},
                          {"objects", RedactUrl(objects)},
                          {"queue", RedactUrl(queue)},
                          {"dead_letter_queue", dead_letter_queue},
                          {"upstreams", boost::json::value_from(upstreams)},
                          {"s3_part_bytes", s3_part_bytes},
                          {"s3_parts_in_flight", s3_parts_in_flight},
                          {"s3_sse", s3_sse},
                          {"aws_request_timeout_ms", aws_request_timeout_ms},
                          {"aws_max_attempts", aws_max_attempts},
                          {"migrate", migrate},
                          {"log_level", log_level},
                          {"io_threads", io_threads},
                          {"handler_threads", handler_threads},
                          {"max_header_bytes", max_header_bytes},
                          {"header_timeout_s", header_timeout_s},
                          {"body_timeout_s", body_timeout_s},
                          {"min_upload_rate", min_upload_rate},
                          {"max_concurrent_uploads", max_concurrent_uploads},
                          {"max_concurrent_uploads_per_org", max_concurrent_uploads_per_org},
                          {"max_upload_bytes", max_upload_bytes},
                          {"trust_forwarded_for", trust_forwarded_for},
                          {"shutdown_grace_s", shutdown_grace_s},
                          {"jwt_issuer", jwt_issuer},
                          {"jwt_audience", jwt_audience},
                          {"access_token_ttl_s", access_token_ttl_s},
                          {"jwt_keys", jwt_private_key.empty() ? jwt_keys_dir : "(from environment, redacted)"},
                          {"db_pool_size", db_pool_size},
                          {"worker_concurrency", worker_concurrency},
                          {"worker_nice", worker_nice},
                          {"job_visibility_s", job_visibility_s},
                          {"job_heartbeat_s", job_heartbeat_s},
                          {"job_max_receives", job_max_receives},
                          {"job_backoff_base_s", job_backoff_base_s},
                          {"worker_chunk_bytes", worker_chunk_bytes},
                          {"split_bytes", split_bytes},
                          {"split_stall_ms", split_stall_ms},
                          {"cors_origins", cors_origins},
                          {"login_rate_limit", login_rate_limit},
                          {"client_rate_limit", client_rate_limit},
                          {"otlp_endpoint", RedactUrl(otlp_endpoint)},
                          {"signup_rate_limit", signup_rate_limit},
                          {"quota_storage_bytes", quota_storage_bytes},
                          {"quota_datasets", quota_datasets},
                          {"quota_uploads_per_minute", quota_uploads_per_minute},
                          {"engine_threads", engine_threads},
                          {"max_rejected_share", max_rejected_share},
                          {"max_groups", max_groups},
                          {"job_memory_bytes", job_memory_bytes}};
    return boost::json::serialize(o);
}

namespace {

// A secret from VAR or from the file named by VAR_FILE.
core::Result<std::string> Secret(const char* var) {
    if (const char* v = std::getenv(var); v && *v) return std::string(v);
    std::string file_var = std::string(var) + "_FILE";
    if (const char* f = std::getenv(file_var.c_str()); f && *f) {
        std::ifstream in(f, std::ios::binary);
        if (!in) return Error::InvalidArgument(file_var + ": cannot read " + f);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string s = ss.str();
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        return s;
    }
    return std::string();
}

bool UrlHasPassword(const std::string& url) { return RedactUrl(url) != url; }

}  // namespace

core::Result<Config> ParseConfig(int argc, char** argv, int* exit_code) {
    *exit_code = -1;
    Config c;
    CLI::App app{"InsightStream: upload structured data, see what is in it.", "insightstream"};
    app.fallthrough();
    app.set_help_all_flag("--help-all", "Every option of every command");
    app.add_option("--listen", c.listen, "Address to serve HTTP on (host:port)")
        ->envname("INSIGHTSTREAM_LISTEN")->capture_default_str();
    app.add_option("--data-dir", c.data_dir, "Directory for the embedded backends and generated keys")
        ->envname("INSIGHTSTREAM_DATA_DIR")->capture_default_str();
    app.add_option("--database", c.database, "sqlite:PATH or postgres://USER@HOST:PORT/DB (password from the environment)")
        ->envname("INSIGHTSTREAM_DATABASE");
    app.add_option("--objects", c.objects, "Object store: file:PATH or s3://BUCKET/PREFIX")
        ->envname("INSIGHTSTREAM_OBJECTS");
    app.add_option("--queue", c.queue, "Job queue: db (a table in the database), sqs://NAME or an SQS queue URL")
        ->envname("INSIGHTSTREAM_QUEUE")->capture_default_str();
    app.add_option("--dead-letter-queue", c.dead_letter_queue,
                   "With SQS: the jobs queue's dead-letter queue (sqs://NAME or URL), watched to fail its versions")
        ->envname("INSIGHTSTREAM_DEAD_LETTER_QUEUE");
    app.add_option("--upstream", c.upstreams,
                   "Gateway: where a service runs, SERVICE=http://host:port[,http://host:port] (auth, ingest, "
                   "analytics; repeat per service, or ';'-separated in the variable)")
        ->envname("INSIGHTSTREAM_UPSTREAMS")->delimiter(';');
    app.add_option("--upstream-connect-timeout-ms", c.upstream_connect_timeout_ms,
                   "Gateway: connect deadline per upstream instance")
        ->envname("INSIGHTSTREAM_UPSTREAM_CONNECT_TIMEOUT_MS")->capture_default_str();
    app.add_option("--upstream-response-timeout-ms", c.upstream_response_timeout_ms,
                   "Gateway: the longest an upstream may stay silent while answering")
        ->envname("INSIGHTSTREAM_UPSTREAM_RESPONSE_TIMEOUT_MS")->capture_default_str();
    app.add_option("--s3-part-bytes", c.s3_part_bytes, "S3 multipart part size (>= 5 MiB)")
        ->envname("INSIGHTSTREAM_S3_PART_BYTES")->capture_default_str();
    app.add_option("--s3-parts-in-flight", c.s3_parts_in_flight, "S3 parts uploaded at once per upload")
        ->envname("INSIGHTSTREAM_S3_PARTS_IN_FLIGHT")->capture_default_str();
    app.add_option("--s3-sse", c.s3_sse, "S3 server-side encryption: AES256 or aws:kms (default: the bucket's)")
        ->envname("INSIGHTSTREAM_S3_SSE");
    app.add_option("--s3-kms-key-id", c.s3_kms_key_id, "KMS key for --s3-sse aws:kms (default: the bucket's key)")
        ->envname("INSIGHTSTREAM_S3_KMS_KEY_ID");
    app.add_option("--aws-connect-timeout-ms", c.aws_connect_timeout_ms, "Connect deadline for S3 and SQS")
        ->envname("INSIGHTSTREAM_AWS_CONNECT_TIMEOUT_MS")->capture_default_str();
    app.add_option("--aws-request-timeout-ms", c.aws_request_timeout_ms,
                   "Deadline of one S3 or SQS request (long polls add their wait)")
        ->envname("INSIGHTSTREAM_AWS_REQUEST_TIMEOUT_MS")->capture_default_str();
    app.add_option("--aws-max-attempts", c.aws_max_attempts, "Tries per S3 or SQS request (standard retry mode)")
        ->envname("AWS_MAX_ATTEMPTS")->capture_default_str();
    app.add_option("--migrate", c.migrate, "Apply pending migrations at start (true/false)")
        ->envname("INSIGHTSTREAM_MIGRATE")->capture_default_str();
    app.add_option("--log-level", c.log_level, "debug, info, warn or error")->envname("INSIGHTSTREAM_LOG_LEVEL")
        ->capture_default_str();
    app.add_option("--io-threads", c.io_threads, "HTTP I/O threads (0: one per core)")
        ->envname("INSIGHTSTREAM_IO_THREADS")->capture_default_str();
    app.add_option("--handler-threads", c.handler_threads, "Threads for request handlers (blocking work)")
        ->envname("INSIGHTSTREAM_HANDLER_THREADS")->capture_default_str();
    app.add_option("--max-header-bytes", c.max_header_bytes, "Largest request head accepted")
        ->envname("INSIGHTSTREAM_MAX_HEADER_BYTES")->capture_default_str();
    app.add_option("--header-timeout", c.header_timeout_s, "Seconds a request head (or an idle connection) may take")
        ->envname("INSIGHTSTREAM_HEADER_TIMEOUT")->capture_default_str();
    app.add_option("--min-upload-rate", c.min_upload_rate,
                   "Bytes a second an upload must average after its first 10 seconds (0: any)")
        ->envname("INSIGHTSTREAM_MIN_UPLOAD_RATE")->capture_default_str();
    app.add_option("--max-concurrent-uploads", c.max_concurrent_uploads, "Uploads at once in all (0: no limit)")
        ->envname("INSIGHTSTREAM_MAX_CONCURRENT_UPLOADS")->capture_default_str();
    app.add_option("--max-concurrent-uploads-per-org", c.max_concurrent_uploads_per_org,
                   "Uploads at once per organization (0: no limit)")
        ->envname("INSIGHTSTREAM_MAX_CONCURRENT_UPLOADS_PER_ORG")->capture_default_str();
    app.add_option("--body-timeout", c.body_timeout_s, "Seconds a request body may stall")
        ->envname("INSIGHTSTREAM_BODY_TIMEOUT")->capture_default_str();
    app.add_option("--max-upload-bytes", c.max_upload_bytes, "Largest upload accepted (0: no limit)")
        ->envname("INSIGHTSTREAM_MAX_UPLOAD_BYTES")->capture_default_str();
    app.add_option("--trust-forwarded-for", c.trust_forwarded_for, "Take the client address from X-Forwarded-For (its last entry: the one the proxy in front appended)")
        ->envname("INSIGHTSTREAM_TRUST_FORWARDED_FOR")->capture_default_str();
    app.add_option("--shutdown-grace", c.shutdown_grace_s, "Seconds to finish in-flight work on SIGTERM")
        ->envname("INSIGHTSTREAM_SHUTDOWN_GRACE")->capture_default_str();
    app.add_option("--jwt-issuer", c.jwt_issuer, "iss of access tokens")->envname("INSIGHTSTREAM_JWT_ISSUER")
        ->capture_default_str();
    app.add_option("--jwt-audience", c.jwt_audience, "aud of access tokens")->envname("INSIGHTSTREAM_JWT_AUDIENCE")
        ->capture_default_str();
    app.add_option("--access-token-ttl", c.access_token_ttl_s, "Access token lifetime in seconds")
        ->envname("INSIGHTSTREAM_ACCESS_TOKEN_TTL")->capture_default_str();
    app.add_option("--jwt-keys-dir", c.jwt_keys_dir, "Directory of ES256 signing keys (default DATA_DIR/keys)")
        ->envname("INSIGHTSTREAM_JWT_KEYS_DIR");
    app.add_option("--db-pool-size", c.db_pool_size, "Database connections per process")
        ->envname("INSIGHTSTREAM_DB_POOL_SIZE")->capture_default_str();
    app.add_option("--worker-concurrency", c.worker_concurrency, "Jobs processed at once per worker process")
        ->envname("INSIGHTSTREAM_WORKER_CONCURRENCY")->capture_default_str();
    app.add_option("--worker-nice", c.worker_nice,
                   "Niceness (0-19) of processing threads: requests get the CPU first where they share it")
        ->envname("INSIGHTSTREAM_WORKER_NICE")->capture_default_str();
    app.add_option("--job-visibility", c.job_visibility_s, "Seconds a received job stays hidden from other workers")
        ->envname("INSIGHTSTREAM_JOB_VISIBILITY")->capture_default_str();
    app.add_option("--job-heartbeat", c.job_heartbeat_s, "Seconds between lease extensions")
        ->envname("INSIGHTSTREAM_JOB_HEARTBEAT")->capture_default_str();
    app.add_option("--job-max-receives", c.job_max_receives, "Attempts before a job is dead-lettered")
        ->envname("INSIGHTSTREAM_JOB_MAX_RECEIVES")->capture_default_str();
    app.add_option("--job-backoff-base", c.job_backoff_base_s, "First retry delay in seconds (doubles each attempt)")
        ->envname("INSIGHTSTREAM_JOB_BACKOFF_BASE")->capture_default_str();
    app.add_option("--outbox-relay-interval-ms", c.outbox_relay_interval_ms, "How often unsent jobs are re-sent")
        ->envname("INSIGHTSTREAM_OUTBOX_RELAY_INTERVAL_MS")->capture_default_str();

    app.add_option("--worker-chunk-bytes", c.worker_chunk_bytes, "Bytes the worker reads from the object per step")
        ->envname("INSIGHTSTREAM_WORKER_CHUNK_BYTES")->capture_default_str();
    app.add_option("--split-bytes", c.split_bytes,
                   "Files bigger than this are analysed in splits of about this size, one job each (0: never)")
        ->envname("INSIGHTSTREAM_SPLIT_BYTES")->capture_default_str();
    app.add_option("--split-stall-ms", c.split_stall_ms,
                   "A split taken by a worker but not done after this long is analysed by the version's job")
        ->envname("INSIGHTSTREAM_SPLIT_STALL_MS")->capture_default_str();
    app.add_option("--cors-origins", c.cors_origins, "Origins allowed to call the API from a browser (comma list)")
        ->envname("INSIGHTSTREAM_CORS_ORIGINS");
    app.add_option("--client-rate-limit", c.client_rate_limit,
                   "Requests a second per client address, in bursts of twice that (0: no limit); 429 beyond")
        ->envname("INSIGHTSTREAM_CLIENT_RATE_LIMIT")->capture_default_str();
    app.add_option("--otlp-endpoint", c.otlp_endpoint,
                   "OpenTelemetry collector (OTLP/HTTP JSON, e.g. http://127.0.0.1:4318): spans are sent to "
                   "ENDPOINT/v1/traces")
        ->envname("INSIGHTSTREAM_OTLP_ENDPOINT");
    app.add_option("--login-rate-limit", c.login_rate_limit, "Login attempts per minute per client address")
        ->envname("INSIGHTSTREAM_LOGIN_RATE_LIMIT")->capture_default_str();
    app.add_option("--signup-rate-limit", c.signup_rate_limit, "Sign-ups per hour per client address")
        ->envname("INSIGHTSTREAM_SIGNUP_RATE_LIMIT")->capture_default_str();
    app.add_option("--quota-storage-bytes", c.quota_storage_bytes, "Stored upload bytes per organization (0: none)")
        ->envname("INSIGHTSTREAM_QUOTA_STORAGE_BYTES")->capture_default_str();
    app.add_option("--quota-datasets", c.quota_datasets, "Datasets per organization (0: no limit)")
        ->envname("INSIGHTSTREAM_QUOTA_DATASETS")->capture_default_str();
    app.add_option("--quota-uploads-per-minute", c.quota_uploads_per_minute, "Uploads per minute per organization")
        ->envname("INSIGHTSTREAM_QUOTA_UPLOADS_PER_MINUTE")->capture_default_str();
    app.add_option("--web-dir", c.web_dir, "The built dashboard the gateway serves")
        ->envname("INSIGHTSTREAM_WEB_DIR")->capture_default_str();
    app.add_option("--analytics-cache-bytes", c.analytics_cache_bytes, "Bytes of answers the analytics cache keeps")
        ->envname("INSIGHTSTREAM_ANALYTICS_CACHE_BYTES")->capture_default_str();
    app.add_option("--query-cache-bytes", c.query_cache_bytes,
                   "Bytes of decoded snapshot columns POST .../query keeps for the next query")
        ->envname("INSIGHTSTREAM_QUERY_CACHE_BYTES")->capture_default_str();
    app.add_option("--query-max-groups", c.query_max_groups, "Groups one query may make before it is refused")
        ->envname("INSIGHTSTREAM_QUERY_MAX_GROUPS")->capture_default_str();
    app.add_option("--query-max-ms", c.query_max_ms, "Milliseconds one query may run before it is refused")
        ->envname("INSIGHTSTREAM_QUERY_MAX_MS")->capture_default_str();
    app.add_option("--engine-threads", c.engine_threads, "Threads the engine parses with per job (0: one per core)")
        ->envname("INSIGHTSTREAM_ENGINE_THREADS")->capture_default_str();
    app.add_option("--max-rejected-share", c.max_rejected_share,
                   "Share of unreadable rows (0..1) above which a version fails instead of being quarantined")
        ->envname("INSIGHTSTREAM_MAX_REJECTED_SHARE")->capture_default_str();
    app.add_option("--max-groups", c.max_groups, "Groups kept exactly per dimension; the rest are counted as other")
        ->envname("INSIGHTSTREAM_MAX_GROUPS")->capture_default_str();
    app.add_option("--job-memory-bytes", c.job_memory_bytes,
                   "Heap one analysis may grow by before its version fails for memory (0: no limit)")
        ->envname("INSIGHTSTREAM_JOB_MEMORY_BYTES")->capture_default_str();
    // Fault injection (tests, demos of live progress): not listed in --help.
    app.add_option("--fault-chunk-pause-ms", c.fault_chunk_pause_ms)->group("");

    app.require_subcommand(0, 1);
    for (const char* role : {"all", "gateway", "auth", "ingest", "worker", "analytics"}) {
        app.add_subcommand(role, std::string("Run ") + (std::string(role) == "all" ? "every service in one process"
                                                                                      : "the " + std::string(role) +
                                                                                            " service"));
    }
    app.add_subcommand("migrate", "Apply pending database migrations and exit");
    auto* keys = app.add_subcommand("keys", "Manage access-token signing keys");
    keys->add_subcommand("rotate", "Add a new signing key; old keys keep verifying until their tokens expire");
    keys->require_subcommand(1);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        *exit_code = app.exit(e);
        return Error::InvalidArgument("bad command line");
    }
    for (auto* sub : app.get_subcommands()) {
        c.command = sub->get_name();
        if (c.command == "keys") c.command = "keys-rotate";
    }

    if (auto lvl = c.log_level; lvl != "debug" && lvl != "info" && lvl != "warn" && lvl != "error") {
        return Error::InvalidArgument("--log-level / INSIGHTSTREAM_LOG_LEVEL must be debug, info, warn or error");
    }
    size_t colon = c.listen.rfind(':');
    if (colon == std::string::npos) return Error::InvalidArgument("--listen / INSIGHTSTREAM_LISTEN must be host:port");
    c.listen_host = c.listen.substr(0, colon);
    if (c.listen_host == "localhost") c.listen_host = "127.0.0.1";
    if (c.listen_host.size() > 2 && c.listen_host.front() == '[') c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
    char* end = nullptr;
    long port = std::strtol(c.listen.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) return Error::InvalidArgument("--listen port must be 0..65535");
    c.listen_port = static_cast<uint16_t>(port);

    if (c.database.empty()) c.database = "sqlite:" + c.data_dir + "/insightstream.db";
    if (c.objects.empty()) c.objects = "file:" + c.data_dir + "/objects";
    if (c.jwt_keys_dir.empty()) c.jwt_keys_dir = c.data_dir + "/keys";
    const char* db_env = std::getenv("INSIGHTSTREAM_DATABASE");
    if (UrlHasPassword(c.database) && (!db_env || c.database != db_env)) {
        return Error::InvalidArgument(
            "--database must not contain a password (flags are visible to every user of the machine); put it in "
            "INSIGHTSTREAM_DATABASE_PASSWORD, INSIGHTSTREAM_DATABASE_PASSWORD_FILE or PGPASSWORD");
    }
    auto db_password = Secret("INSIGHTSTREAM_DATABASE_PASSWORD");
    if (!db_password) return std::move(db_password).error();
    if (!db_password->empty()) setenv("PGPASSWORD", db_password->c_str(), 1);
    auto key = Secret("INSIGHTSTREAM_JWT_PRIVATE_KEY");
    if (!key) return std::move(key).error();
    c.jwt_private_key = *key;

    auto positive = [](int v) { return v > 0; };
    std::vector<core::FieldError> bad;
    if (!positive(c.handler_threads)) bad.push_back({"handler_threads", "must be > 0"});
    if (c.io_threads < 0) bad.push_back({"io_threads", "must be >= 0"});
    if (c.max_header_bytes < 1024) bad.push_back({"max_header_bytes", "must be >= 1024"});
    if (!positive(c.header_timeout_s)) bad.push_back({"header_timeout", "must be > 0"});
    if (!positive(c.body_timeout_s)) bad.push_back({"body_timeout", "must be > 0"});
    if (c.min_upload_rate < 0) bad.push_back({"min_upload_rate", "must be >= 0"});
    if (c.max_concurrent_uploads < 0) bad.push_back({"max_concurrent_uploads", "must be >= 0"});
    if (c.max_concurrent_uploads_per_org < 0) bad.push_back({"max_concurrent_uploads_per_org", "must be >= 0"});
    if (c.shutdown_grace_s < 0) bad.push_back({"shutdown_grace", "must be >= 0"});
    if (c.access_token_ttl_s < 30 || c.access_token_ttl_s > 24 * 3600) bad.push_back({"access_token_ttl", "must be 30..86400"});
    if (!positive(c.db_pool_size)) bad.push_back({"db_pool_size", "must be > 0"});
    if (!positive(c.worker_concurrency)) bad.push_back({"worker_concurrency", "must be > 0"});
    if (c.worker_nice < 0 || c.worker_nice > 19) bad.push_back({"worker_nice", "must be between 0 and 19"});
    if (!positive(c.job_visibility_s)) bad.push_back({"job_visibility", "must be > 0"});
    if (!positive(c.job_heartbeat_s) || c.job_heartbeat_s >= c.job_visibility_s)
        bad.push_back({"job_heartbeat", "must be > 0 and shorter than job_visibility"});
    if (!positive(c.job_max_receives)) bad.push_back({"job_max_receives", "must be > 0"});
    if (c.job_backoff_base_s < 0) bad.push_back({"job_backoff_base", "must be >= 0"});
    if (c.worker_chunk_bytes < 4096) bad.push_back({"worker_chunk_bytes", "must be >= 4096"});
    if (c.split_bytes != 0 && c.split_bytes < 4096) bad.push_back({"split_bytes", "must be 0 (never split) or >= 4096"});
    if (c.split_stall_ms < 100) bad.push_back({"split_stall_ms", "must be >= 100"});
    if (c.engine_threads < 0) bad.push_back({"engine_threads", "must be >= 0"});
    if (c.max_rejected_share < 0 || c.max_rejected_share > 1) bad.push_back({"max_rejected_share", "must be 0..1"});
    if (c.max_groups < 10) bad.push_back({"max_groups", "must be >= 10"});
    if (c.job_memory_bytes < 0) bad.push_back({"job_memory_bytes", "must be >= 0"});
    if (c.s3_part_bytes < (5u << 20)) bad.push_back({"s3_part_bytes", "must be >= 5 MiB (5242880)"});
    if (!positive(c.s3_parts_in_flight)) bad.push_back({"s3_parts_in_flight", "must be > 0"});
    if (!c.s3_sse.empty() && c.s3_sse != "AES256" && c.s3_sse != "aws:kms") bad.push_back({"s3_sse", "must be AES256 or aws:kms"});
    if (!positive(c.aws_connect_timeout_ms) || !positive(c.aws_request_timeout_ms))
        bad.push_back({"aws timeouts", "must be > 0"});
    if (!positive(c.upstream_connect_timeout_ms) || !positive(c.upstream_response_timeout_ms))
        bad.push_back({"upstream timeouts", "must be > 0"});
    if (c.aws_max_attempts < 1 || c.aws_max_attempts > 10) bad.push_back({"aws_max_attempts", "must be 1..10"});
    if (!c.dead_letter_queue.empty() && c.queue == "db")
        bad.push_back({"dead_letter_queue", "is for an SQS queue; the db queue names its own (jobs-dlq)"});
    if (c.fault_chunk_pause_ms < 0) bad.push_back({"fault_chunk_pause_ms", "must be >= 0"});
    if (c.login_rate_limit < 0 || c.signup_rate_limit < 0 || c.client_rate_limit < 0 || c.quota_uploads_per_minute < 0 || c.quota_datasets < 0)
        bad.push_back({"rate limits and quotas", "must be >= 0"});
    if (!positive(c.outbox_relay_interval_ms)) bad.push_back({"outbox_relay_interval_ms", "must be > 0"});
    if (!bad.empty()) {
        std::string msg = "invalid configuration:";
        for (const auto& b : bad) msg += " " + b.field + " " + b.message + ";";
        return Error::InvalidArgument(msg);
    }
    return c;
}

}  // namespace insightstream::app
