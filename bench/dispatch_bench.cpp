// P2: the cost of one request dispatched through the ABI in process, through
// the mock host harness (no socket): GET /health repeated, ns per request.
//
//   oxios-bench-dispatch PLUGIN.so [REQUESTS_PER_BATCH] [BATCHES] [TARGET]
// Prints "ns_per_request <median over batches> min <fastest batch>".
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
        std::fprintf(stderr, "usage: oxios-bench-dispatch PLUGIN.so [REQUESTS] [BATCHES] [TARGET]\n");
        return 2;
    }
    const long n = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 200000;
    const long batches = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 5;
    const std::string target = argc > 4 ? argv[4] : "/health";
    if (n <= 0 || batches <= 0) return 2;
    oxios::harness::MockHost host;
    try {
        host.set_config(R"({"security":{"rate_limit_per_minute":0}})");
        host.load(argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oxios-bench-dispatch: %s\n", e.what());
        return 1;
    }
    oxios::harness::Request req;
    req.method = "GET";
    req.target = target;
    // Warm-up (caches, lazy initialisation), and a correctness check.
    for (long i = 0; i < std::min<long>(n, 10000); ++i) {
        auto r = host.request(req);
        if (r.status != 200) {
            std::fprintf(stderr, "oxios-bench-dispatch: %s answered %d\n", target.c_str(), r.status);
            return 1;
        }
    }
    std::vector<double> per_request;
    for (long b = 0; b < batches; ++b) {
        long bad = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < n; ++i) bad += host.request(req).status != 200;
        const auto t1 = std::chrono::steady_clock::now();
        if (bad != 0) {
            std::fprintf(stderr, "oxios-bench-dispatch: %ld requests failed\n", bad);
            return 1;
        }
        per_request.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n));
    }
    std::sort(per_request.begin(), per_request.end());
    std::printf("ns_per_request %.0f min %.0f\n", per_request[per_request.size() / 2], per_request.front());
    return 0;
}
