#include "store/queue/sqs/sqs_job_queue.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/trace.hpp"

namespace insightstream::store {

using core::Error;
namespace json = boost::json;

namespace {

// Codes SQS (and emulators) give a receipt handle that no longer names the current delivery.
bool IsStaleReceipt(const aws::AwsResponse& r) {
    return r.error_code == "ReceiptHandleIsInvalid" || r.error_code == "InvalidReceiptHandle" ||
           r.error_code == "MessageNotInflight" ||
           (r.error_code == "InvalidParameterValue" && r.error_message.find("eceipt") != std::string::npos);
}

json::object Parse(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    return std::move(v.as_object());
}

std::string Text(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The trace context of a job message (its trace and the sender's span), sent as a W3C traceparent
// attribute so SQS-side tooling (and a consumer that does not parse the body) can follow the trace.
std::string TraceParentOf(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    std::string trace = Text(v.as_object(), "trace_id");
    std::string span = Text(v.as_object(), "span_id");
    if (trace.size() != 32 || span.size() != 16) return {};
    return core::FormatTraceparent(trace, span);
}

}  // namespace

Result<std::string> SqsCall(aws::AwsClient& client, std::string_view action, const std::string& json_body,
                            int extra_timeout_ms, const std::atomic<bool>* cancel) {
    aws::AwsRequest req;
    req.method = "POST";
    req.path = "/";
    req.headers = {{"content-type", "application/x-amz-json-1.0"},
                   {"x-amz-target", "AmazonSQS." + std::string(action)}};
    req.body = json_body;
    req.extra_timeout_ms = extra_timeout_ms;
    req.cancel = cancel;
    IS_TRY(auto r, client.Send(req));
    if (r.ok()) return std::move(r.body);
    if (IsStaleReceipt(r)) {
        return Error::NotFound("the receipt handle is no longer valid").WithInternal("SQS " + std::string(action) + ": " +
                                                                                     r.error_code);
    }
    return aws::DependencyError("the job queue", "SQS", action, r, r.status == 403 || r.status == 400 ? 30 : 1);
}

Result<std::unique_ptr<SqsJobQueue>> SqsJobQueue::Open(std::string_view location,
                                                       std::shared_ptr<aws::AwsClient> client) {
    if (location.starts_with("https://") || location.starts_with("http://")) {
        std::string url(location);
        std::string name = url.substr(url.rfind('/') + 1);
        if (name.empty()) return Error::InvalidArgument("a queue URL ends with the queue's name");
        return std::unique_ptr<SqsJobQueue>(new SqsJobQueue(std::move(client), url, name));
    }
    if (!location.starts_with("sqs://")) return Error::InvalidArgument("a queue is sqs://NAME or its https:// URL");
    std::string name(location.substr(6));
    bool ok = !name.empty() && name.size() <= 80;
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) ok = false;
    }
    if (!ok) return Error::InvalidArgument("an SQS queue name is 1-80 characters of A-Z a-z 0-9 - _ (and .fifo)");
    auto body = SqsCall(*client, "GetQueueUrl", json::serialize(json::object{{"QueueName", name}}));
    std::string url;
    if (body) {
        url = Text(Parse(*body), "QueueUrl");
        if (url.empty()) return Error::Unavailable("SQS GetQueueUrl answered without a QueueUrl");
    } else if (body.error().internal().find("AccessDenied") != std::string::npos) {
        // A role granted only its queue's ARN may be refused GetQueueUrl (some emulators check it
        // against "*"): the URL is the endpoint, the account and the name, and the account is
        // what STS GetCallerIdentity (which needs no permission) says.
        IS_TRY(std::string account, aws::CallerAccount(*client));
        url = client->settings().endpoint.Url() + "/" + account + "/" + name;
        core::Log(core::LogLevel::kInfo, "sqs.queue_url_derived", "GetQueueUrl was refused; using the account's URL",
                  {{"queue", name}, {"url", url}});
    } else {
        return std::move(body).error();
    }
    return std::unique_ptr<SqsJobQueue>(new SqsJobQueue(std::move(client), url, name));
}

Result<std::string> SqsJobQueue::Send(std::string_view body, int delay_s) {
    json::object req{{"QueueUrl", url_}, {"MessageBody", body}, {"DelaySeconds", std::clamp(delay_s, 0, 900)}};
    if (std::string tp = TraceParentOf(body); !tp.empty()) {
        req["MessageAttributes"] = json::object{{"traceparent", json::object{{"DataType", "String"}, {"StringValue", tp}}}};
    }
    IS_TRY(auto answer, SqsCall(*client_, "SendMessage", json::serialize(req)));
    std::string id = Text(Parse(answer), "MessageId");
    if (id.empty()) return Error::Unavailable("SQS SendMessage answered without a MessageId");
    return id;
}

Result<std::vector<QueueMessage>> SqsJobQueue::Receive(int max_messages, int visibility_s, int wait_ms) {
    if (interrupted_) return std::vector<QueueMessage>{};
    int wait_s = std::clamp((wait_ms + 999) / 1000, 0, 20);
    json::object req{{"QueueUrl", url_},
                     {"MaxNumberOfMessages", std::clamp(max_messages, 1, 10)},
                     {"VisibilityTimeout", std::clamp(visibility_s, 0, 12 * 3600)},
                     {"WaitTimeSeconds", wait_s},
                     {"AttributeNames", json::array{"ApproximateReceiveCount", "SentTimestamp"}},
                     {"MessageSystemAttributeNames", json::array{"ApproximateReceiveCount", "SentTimestamp"}},
                     {"MessageAttributeNames", json::array{"All"}}};
    auto got = SqsCall(*client_, "ReceiveMessage", json::serialize(req), wait_s * 1000, &interrupted_);
    if (!got && interrupted_) return std::vector<QueueMessage>{};  // shut down while waiting
    IS_TRY(auto answer, std::move(got));
    std::vector<QueueMessage> out;
    auto o = Parse(answer);
    auto* msgs = o.if_contains("Messages");
    if (!msgs || !msgs->is_array()) return out;
    for (const auto& m : msgs->as_array()) {
        if (!m.is_object()) continue;
        const auto& mo = m.as_object();
        QueueMessage q;
        q.id = Text(mo, "MessageId");
        q.receipt = Text(mo, "ReceiptHandle");
        q.body = Text(mo, "Body");
        if (auto* a = mo.if_contains("Attributes"); a && a->is_object()) {
            std::string count = Text(a->as_object(), "ApproximateReceiveCount");
            std::string sent = Text(a->as_object(), "SentTimestamp");
            q.receive_count = count.empty() ? 1 : std::max(1, std::atoi(count.c_str()));
            q.sent_at_ms = sent.empty() ? 0 : std::atoll(sent.c_str());
        } else {
            q.receive_count = 1;
        }
        if (!q.receipt.empty()) out.push_back(std::move(q));
    }
    return out;
}

Result<void> SqsJobQueue::ChangeVisibility(const std::string& receipt, int visibility_s) {
    json::object req{{"QueueUrl", url_}, {"ReceiptHandle", receipt}, {"VisibilityTimeout", std::clamp(visibility_s, 0, 12 * 3600)}};
    IS_TRY_VOID(SqsCall(*client_, "ChangeMessageVisibility", json::serialize(req)));
    return {};
}

Result<void> SqsJobQueue::Delete(const std::string& receipt) {
    json::object req{{"QueueUrl", url_}, {"ReceiptHandle", receipt}};
    IS_TRY_VOID(SqsCall(*client_, "DeleteMessage", json::serialize(req)));
    return {};
}

Result<int64_t> SqsJobQueue::Depth() {
    json::object req{{"QueueUrl", url_},
                     {"AttributeNames", json::array{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                                    "ApproximateNumberOfMessagesDelayed"}}};
    IS_TRY(auto answer, SqsCall(*client_, "GetQueueAttributes", json::serialize(req)));
    auto o = Parse(answer);
    int64_t total = 0;
    if (auto* a = o.if_contains("Attributes"); a && a->is_object()) {
        for (const auto& [k, v] : a->as_object()) {
            if (v.is_string()) total += std::atoll(v.as_string().c_str());
        }
    }
    return total;
}

Result<void> SqsJobQueue::Ping() {
    json::object req{{"QueueUrl", url_}, {"AttributeNames", json::array{"QueueArn"}}};
    IS_TRY_VOID(SqsCall(*client_, "GetQueueAttributes", json::serialize(req)));
    return {};
}

}  // namespace insightstream::store
