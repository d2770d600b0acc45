// The job queue, with SQS semantics so the DB-table and SQS backends behave alike: at-least-once
// delivery, a visibility timeout per receive, a receipt handle per delivery (stale receipts are
// refused), a receive count, and dead-lettering once a message was received max_receives times.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace insightstream::store {

using core::Result;

struct QueueMessage {
    std::string id;
    std::string receipt;  // valid until the visibility timeout of this delivery ends
    std::string body;
    int receive_count = 0;  // including this delivery
    int64_t sent_at_ms = 0;
};

class JobQueue {
public:
    virtual ~JobQueue() = default;
    /// Returns the message id. The message becomes visible after `delay_s`.
    virtual Result<std::string> Send(std::string_view body, int delay_s = 0) = 0;
    /// Up to `max_messages`, each hidden from other receivers for `visibility_s`. Waits up to
    /// `wait_ms` for a message when none is ready (long polling).
    virtual Result<std::vector<QueueMessage>> Receive(int max_messages, int visibility_s, int wait_ms) = 0;
    /// Extends (heartbeat) or shortens the current delivery's invisibility; 0 releases it now.
    /// NotFound when the receipt is stale: always for a deleted message; for a redelivered one on
    /// the DB queue and wherever SQS reports it (AWS does; emulators may not). Consumers therefore
    /// fence their commits in the database (an attempt number), never on this answer alone.
    virtual Result<void> ChangeVisibility(const std::string& receipt, int visibility_s) = 0;
    /// Acknowledges a delivery. The DB queue answers NotFound for a stale receipt; SQS accepts one.
    virtual Result<void> Delete(const std::string& receipt) = 0;
    /// Messages waiting or in flight (for metrics and autoscaling).
    virtual Result<int64_t> Depth() = 0;
    virtual Result<void> Ping() = 0;
    /// Shutdown: ends a receive that is waiting now (it returns no messages) and makes later
    /// receives return at once. For backends whose long polls last long (SQS: 20 s).
    virtual void Interrupt() {}
};

}  // namespace insightstream::store
