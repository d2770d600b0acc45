// The effective configuration: command-line flags and INSIGHTSTREAM_* environment variables,
// validated at start-up (a bad value fails fast naming its key). Secrets are read only from the
// environment or from files named there, and never printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace insightstream::app {

struct Config {
    std::string command = "all";  // all|gateway|auth|ingest|worker|analytics|migrate|keys-rotate
    std::string listen = "127.0.0.1:8080";
    std::string listen_host;
    uint16_t listen_port = 8080;
    std::string data_dir = "data";
    std::string database;  // sqlite:PATH | postgres://...
    std::string objects;   // file:PATH | s3://BUCKET/PREFIX
    std::string queue = "db";  // db | sqs://NAME | https://sqs.../NAME
    std::string dead_letter_queue;  // with an SQS queue: sqs://NAME (the queue's RedrivePolicy target)
    std::vector<std::string> upstreams;  // gateway: SERVICE=http://host:port[,...] each
    int upstream_connect_timeout_ms = 1000;
    int upstream_response_timeout_ms = 60000;
    size_t s3_part_bytes = 8u << 20;
    int s3_parts_in_flight = 2;
    std::string s3_sse;  // "", AES256, aws:kms
    std::string s3_kms_key_id;
    int aws_connect_timeout_ms = 3000;
    int aws_request_timeout_ms = 30000;
    int aws_max_attempts = 3;
    bool migrate = true;
    std::string log_level = "info";

    int io_threads = 0;
    int handler_threads = 32;
    uint32_t max_header_bytes = 16 * 1024;
    int header_timeout_s = 30;
    int body_timeout_s = 60;
    int64_t min_upload_rate = 1024;               // bytes/s an upload must average after its first 10 s (0: any)
    int max_concurrent_uploads = 256;
    int max_concurrent_uploads_per_org = 8;
    uint64_t max_upload_bytes = 0;
    bool trust_forwarded_for = false;
    int shutdown_grace_s = 20;

    std::string jwt_issuer = "insightstream";
    std::string jwt_audience = "insightstream-api";
    int access_token_ttl_s = 900;
    std::string jwt_keys_dir;       // default <data_dir>/keys
    std::string jwt_private_key;    // secret: INSIGHTSTREAM_JWT_PRIVATE_KEY or _FILE
    int db_pool_size = 8;

    int worker_concurrency = 1;
    int worker_nice = 10;
    int job_visibility_s = 60;
    int job_heartbeat_s = 20;
    int job_max_receives = 5;
    int job_backoff_base_s = 2;
    int outbox_relay_interval_ms = 2000;
    size_t worker_chunk_bytes = 4 << 20;
    int64_t split_bytes = 256LL << 20;  // files bigger than this are analysed in splits (0: never)
    int split_stall_ms = 60'000;
    std::string cors_origins;  // comma-separated
    double login_rate_limit = 30;    // per minute per IP
    double client_rate_limit = 0;    // requests per second per client address at the edge (0: none)
    std::string otlp_endpoint;       // OTLP/HTTP collector for spans ("" : no export)
    double signup_rate_limit = 20;   // per hour per IP
    uint64_t quota_storage_bytes = 100ULL << 30;
    int64_t quota_datasets = 10'000;
    double quota_uploads_per_minute = 60;
    int fault_chunk_pause_ms = 0;
    int engine_threads = 0;
    size_t analytics_cache_bytes = 64 << 20;
    size_t query_cache_bytes = 256 << 20;  // decoded snapshot columns kept for /query
    size_t query_max_groups = 100'000;
    int64_t query_max_ms = 10'000;
    std::string web_dir = "web/dist";
    double max_rejected_share = 0.2;
    int64_t max_groups = 1'000'000;
    int64_t job_memory_bytes = int64_t{2} << 30;  // 0: no limit

    [[nodiscard]] bool Runs(std::string_view service) const;
    /// The configuration as one JSON object, secrets redacted.
    [[nodiscard]] std::string RedactedJson() const;
};

/// Parses flags and environment. Returns an exit code in `exit_code` when the process should
/// stop right away (e.g. --help), with the text already printed.
core::Result<Config> ParseConfig(int argc, char** argv, int* exit_code);

/// "postgres://user:secret@host/db" -> "postgres://user:***@host/db".
std::string RedactUrl(const std::string& url);

}  // namespace insightstream::app
