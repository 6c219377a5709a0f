// The P1 baseline: a bare cpp-httplib server answering GET /api/status with
// fixed bytes (captured from the real host), tuned the way the host is:
// TCP_NODELAY, a large keep-alive request count, a 1,024 listen backlog and a
// worker pool large enough that wrk's 50 keep-alive connections never queue
// behind each other. Prints "listening on http://127.0.0.1:PORT".
//
//   oxios-bench-bare BODY_FILE [CONTENT_TYPE] [THREADS]
#include <httplib.h>

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

class BareServer : public httplib::Server {
public:
    // cpp-httplib listens with a backlog of 5; widen it on the same socket.
    void widen_backlog(int backlog) { ::listen(svr_sock_, backlog); }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: oxios-bench-bare BODY_FILE [CONTENT_TYPE] [THREADS]\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "oxios-bench-bare: cannot read %s\n", argv[1]);
        return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string body = ss.str();
    const std::string content_type = argc > 2 ? argv[2] : "application/json";
    const size_t threads = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 64;

    BareServer svr;
    svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    svr.set_tcp_nodelay(true);
    svr.set_keep_alive_max_count(100000);
    svr.set_keep_alive_timeout(5);
    svr.Get("/api/status",
            [&](const httplib::Request&, httplib::Response& res) { res.set_content(body, content_type); });
    const int port = svr.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        std::fprintf(stderr, "oxios-bench-bare: cannot bind\n");
        return 1;
    }
    svr.widen_backlog(1024);
    std::printf("listening on http://127.0.0.1:%d\n", port);
    std::fflush(stdout);
    svr.listen_after_bind();
    return 0;
}
