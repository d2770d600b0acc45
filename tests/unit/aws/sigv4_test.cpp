// SigV4 against an independent signer: botocore's (installed with the machine image's Python),
// over a few hundred requests varied in method, service, path (spaces, unicode, reserved
// characters), query (repeated keys, empty values, characters that need encoding), headers
// (session tokens, runs of spaces, mixed case) and payload (hashed, UNSIGNED-PAYLOAD, empty).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>

#include "aws/sigv4.hpp"
#include "core/crypto.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

TEST(SigV4, TheAwsDocumentationExampleSignsAsDocumented) {
    // The GET of "Signature Version 4 signing process" examples (IAM ListUsers, 2015-08-30).
    aws::SignableRequest r;
    r.method = "GET";
    r.encoded_path = "/";
    r.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"Host", "iam.amazonaws.com"},
                 {"X-Amz-Date", "20150830T123600Z"}};
    r.payload_sha256_hex = core::Sha256Hex("");
    aws::SigningScope scope{"us-east-1", "iam", "20150830T123600Z"};
    aws::Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    EXPECT_EQ(aws::Authorization(r, scope, creds),
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
              "SignedHeaders=content-type;host;x-amz-date, "
              "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, MatchesBotocoreOnHundredsOfVariedRequests) {
    if (std::system("python3 -c 'import botocore' 2>/dev/null") != 0) {
        FAIL() << "botocore is missing: it comes with the machine image's Python (pip install botocore elsewhere)";
    }
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    auto next = [&](uint64_t n) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return static_cast<size_t>(seed % n);
    };
    const std::vector<std::string> methods{"GET", "PUT", "POST", "DELETE", "HEAD"};
    const std::vector<std::string> segments{"bucket", "a b", "\xC3\xBC" "ber.csv", "x+y", "semi;colon", "~tilde", "q?mark",
                                            "per%cent", "emoji\xF0\x9F\x93\x88", "tenants", "v1", "UPPER_lower-09"};
    const std::vector<std::string> keys{"prefix", "list-type", "continuation-token", "uploadId", "partNumber", "a", "A",
                                        "x y", "empty", "\xC3\xA9t\xC3\xA9"};
    const std::vector<std::string> values{"", "2", "a b", "x=y&z", "/slash/", "\xC3\xA9", "~._-", "+plus", "*star"};
    json::array requests;
    std::vector<aws::SignableRequest> ours;
    std::vector<aws::SigningScope> scopes;
    std::vector<aws::Credentials> creds;
    for (int i = 0; i < 300; ++i) {
        aws::SignableRequest r;
        aws::SigningScope scope{i % 3 == 0 ? "eu-west-1" : "us-east-1", i % 2 == 0 ? "s3" : "sqs",
                                "202611" + std::to_string(10 + next(18)) + "T0" + std::to_string(next(10)) + "1530Z"};
        aws::Credentials c{"AKIA" + std::to_string(100000 + i), "secret/" + std::to_string(i) + "+key",
                           i % 4 == 0 ? "session//token+" + std::to_string(i) : ""};
        r.method = methods[next(methods.size())];
        std::string raw_path;
        for (size_t s = 0, n = 1 + next(4); s < n; ++s) raw_path += "/" + segments[next(segments.size())];
        if (next(5) == 0) raw_path += "/";
        r.encoded_path = aws::UriEncode(raw_path, true);
        for (size_t q = 0, n = next(5); q < n; ++q) r.query.emplace_back(keys[next(keys.size())], values[next(values.size())]);
        std::string host = next(2) ? "127.0.0.1:" + std::to_string(4000 + next(1000)) : "bucket.s3.amazonaws.com";
        std::string body = r.method == "PUT" || r.method == "POST" ? "body " + std::to_string(i) + std::string(next(50), 'x') : "";
        r.headers = {{"Host", host}, {"X-Amz-Date", scope.amz_date}};
        if (!c.session_token.empty()) r.headers.emplace_back("X-Amz-Security-Token", c.session_token);
        if (next(2)) r.headers.emplace_back("Content-Type", next(2) ? "application/octet-stream" : "application/x-amz-json-1.0");
        if (next(3) == 0) r.headers.emplace_back("X-Amz-Meta-Note", "  runs   of  spaces  ");
        if (next(4) == 0) r.headers.emplace_back("x-amz-target", "AmazonSQS.ReceiveMessage");
        size_t payload = next(3);
        if (payload == 0) {
            r.headers.emplace_back("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
            r.payload_sha256_hex = "UNSIGNED-PAYLOAD";
        } else if (payload == 1) {
            r.headers.emplace_back("X-Amz-Content-SHA256", core::Sha256Hex(body));
            r.payload_sha256_hex = core::Sha256Hex(body);
        } else {
            r.payload_sha256_hex = core::Sha256Hex(body);  // hashed, without the header (SQS's way)
        }
        json::array query, headers;
        for (const auto& [k, v] : r.query) query.push_back(json::array{json::string(k), json::string(v)});
        for (const auto& [k, v] : r.headers) headers.push_back(json::array{json::string(k), json::string(v)});
        requests.push_back(json::object{{"method", r.method},     {"host", host},
                                        {"path", r.encoded_path}, {"query", query},
                                        {"headers", headers},     {"body", body},
                                        {"service", scope.service}, {"region", scope.region},
                                        {"amz_date", scope.amz_date}, {"access_key", c.access_key_id},
                                        {"secret_key", c.secret_access_key}, {"token", c.session_token}});
        ours.push_back(std::move(r));
        scopes.push_back(scope);
        creds.push_back(c);
    }
    TempDir dir;
    auto in = dir.path() / "requests.json";
    std::ofstream(in) << json::serialize(requests);
    std::string cmd = "python3 " INSIGHTSTREAM_TEST_DATA "/../support/botocore_sign.py " + in.string();
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::vector<std::string> theirs;
    char line[4096];
    while (std::fgets(line, sizeof line, p)) {
        std::string l(line);
        if (!l.empty() && l.back() == '\n') l.pop_back();
        theirs.push_back(l);
    }
    ASSERT_EQ(::pclose(p), 0);
    ASSERT_EQ(theirs.size(), ours.size());
    int same = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
        std::string mine = aws::Authorization(ours[i], scopes[i], creds[i]);
        if (mine == theirs[i]) {
            ++same;
        } else {
            ADD_FAILURE() << "request " << i << " " << ours[i].method << " " << ours[i].encoded_path << "\nours:   " << mine
                          << "\nbotocore: " << theirs[i] << "\ncanonical:\n" << aws::CanonicalRequest(ours[i], scopes[i]);
            if (same + 5 < static_cast<int>(i)) break;
        }
    }
    EXPECT_EQ(same, 300);
}

}  // namespace
}  // namespace insightstream::testing
