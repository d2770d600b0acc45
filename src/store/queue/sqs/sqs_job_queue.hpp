// The SQS job queue (distributed mode), `--queue sqs://NAME` (its URL looked up with GetQueueUrl)
// or a queue URL, over SQS's JSON protocol (application/x-amz-json-1.0 with X-Amz-Target).
// Receive long-polls (WaitTimeSeconds up to 20); ApproximateReceiveCount is the attempt number;
// a stale receipt handle (the message was redelivered or deleted) is NotFound, so a worker that
// lost its lease stops instead of committing twice. Dead-lettering is the queue's own
// RedrivePolicy; the dead-letter queue is read like any other queue.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "aws/client.hpp"
#include "store/queue/job_queue.hpp"

namespace insightstream::store {

class SqsJobQueue final : public JobQueue {
public:
    /// `location`: "sqs://NAME" or "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME".
    static Result<std::unique_ptr<SqsJobQueue>> Open(std::string_view location, std::shared_ptr<aws::AwsClient> client);

    Result<std::string> Send(std::string_view body, int delay_s) override;
    Result<std::vector<QueueMessage>> Receive(int max_messages, int visibility_s, int wait_ms) override;
    Result<void> ChangeVisibility(const std::string& receipt, int visibility_s) override;
    Result<void> Delete(const std::string& receipt) override;
    Result<int64_t> Depth() override;
    Result<void> Ping() override;
    void Interrupt() override { interrupted_ = true; }

    [[nodiscard]] const std::string& url() const { return url_; }
    [[nodiscard]] const std::string& name() const { return name_; }

private:
    SqsJobQueue(std::shared_ptr<aws::AwsClient> client, std::string url, std::string name)
        : client_(std::move(client)), url_(std::move(url)), name_(std::move(name)) {}

    std::shared_ptr<aws::AwsClient> client_;
    std::string url_;
    std::string name_;
    std::atomic<bool> interrupted_{false};
};

/// Calls one action of SQS's JSON protocol; an SQS error answer becomes the service's error
/// (stale receipts → NotFound, everything else → Unavailable naming the queue and SQS's code).
Result<std::string> SqsCall(aws::AwsClient& client, std::string_view action, const std::string& json_body,
                            int extra_timeout_ms = 0, const std::atomic<bool>* cancel = nullptr);

}  // namespace insightstream::store
