// The approval routes' id checks on the real host.
#include "host_process.hpp"

#include <doctest/doctest.h>

#include <string>

using oxios::test::HostProcess;

TEST_CASE("approve and reject: a malformed id is 400, a well-formed one not pending is 404") {
    HostProcess host;
    auto c = host.client();
    for (const std::string action : {"approve", "reject"}) {
        CAPTURE(action);
        auto bad = c.Post("/api/approvals/not-a-uuid/" + action, "", "application/json");
        REQUIRE(bad);
        CHECK(bad->status == 400);
        CHECK(bad->body == R"({"error":"invalid approval id: expected a UUID"})");
        auto unknown = c.Post("/api/approvals/3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6f/" + action, "", "application/json");
        REQUIRE(unknown);
        CHECK(unknown->status == 404);
        CHECK(unknown->body == R"({"error":"approval not found or not pending"})");
    }
}
