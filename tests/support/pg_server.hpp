// A throwaway PostgreSQL server for tests: initdb in a temp directory, a Unix
// socket there only (no TCP port), stopped and removed by the destructor.
// Debian's postgresql-15 binaries; as root they run as the `postgres` user.
#pragma once

#include <string>

namespace oxios::test {

class PgServer {
public:
    PgServer();   // initdb + start; throws std::runtime_error with the log's tail
    ~PgServer();  // immediate stop, directory removed
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    // libpq connection string of database `db` (superuser postgres, trust).
    std::string url(const std::string& db = "postgres") const;
    // A new empty database; returns its URL.
    std::string fresh_database();

    void stop();     // pg_ctl stop -m fast
    void start();    // pg_ctl start, waits until it accepts connections
    void restart();  // pg_ctl restart -m fast

    // The binaries are there (postgresql-15 installed).
    static bool available();

private:
    void run(const std::string& command) const;  // as the server's user; throws on failure

    std::string dir_, bin_;
    bool as_postgres_ = false;
    int databases_ = 0;
};

// One server for a whole test program, started on first use.
PgServer& shared_pg_server();

}  // namespace oxios::test
