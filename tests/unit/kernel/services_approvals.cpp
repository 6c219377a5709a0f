// approvals.request / list / approve / reject.
#include "services_test_support.hpp"

#include <doctest/doctest.h>

using namespace services_test;

namespace {

std::string request(Fixture& f, const char* subject = "agent-1") {
    auto doc = f.ok("approvals.request", Args()
                                             .set("subject", subject)
                                             .set("action", "exec")
                                             .set("resource", "/bin/ls")
                                             .set("reason", "needs a listing"));
    CHECK(std::string(doc["status"].GetString()) == "pending");
    return doc["id"].GetString();
}

}  // namespace

TEST_CASE("approvals: request, list, approve, reject") {
    Fixture f;
    CHECK(f.ok("approvals.list", Args()).Size() == 0);

    std::string a = request(f, "first");
    f.now += 1000;
    std::string b = request(f, "second");
    REQUIRE(f.events.size() == 2);
    CHECK(f.events[0].type == "approval_requested");
    CHECK(std::string(parse(f.events[0].fields)["approval_id"].GetString()) == a);

    auto list = f.ok("approvals.list", Args());
    REQUIRE(list.Size() == 2);
    CHECK(std::string(list[0]["id"].GetString()) == b);  // newest first
    const auto& first = list[1];
    CHECK(std::string(first["id"].GetString()) == a);
    CHECK(std::string(first["subject"].GetString()) == "first");
    CHECK(std::string(first["action"].GetString()) == "exec");
    CHECK(std::string(first["resource"].GetString()) == "/bin/ls");
    CHECK(std::string(first["reason"].GetString()) == "needs a listing");
    CHECK(std::string(first["created_at"].GetString()) == "2026-05-28T20:26:40.000000Z");
    CHECK(std::string(first["status"].GetString()) == "pending");

    auto ok = f.ok("approvals.approve", Args().set("id", a));
    CHECK(std::string(ok["status"].GetString()) == "approved");
    CHECK(std::string(ok["id"].GetString()) == a);
    REQUIRE(f.events.size() == 3);
    CHECK(f.events[2].type == "approval_resolved");
    auto ev = parse(f.events[2].fields);
    CHECK(std::string(ev["approval_id"].GetString()) == a);
    CHECK(std::string(ev["status"].GetString()) == "approved");

    auto no = f.ok("approvals.reject", Args().set("id", b));
    CHECK(std::string(no["status"].GetString()) == "rejected");
    CHECK(f.events.size() == 4);

    auto after = f.ok("approvals.list", Args());
    CHECK(std::string(after[0]["status"].GetString()) == "rejected");
    CHECK(std::string(after[1]["status"].GetString()) == "approved");

    // Already resolved: NOT_FOUND, no event.
    Result twice = f.call("approvals.approve", Args().set("id", a));
    CHECK(twice.status == OXIOS_E_NOT_FOUND);
    CHECK(f.call("approvals.reject", Args().set("id", a)).status == OXIOS_E_NOT_FOUND);
    CHECK(f.events.size() == 4);
}

TEST_CASE("approvals: bad and unknown ids, missing fields") {
    Fixture f;
    for (const char* m : {"approvals.approve", "approvals.reject"}) {
        INFO(m);
        CHECK(f.call(m, Args().set("id", "../x")).status == OXIOS_E_INVALID);
        CHECK(f.call(m, Args().set("id", "")).status == OXIOS_E_INVALID);
        CHECK(f.call(m, Args()).status == OXIOS_E_INVALID);
        // Not a UUID (approval ids are), even when a valid id otherwise.
        for (const char* bad : {"not-a-uuid", "00000000-0000-4000-8000-00000000000",
                                "00000000_0000-4000-8000-000000000000", "0000000g-0000-4000-8000-000000000000"}) {
            Result r = f.call(m, Args().set("id", bad));
            CHECK(r.status == OXIOS_E_INVALID);
            CHECK(error_of(r) == "invalid approval id: expected a UUID");
        }
        Result unknown = f.call(m, Args().set("id", "00000000-0000-4000-8000-000000000000"));
        CHECK(unknown.status == OXIOS_E_NOT_FOUND);
        CHECK(error_of(unknown) == "approval not found or not pending");
    }
    CHECK(f.call("approvals.request", Args().set("action", "exec")).status == OXIOS_E_INVALID);
    CHECK(f.call("approvals.request", Args().set("subject", "s")).status == OXIOS_E_INVALID);
    CHECK(f.call("approvals.request", R"({"subject":"s","action":3})").status == OXIOS_E_INVALID);
    CHECK(f.events.empty());
}

TEST_CASE("approvals: pending ones expire after an hour") {
    Fixture f;
    std::string old_id = request(f);
    f.now += int64_t{3600} * 1000000 - 1;
    CHECK(std::string(f.ok("approvals.list", Args())[0]["status"].GetString()) == "pending");
    std::string fresh = request(f);
    f.now += 2;
    auto list = f.ok("approvals.list", Args());
    CHECK(std::string(list[1]["status"].GetString()) == "expired");
    CHECK(std::string(list[0]["status"].GetString()) == "pending");
    CHECK(f.call("approvals.approve", Args().set("id", old_id)).status == OXIOS_E_NOT_FOUND);
    CHECK(f.ok("approvals.approve", Args().set("id", fresh))["status"].GetString() == std::string("approved"));
}
