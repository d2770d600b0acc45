#include "support/aws_env.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "aws/xml.hpp"
#include "core/crypto.hpp"
#include "store/queue/sqs/sqs_job_queue.hpp"

namespace insightstream::testing {

namespace json = boost::json;

std::optional<AwsTestEnv> AwsTestEnv::Load() {
    const char* dir = std::getenv("INSIGHTSTREAM_TEST_AWS_DIR");
    if (!dir || !*dir) return std::nullopt;
    std::ifstream in(std::string(dir) + "/aws.json");
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(ss.str(), ec);
    if (ec || !v.is_object()) {
        ADD_FAILURE() << "INSIGHTSTREAM_TEST_AWS_DIR is set but " << dir << "/aws.json is missing or unreadable";
        return std::nullopt;
    }
    const auto& o = v.as_object();
    auto text = [](const json::object& obj, const char* key) {
        auto* f = obj.if_contains(key);
        return f && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    AwsTestEnv e;
    e.endpoint = text(o, "endpoint");
    e.region = text(o, "region");
    e.bucket = text(o, "bucket");
    e.prefix = text(o, "prefix");
    e.jobs_queue_url = text(o, "jobs_queue_url");
    e.dlq_url = text(o, "dlq_url");
    if (auto* users = o.if_contains("users"); users && users->is_object()) {
        for (const auto& [name, u] : users->as_object()) {
            if (!u.is_object()) continue;
            e.users[std::string(name)] = {text(u.as_object(), "access_key_id"), text(u.as_object(), "secret_access_key"), ""};
        }
    }
    if (e.endpoint.empty() || e.users.count("admin") == 0) {
        ADD_FAILURE() << dir << "/aws.json lacks the endpoint or the admin user";
        return std::nullopt;
    }
    return e;
}

std::shared_ptr<aws::AwsClient> AwsTestEnv::Client(const std::string& service, const std::string& user,
                                                   const std::string& endpoint_override) const {
    aws::ClientSettings s;
    s.service = service;
    s.region = region;
    s.endpoint = *aws::ParseEndpoint(endpoint_override.empty() ? endpoint : endpoint_override);
    s.connect_timeout_ms = 2000;
    s.request_timeout_ms = 10000;
    s.max_attempts = 2;
    auto it = users.find(user);
    EXPECT_NE(it, users.end()) << "no emulator user " << user;
    aws::Credentials c = it == users.end() ? aws::Credentials{} : it->second;
    return std::make_shared<aws::AwsClient>(s, std::make_shared<aws::StaticCredentials>(c));
}

std::map<std::string, std::string> AwsTestEnv::ProcessEnv(const std::string& user,
                                                          const std::string& endpoint_override) const {
    const aws::Credentials& c = users.at(user);
    return {{"AWS_ACCESS_KEY_ID", c.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", c.secret_access_key},
            {"AWS_REGION", region},
            {"AWS_ENDPOINT_URL", endpoint_override.empty() ? endpoint : endpoint_override}};
}

std::pair<std::string, std::string> AwsTestEnv::CreateQueue(const std::string& name, int max_receives,
                                                            int visibility_s) const {
    auto admin = Client("sqs", "admin");
    auto call = [&](const char* action, const json::object& body) {
        auto r = store::SqsCall(*admin, action, json::serialize(body));
        EXPECT_TRUE(r) << action << ": " << r.error().ToString();
        boost::system::error_code ec;
        auto v = json::parse(r ? *r : std::string("{}"), ec);
        return ec || !v.is_object() ? json::object{} : v.as_object();
    };
    auto dlq = call("CreateQueue", {{"QueueName", name + "-dlq"}});
    std::string dlq_url = dlq.contains("QueueUrl") ? std::string(dlq.at("QueueUrl").as_string()) : "";
    auto attrs = call("GetQueueAttributes", {{"QueueUrl", dlq_url}, {"AttributeNames", json::array{"QueueArn"}}});
    std::string arn;
    if (auto* a = attrs.if_contains("Attributes"); a && a->is_object() && a->as_object().contains("QueueArn")) {
        arn = std::string(a->as_object().at("QueueArn").as_string());
    }
    json::object redrive{{"deadLetterTargetArn", arn}, {"maxReceiveCount", std::to_string(max_receives)}};
    auto q = call("CreateQueue", {{"QueueName", name},
                                  {"Attributes", json::object{{"RedrivePolicy", json::serialize(redrive)},
                                                              {"VisibilityTimeout", std::to_string(visibility_s)}}}});
    std::string url = q.contains("QueueUrl") ? std::string(q.at("QueueUrl").as_string()) : "";
    return {url, dlq_url};
}

size_t AwsTestEnv::PendingMultipartUploads(const store::S3ObjectStore& store) const {
    auto req = store.Request("GET", "");
    if (store.PathStyle()) req.path = "/" + store.settings().bucket;
    req.query = {{"uploads", ""}, {"prefix", store.settings().prefix}};
    auto r = Client("s3", "admin")->Send(req);
    EXPECT_TRUE(r && r->ok()) << (r ? r->error_code : r.error().ToString());
    if (!r || !r->ok()) return 0;
    auto doc = aws::ParseXml(r->body);
    EXPECT_TRUE(doc) << "ListMultipartUploads answered unreadable XML";
    return doc ? (*doc)->Children("Upload").size() : 0;
}

std::string AwsTestEnv::FreshPrefix() const {
    char bytes[6];
    core::RandomBytes(bytes, sizeof bytes);
    std::string token = core::HexEncode(std::string_view(bytes, sizeof bytes));
    return prefix + "t" + token + "/";
}

}  // namespace insightstream::testing
