// oxios-harness: load a plugin into the mock host, list its routes, and
// optionally perform one request against it. For plugin authors.
//
//   oxios-harness [options] PLUGIN.so [METHOD TARGET [BODY]]
//
// Options:
//   -H 'Name: value'   add a request header (repeatable)
//   -c FILE            use FILE (JSON) as the host config
//   -q                 do not print the plugin's name and routes
//
// Exit status: 0 loaded (and the request, if any, answered below 400);
//              1 the plugin was refused, or the request answered >= 400;
//              2 usage error (bad arguments, unreadable config).
#include "mock_host.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

void usage(std::ostream& out) {
    out << "usage: oxios-harness [-H 'Name: value']... [-c config.json] [-q] PLUGIN.so [METHOD TARGET [BODY]]\n"
           "  Loads PLUGIN.so into the in-memory mock host (same C ABI as oxios-host),\n"
           "  prints its name, version and routes, and performs one request if given.\n"
           "  BODY '@file' reads the body from a file, '-' from stdin.\n"
           "  Env OXIOS_HARNESS_VERBOSE=1 prints the plugin's log lines.\n"
           "exit: 0 ok, 1 plugin refused or HTTP status >= 400, 2 usage error\n";
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using oxios::harness::MockHost;
    std::vector<std::string> pos;
    oxios::harness::Headers headers;
    std::string config_path;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(std::cout);
            return 0;
        } else if (a == "-H" && i + 1 < argc) {
            const std::string h = argv[++i];
            const auto colon = h.find(':');
            if (colon == std::string::npos || colon == 0) {
                std::cerr << "oxios-harness: bad header '" << h << "' (want 'Name: value')\n";
                return 2;
            }
            std::string value = h.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
            headers.emplace_back(h.substr(0, colon), value);
        } else if (a == "-c" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (a == "-q") {
            quiet = true;
        } else if (a.size() > 1 && a.front() == '-' && pos.size() < 3) {
            std::cerr << "oxios-harness: unknown option " << a << "\n";
            usage(std::cerr);
            return 2;
        } else {
            pos.push_back(a);
        }
    }
    if (pos.empty() || pos.size() == 2 || pos.size() > 4) {
        usage(std::cerr);
        return 2;
    }

    MockHost host;
    if (!config_path.empty()) {
        std::string cfg;
        if (!read_file(config_path, cfg)) {
            std::cerr << "oxios-harness: cannot read config " << config_path << "\n";
            return 2;
        }
        try {
            host.set_config(cfg);
        } catch (const std::exception& e) {
            std::cerr << "oxios-harness: config " << config_path << ": " << e.what() << "\n";
            return 2;
        }
    }

    try {
        host.load(pos[0]);
    } catch (const std::exception& e) {
        std::cerr << "oxios-harness: " << e.what() << "\n";
        return 1;
    }
    if (!quiet) {
        std::cout << "plugin: " << host.plugin_name() << " " << host.plugin_version() << "\n";
        const auto routes = host.routes();
        std::cout << "routes (" << routes.size() << "):\n";
        for (const auto& r : routes) std::cout << "  " << r << "\n";
    }
    if (pos.size() < 3) return 0;

    oxios::harness::Request req;
    req.method = pos[1];
    for (auto& c : req.method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    req.target = pos[2];
    req.headers = headers;
    if (pos.size() == 4) {
        const std::string& b = pos[3];
        if (b == "-") {
            std::ostringstream ss;
            ss << std::cin.rdbuf();
            req.body = ss.str();
        } else if (b.size() > 1 && b.front() == '@') {
            if (!read_file(b.substr(1), req.body)) {
                std::cerr << "oxios-harness: cannot read body file " << b.substr(1) << "\n";
                return 2;
            }
        } else {
            req.body = b;
        }
    }
    const auto resp = host.request(req);
    if (!quiet) std::cout << "\n";
    std::cout << "status: " << resp.status << "\n";
    std::cout << "content-type: " << resp.content_type << "\n";
    for (const auto& [n, v] : resp.headers) std::cout << n << ": " << v << "\n";
    std::cout << "\n" << resp.body;
    if (!resp.body.empty() && resp.body.back() != '\n') std::cout << "\n";
    std::cout.flush();
    return resp.status >= 400 ? 1 : 0;
}
