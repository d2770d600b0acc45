// The authorization matrix: every route of the real route table × every kind of caller (each
// role, a read and a write API key) × own / other tenant × missing, expired and garbage tokens,
// each with the exact status expected. The cases are keyed by the route table: a route added
// without a row here fails the test, so no route can skip the matrix. The application runs in
// process but is spoken to over real HTTP, on SQLite and on PostgreSQL (as the non-owner role).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <set>
#include <thread>

#include "app/app.hpp"
#include "auth/jwt.hpp"
#include "auth/token_keys.hpp"
#include "support/db_fixture.hpp"
#include "support/http_client.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;
using core::Role;

struct Req {
    std::string target;
    std::string body;
    std::string content_type = "application/json";
};

struct Caller {
    std::string name;
    std::string token;
    Role role;
    bool read_only = false;
};

class World {
public:
    explicit World(uint16_t port) : c(port) {}
    HttpClient c;
    std::string owner_a, owner_b;
    std::vector<Caller> callers;
    std::string dataset_b, member_b, key_b, org_a;
    int counter = 0;

    std::string Unique(const std::string& what) { return what + std::to_string(++counter); }
    json::value Ok(const HttpResult& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        return r.body.empty() ? json::value() : r.Json();
    }
    std::string SignUp(const std::string& email) {
        auto r = c.PostJson("/api/v1/auth/signup",
                            json::serialize(json::object{{"organization", "Org " + email},
                                                         {"email", email},
                                                         {"password", "correct horse battery"}}));
        return std::string(Ok(r, 201).at("access_token").as_string());
    }
    std::string NewMember(const std::string& owner, const std::string& role, std::string* token = nullptr) {
        std::string email = Unique("member") + "_" + role + "@example.com";
        auto r = c.PostJson("/api/v1/users",
                            json::serialize(json::object{{"email", email}, {"role", role}, {"password", "member password 1"}}),
                            Bearer(owner));
        std::string id(Ok(r, 201).at("id").as_string());
        if (token) {
            auto l = c.PostJson("/api/v1/auth/login",
                                json::serialize(json::object{{"email", email}, {"password", "member password 1"}}));
            *token = std::string(Ok(l, 200).at("access_token").as_string());
        }
        return id;
    }
    std::string NewDataset(const std::string& owner) {
        auto r = c.Post("/api/v1/datasets?name=" + Unique("d") + "&format=csv", "a,b\n1,2\n",
                        {{"Authorization", "Bearer " + owner}, {"Content-Type", "text/csv"}});
        return std::string(Ok(r, 202).at("id").as_string());
    }
    // A dataset of A that has been processed (made once, reused by the read-only insight routes).
    std::string ReadyDataset() {
        if (!ready_a.empty()) return ready_a;
        auto r = c.Post("/api/v1/datasets?name=ready&format=csv", "d,k,v\n2024-01-01,a,1\n2024-02-01,b,2\n",
                        {{"Authorization", "Bearer " + owner_a}, {"Content-Type", "text/csv"}});
        ready_a = std::string(Ok(r, 202).at("id").as_string());
        for (int i = 0; i < 600; ++i) {
            auto d = c.Get("/api/v1/datasets/" + ready_a, Bearer(owner_a)).Json();
            if (d.at("status") == "ready") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return ready_a;
    }
    std::string ready_a;
    // A dataset of A whose latest version is processed (reprocessing needs one; each call a new one).
    std::string ProcessedDataset() {
        auto r = c.Post("/api/v1/datasets?name=" + Unique("p") + "&format=csv", "k,v\na,1\n",
                        {{"Authorization", "Bearer " + owner_a}, {"Content-Type", "text/csv"}});
        std::string id(Ok(r, 202).at("id").as_string());
        for (int i = 0; i < 600; ++i) {
            auto d = c.Get("/api/v1/datasets/" + id, Bearer(owner_a)).Json();
            if (d.at("status") == "ready") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return id;
    }
    std::string NewKey(const std::string& owner, bool write, std::string* secret = nullptr) {
        auto r = c.PostJson("/api/v1/api-keys",
                            write ? R"({"name":"k","scopes":["read","write"]})" : R"({"name":"k","scopes":["read"]})",
                            Bearer(owner));
        auto j = Ok(r, 201);
        if (secret) *secret = std::string(j.at("key").as_string());
        return std::string(j.at("id").as_string());
    }
};

// The specification: who may call each route (independent of the route table, which is checked
// against it), the status a permitted call answers, and how to build the call.
struct Spec {
    Role min_role;
    bool writes;
    int ok_status;  // for POST /me/password a 400 (a new password too short): authorized, then validated
    // Builds the request; `other` asks for a resource of the other tenant (routes with {id} only).
    std::function<Req(World&, bool other)> make;
    bool users_only = false;  // API keys get 403 whatever their scope
};

std::map<std::pair<std::string, std::string>, Spec> Specs() {
    std::map<std::pair<std::string, std::string>, Spec> s;
    s[{"GET", "/api/v1/me"}] = {Role::kViewer, false, 200, [](World&, bool) { return Req{"/api/v1/me"}; }};
    s[{"GET", "/api/v1/datasets"}] = {Role::kViewer, false, 200, [](World&, bool) { return Req{"/api/v1/datasets"}; }};
    s[{"POST", "/api/v1/datasets"}] = {Role::kAnalyst, true, 202, [](World& w, bool) {
        return Req{"/api/v1/datasets?name=" + w.Unique("m") + "&format=csv", "a\n1\n", "text/csv"};
    }};
    s[{"GET", "/api/v1/datasets/{id}"}] = {Role::kViewer, false, 200, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.NewDataset(w.owner_a))};
    }};
    s[{"DELETE", "/api/v1/datasets/{id}"}] = {Role::kAnalyst, true, 204, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.NewDataset(w.owner_a))};
    }};
    s[{"POST", "/api/v1/datasets/{id}/versions"}] = {Role::kAnalyst, true, 202, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.NewDataset(w.owner_a)) + "/versions", "a\n2\n",
                   "text/csv"};
    }};
    s[{"POST", "/api/v1/datasets/{id}/reprocess"}] = {Role::kAnalyst, true, 202, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.ProcessedDataset()) + "/reprocess",
                   R"({"types":{"v":"decimal"}})", "application/json"};
    }};
    s[{"GET", "/api/v1/datasets/{id}/errors"}] = {Role::kViewer, false, 200, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.NewDataset(w.owner_a)) + "/errors"};
    }};
    // Insights need a processed version: the matrix waits for its datasets to be ready.
    for (const char* kind : {"schema", "summary", "timeseries", "groups", "breakdown", "events"}) {
        std::string query = std::string(kind) == "groups" || std::string(kind) == "breakdown" ? "?dimension=k" : "";
        s[{"GET", std::string("/api/v1/datasets/{id}/") + kind}] = {Role::kViewer, false, 200, [kind, query](World& w, bool other) {
            return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.ReadyDataset()) + "/" + kind + query};
        }};
    }
    // The snapshot: exported, and asked questions of (a read, whatever the method).
    s[{"GET", "/api/v1/datasets/{id}/export"}] = {Role::kViewer, false, 200, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.ReadyDataset()) + "/export?format=parquet"};
    }};
    s[{"POST", "/api/v1/datasets/{id}/query"}] = {Role::kViewer, false, 200, [](World& w, bool other) {
        return Req{"/api/v1/datasets/" + (other ? w.dataset_b : w.ReadyDataset()) + "/query",
                   R"({"group_by":["k"],"measures":[{"agg":"count"}]})"};
    }};
    s[{"GET", "/api/v1/users"}] = {Role::kAdmin, false, 200, [](World&, bool) { return Req{"/api/v1/users"}; }};
    s[{"POST", "/api/v1/users"}] = {Role::kAdmin, true, 201, [](World& w, bool) {
        return Req{"/api/v1/users", json::serialize(json::object{{"email", w.Unique("new") + "@example.com"},
                                                                 {"role", "viewer"},
                                                                 {"password", "member password 1"}})};
    }};
    s[{"PATCH", "/api/v1/users/{id}"}] = {Role::kAdmin, true, 200, [](World& w, bool other) {
        return Req{"/api/v1/users/" + (other ? w.member_b : w.NewMember(w.owner_a, "analyst")), R"({"role":"viewer"})"};
    }};
    s[{"DELETE", "/api/v1/users/{id}"}] = {Role::kAdmin, true, 204, [](World& w, bool other) {
        return Req{"/api/v1/users/" + (other ? w.member_b : w.NewMember(w.owner_a, "viewer"))};
    }};
    s[{"GET", "/api/v1/api-keys"}] = {Role::kAdmin, false, 200, [](World&, bool) { return Req{"/api/v1/api-keys"}; }};
    s[{"POST", "/api/v1/api-keys"}] = {Role::kAdmin, true, 201,
                                       [](World&, bool) { return Req{"/api/v1/api-keys", R"({"name":"m","scopes":["read"]})"}; }};
    s[{"DELETE", "/api/v1/api-keys/{id}"}] = {Role::kAdmin, true, 204, [](World& w, bool other) {
        return Req{"/api/v1/api-keys/" + (other ? w.key_b : w.NewKey(w.owner_a, false))};
    }};
    s[{"POST", "/api/v1/users/{id}/password"}] = {Role::kAdmin, true, 204, [](World& w, bool other) {
        return Req{"/api/v1/users/" + (other ? w.member_b : w.NewMember(w.owner_a, "viewer")) + "/password",
                   R"({"password":"a new password 2"})"};
    }};
    s[{"GET", "/api/v1/audit"}] = {Role::kAdmin, false, 200, [](World&, bool) { return Req{"/api/v1/audit"}; }};
    s[{"POST", "/api/v1/me/password"}] = {
        Role::kViewer, true, 400,
        [](World&, bool) { return Req{"/api/v1/me/password", R"({"current_password":"x","new_password":"short"})"}; },
        true};
    // Switching to the caller's own organization: a new session, nothing else changes.
    s[{"POST", "/api/v1/auth/switch"}] = {
        Role::kViewer, false, 200,
        [](World& w, bool) { return Req{"/api/v1/auth/switch", json::serialize(json::object{{"organization", w.org_a}})}; },
        true};
    return s;
}

// Routes anyone may call, with the status an anonymous, well-formed call gets.
std::map<std::pair<std::string, std::string>, std::function<int(World&)>> PublicRoutes() {
    std::map<std::pair<std::string, std::string>, std::function<int(World&)>> p;
    auto get = [](const char* path) { return [path](World& w) { return w.c.Get(path).status; }; };
    p[{"GET", "/healthz"}] = get("/healthz");
    p[{"GET", "/readyz"}] = get("/readyz");
    p[{"GET", "/metrics"}] = get("/metrics");
    p[{"GET", "/.well-known/jwks.json"}] = get("/.well-known/jwks.json");
    p[{"GET", "/api/v1/openapi.json"}] = get("/api/v1/openapi.json");
    p[{"POST", "/api/v1/auth/signup"}] = [](World& w) {
        return w.c.PostJson("/api/v1/auth/signup",
                            json::serialize(json::object{{"organization", "P"},
                                                         {"email", w.Unique("pub") + "@example.com"},
                                                         {"password", "correct horse battery"}}))
            .status;
    };
    p[{"POST", "/api/v1/auth/login"}] = [](World& w) {
        return w.c.PostJson("/api/v1/auth/login", R"({"email":"nobody@example.com","password":"whatever it is"})").status;
    };
    p[{"POST", "/api/v1/auth/refresh"}] = [](World& w) { return w.c.PostJson("/api/v1/auth/refresh", "{}").status; };
    p[{"POST", "/api/v1/auth/logout"}] = [](World& w) { return w.c.PostJson("/api/v1/auth/logout", "{}").status; };
    return p;
}
const std::map<std::pair<std::string, std::string>, int> kPublicStatus = {
    {{"GET", "/healthz"}, 200},          {{"GET", "/readyz"}, 200},
    {{"GET", "/metrics"}, 200},          {{"GET", "/.well-known/jwks.json"}, 200},
    {{"GET", "/api/v1/openapi.json"}, 200},
    {{"POST", "/api/v1/auth/signup"}, 201}, {{"POST", "/api/v1/auth/login"}, 401},
    {{"POST", "/api/v1/auth/refresh"}, 401}, {{"POST", "/api/v1/auth/logout"}, 401}};

class AuthorizationMatrix : public ::testing::TestWithParam<std::string> {};

TEST_P(AuthorizationMatrix, EveryRouteEveryCallerEveryTenantEveryBadToken) {
    TempDir dir;
    app::Config cfg;
    cfg.command = "all";
    cfg.listen_host = "127.0.0.1";
    cfg.listen_port = 0;
    cfg.data_dir = dir.path().string();
    cfg.database = "sqlite:" + (dir.path() / "db.sqlite").string();
    cfg.objects = "file:" + (dir.path() / "objects").string();
    cfg.jwt_keys_dir = (dir.path() / "keys").string();
    cfg.io_threads = 2;
    cfg.handler_threads = 8;
    cfg.login_rate_limit = 100000;
    cfg.signup_rate_limit = 100000;
    cfg.quota_uploads_per_minute = 100000;
    cfg.shutdown_grace_s = 5;
    if (GetParam() == "postgres") {
        if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
        std::string schema;
        app::Config migrate = cfg;
        migrate.command = "migrate";
        migrate.database = FreshPostgresSchema(*PostgresAdminUrl(), &schema);
        ASSERT_TRUE(app::Application::Create(migrate));
        cfg.database = WithSearchPath(*PostgresAppUrl(), schema);
        cfg.migrate = false;
    }
    auto created = app::Application::Create(cfg);
    ASSERT_TRUE(created) << created.error().ToString();
    auto& application = **created;
    auto port = application.Start();
    ASSERT_TRUE(port);
    World w(*port);

    // Two organizations; A has one caller of every kind.
    w.owner_a = w.SignUp("owner-a@example.com");
    w.owner_b = w.SignUp("owner-b@example.com");
    w.callers.push_back({"owner", w.owner_a, Role::kOwner});
    for (auto [name, role] : {std::pair{"admin", Role::kAdmin}, {"analyst", Role::kAnalyst}, {"viewer", Role::kViewer}}) {
        std::string token;
        w.NewMember(w.owner_a, name, &token);
        w.callers.push_back({name, token, role});
    }
    std::string read_key, write_key;
    w.NewKey(w.owner_a, false, &read_key);
    w.NewKey(w.owner_a, true, &write_key);
    w.callers.push_back({"read key", read_key, Role::kViewer, true});
    w.callers.push_back({"write key", write_key, Role::kAnalyst, false});
    w.dataset_b = w.NewDataset(w.owner_b);
    // B's dataset must be ready too, so "not found" is about the tenant, not the processing.
    for (int i = 0; i < 600; ++i) {
        if (w.c.Get("/api/v1/datasets/" + w.dataset_b, Bearer(w.owner_b)).Json().at("status") == "ready") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    w.member_b = w.NewMember(w.owner_b, "analyst");
    w.key_b = w.NewKey(w.owner_b, false);
    w.org_a = std::string(w.c.Get("/api/v1/me", Bearer(w.owner_a)).Json().at("organization").at("id").as_string());

    // One person in both organizations: a viewer of A and the second owner of B, with one password.
    // Signed in to A, they are A's viewer everywhere in the matrix, and B's resources are 404.
    for (auto [owner, role] : {std::pair{w.owner_a, "viewer"}, {w.owner_b, "owner"}}) {
        w.Ok(w.c.PostJson("/api/v1/users",
                          json::serialize(json::object{{"email", "both@example.com"}, {"role", role},
                                                       {"password", "one password for both"}}),
                          Bearer(owner)),
             201);
    }
    auto both = w.Ok(w.c.PostJson("/api/v1/auth/login", json::serialize(json::object{{"email", "both@example.com"},
                                                                                    {"password", "one password for both"},
                                                                                    {"organization", w.org_a}})),
                     200);
    EXPECT_EQ(both.at("organization").at("id"), json::value(w.org_a));
    EXPECT_EQ(both.at("user").at("role"), "viewer");
    EXPECT_EQ(both.at("organizations").as_array().size(), 2U);
    std::string both_a(both.at("access_token").as_string());
    w.callers.push_back({"viewer of A who owns B", both_a, Role::kViewer});

    // An expired but otherwise perfect token of A's owner, signed with the server's own key.
    auto keys = auth::KeyRing::LoadDir(cfg.jwt_keys_dir, false);
    ASSERT_TRUE(keys);
    FakeClock past(core::SystemClock().NowMs() - 3600 * 1000);
    auto me = w.c.Get("/api/v1/me", Bearer(w.owner_a)).Json();
    std::string expired = *auth::JwtCodec(**keys, past, {}).Issue(
        core::TenantId(std::string(me.at("organization").at("id").as_string())),
        core::UserId(std::string(me.at("user").at("id").as_string())), Role::kOwner);
    const std::vector<std::pair<std::string, std::optional<std::string>>> bad_tokens{
        {"no token", std::nullopt}, {"expired token", expired}, {"garbage token", "garbage.token.here"}};

    auto specs = Specs();
    auto publics = PublicRoutes();
    int checked = 0;
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& route : application.router().routes()) {
        std::pair<std::string, std::string> key{route.method, route.pattern};
        seen.insert(key);
        SCOPED_TRACE(route.method + " " + route.pattern);
        if (route.options.access == http::Access::kPublic) {
            ASSERT_TRUE(publics.count(key)) << "a public route without a matrix row: make it authenticated or list it";
            EXPECT_EQ(publics[key](w), kPublicStatus.at(key));
            ++checked;
            continue;
        }
        ASSERT_TRUE(specs.count(key)) << "an authenticated route without a matrix row";
        const Spec& spec = specs[key];
        EXPECT_EQ(core::MinRole(route.options.permission), spec.min_role) << "the route table disagrees with the spec";
        EXPECT_EQ(route.options.writes, spec.writes);
        auto send = [&](const Req& r, const std::optional<std::string>& token) {
            std::vector<std::pair<std::string, std::string>> h;
            if (token) h.emplace_back("Authorization", "Bearer " + *token);
            if (!r.body.empty() || route.method == "POST" || route.method == "PATCH") {
                h.emplace_back("Content-Type", r.content_type);
            }
            return w.c.Request(route.method, r.target, r.body, h);
        };
        for (const auto& caller : w.callers) {
            bool is_key = caller.name.find("key") != std::string::npos;
            bool allowed = static_cast<int>(caller.role) >= static_cast<int>(spec.min_role) &&
                           !(spec.writes && caller.read_only) && !(spec.users_only && is_key);
            auto r = send(spec.make(w, false), caller.token);
            EXPECT_EQ(r.status, allowed ? spec.ok_status : 403) << caller.name << ": " << r.body;
            ++checked;
        }
        if (route.pattern.find("{id}") != std::string::npos) {
            auto r = send(spec.make(w, true), w.owner_a);
            EXPECT_EQ(r.status, 404) << "another tenant's resource: " << r.body;
            // The two-organization member signed in to A: B's resources are out of reach even for
            // B's owner, while the session is A's (403 where a viewer may not, 404 otherwise).
            auto r2 = send(spec.make(w, true), both_a);
            EXPECT_EQ(r2.status, spec.min_role == Role::kViewer ? 404 : 403)
                << "another tenant's resource, as its owner signed in elsewhere: " << r2.body;
            checked += 2;
        }
        for (const auto& [what, token] : bad_tokens) {
            auto r = send(spec.make(w, false), token);
            EXPECT_EQ(r.status, 401) << what << ": " << r.body;
            ++checked;
        }
    }
    for (const auto& [key, _] : specs) EXPECT_TRUE(seen.count(key)) << "a spec row for a route that does not exist: " << key.second;
    // Every route is in the OpenAPI document, with its method.
    auto doc = json::parse(w.c.Get("/api/v1/openapi.json").body).as_object();
    for (const auto& route : application.router().routes()) {
        std::string method = route.method;
        std::transform(method.begin(), method.end(), method.begin(), [](unsigned char ch) { return std::tolower(ch); });
        const auto* path = doc.at("paths").as_object().if_contains(route.pattern);
        ASSERT_NE(path, nullptr) << route.pattern << " is missing from the OpenAPI document";
        EXPECT_TRUE(path->as_object().contains(method)) << route.method << " " << route.pattern << " is not documented";
    }
    std::printf("authorization matrix: %zu routes, %d checks\n", application.router().routes().size(), checked);
    RecordProperty("matrix_checks", checked);
    application.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthorizationMatrix, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
