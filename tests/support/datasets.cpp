#include "support/datasets.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

namespace insightstream::testing {

std::string SalesCsv(int rows) {
    std::string s = "order_id,order_date,region,product,quantity,revenue\n";
    const char* regions[] = {"North", "South", "East", "West"};
    for (int i = 0; i < rows; ++i) {
        s += std::to_string(1000 + i) + ",2024-" + (i % 12 < 9 ? "0" : "") + std::to_string(i % 12 + 1) + "-" +
             (i % 28 < 9 ? "0" : "") + std::to_string(i % 28 + 1) + "," + regions[i % 4] + ",\"Widget, " +
             std::to_string(i % 7) + "\"," + std::to_string(i % 5 + 1) + "," + std::to_string(i % 100) + "." +
             std::to_string(10 + i % 90) + "\n";
    }
    return s;
}

HttpResult UploadRaw(const HttpClient& c, const std::string& token, const std::string& body, const std::string& query,
                     const std::string& content_type) {
    Headers h = Bearer(token);
    h.emplace_back("Content-Type", content_type);
    return c.Post("/api/v1/datasets" + query, body, h);
}

HttpResult UploadMultipart(const HttpClient& c, const std::string& token, const std::string& filename,
                           const std::string& body, const std::string& target) {
    std::string boundary = "----isTestBoundary7MA4YWxkTrZu0gW";
    std::string payload = "--" + boundary +
                          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                          "\"\r\nContent-Type: text/csv\r\n\r\n" + body + "\r\n--" + boundary + "--\r\n";
    Headers h = Bearer(token);
    h.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
    return c.Post(target, payload, h);
}

boost::json::value WaitForStatus(const HttpClient& c, const std::string& token, const std::string& id,
                                 const std::string& status, int timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    boost::json::value last;
    for (;;) {
        auto r = c.Get("/api/v1/datasets/" + id, Bearer(token));
        if (r.status == 200) {
            last = r.Json();
            // "ready" is waited for with its snapshot settled (written or failed a moment after
            // ready): what a test does next may read it (export, query).
            bool writing = status == "ready" && last.at("snapshot").is_object() &&
                           last.at("snapshot").at("status") == "writing";
            if (last.at("status").as_string() == status && !writing) return last;
            if (last.at("status").as_string() == "failed" && status != "failed") {
                ADD_FAILURE() << "dataset failed: " << r.body;
                return last;
            }
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ADD_FAILURE() << "dataset " << id << " did not become " << status << "; last: " << r.status << " "
                          << r.body;
            return last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace insightstream::testing
