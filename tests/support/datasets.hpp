// Helpers for tests that upload datasets through the API and wait for them to be processed.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "support/http_client.hpp"

namespace insightstream::testing {

/// A small deterministic sales CSV: a header and `rows` records.
std::string SalesCsv(int rows);

HttpResult UploadRaw(const HttpClient& c, const std::string& token, const std::string& body,
                     const std::string& query = "?name=sales&format=csv", const std::string& content_type = "text/csv");
HttpResult UploadMultipart(const HttpClient& c, const std::string& token, const std::string& filename,
                           const std::string& body, const std::string& target = "/api/v1/datasets");

/// Polls GET /api/v1/datasets/{id} until its status is `status` (or fails the test after the
/// deadline); returns the last answer. "ready" also waits for the snapshot, written just after,
/// to be settled (its `snapshot.status` no longer "writing").
boost::json::value WaitForStatus(const HttpClient& c, const std::string& token, const std::string& id,
                                 const std::string& status, int timeout_s = 60);

}  // namespace insightstream::testing
