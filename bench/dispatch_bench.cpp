// P2: the cost of one request dispatched through the ABI in process, through
// the mock host harness (no socket): GET /health repeated, ns per request.
// With BASE.so BASE_TARGET, batches alternate with the same dispatch to that
// plugin (the baseline: the smallest plugin, tests/fixtures' good_fixture).
//
//   oxios-bench-dispatch PLUGIN.so [REQUESTS_PER_BATCH] [BATCHES] [TARGET] [BASE.so BASE_TARGET]
// Prints "ns_per_request <median over batches> min <fastest> max <slowest>
// base_ns <baseline's median>".
#include "mock_host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: oxios-bench-dispatch PLUGIN.so [REQUESTS] [BATCHES] [TARGET] [BASE.so BASE_TARGET]\n");
        return 2;
    }
    const long n = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 200000;
    const long batches = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 5;
    const std::string target = argc > 4 ? argv[4] : "/health";
    if (n <= 0 || batches <= 0) return 2;
    struct Side {
        oxios::harness::MockHost host;
        oxios::harness::Request req;
        std::vector<double> per_request;
    };
    Side sides[2];
    const bool with_base = argc > 6;
    try {
        for (int k = 0; k < (with_base ? 2 : 1); ++k) {
            sides[k].host.set_config(R"({"security":{"rate_limit_per_minute":0}})");
            sides[k].host.load(argv[k == 0 ? 1 : 5]);
            sides[k].req.method = "GET";
            sides[k].req.target = k == 0 ? target : argv[6];
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-dispatch: %s\n", e.what());
        return 1;
    }
    // Warm-up (caches, lazy initialisation), and a correctness check.
    for (int k = 0; k < (with_base ? 2 : 1); ++k)
        for (long i = 0; i < std::min<long>(n, 10000); ++i) {
            auto r = sides[k].host.request(sides[k].req);
            if (r.status != 200) {
                std::fprintf(stderr, "oxios-bench-dispatch: %s answered %d\n", sides[k].req.target.c_str(), r.status);
                return 1;
            }
        }
    for (long b = 0; b < batches; ++b)
        for (int k = 0; k < (with_base ? 2 : 1); ++k) {
            auto& side = sides[k];
            long bad = 0;
            const auto t0 = std::chrono::steady_clock::now();
            for (long i = 0; i < n; ++i) bad += side.host.request(side.req).status != 200;
            const auto t1 = std::chrono::steady_clock::now();
            if (bad != 0) {
                std::fprintf(stderr, "oxios-bench-dispatch: %ld requests failed\n", bad);
                return 1;
            }
            side.per_request.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() /
                                       static_cast<double>(n));
        }
    auto median = [](std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const auto& mine = sides[0].per_request;
    std::printf("ns_per_request %.0f min %.0f max %.0f base_ns %.0f\n", median(mine),
                *std::min_element(mine.begin(), mine.end()), *std::max_element(mine.begin(), mine.end()),
                median(sides[1].per_request));
    return 0;
}
