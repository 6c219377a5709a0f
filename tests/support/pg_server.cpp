#include "support/pg_server.hpp"

#include <libpq-fe.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace oxios::test {

namespace fs = std::filesystem;

namespace {

std::string find_bin() {
    std::error_code ec;
    for (const char* v : {"15", "16", "17", "14", "13"}) {
        const std::string dir = std::string("/usr/lib/postgresql/") + v + "/bin";
        if (fs::exists(dir + "/initdb", ec) && fs::exists(dir + "/pg_ctl", ec)) return dir;
    }
    return {};
}

std::string tail(const std::string& file) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

bool PgServer::available() { return !find_bin().empty(); }

PgServer::PgServer() : bin_(find_bin()) {
    if (bin_.empty()) throw std::runtime_error("PostgreSQL binaries not found (apt-get install postgresql-15)");
    char tmpl[] = "/tmp/oxios-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    as_postgres_ = ::geteuid() == 0;  // initdb refuses to run as root
    if (as_postgres_) {
        const passwd* pw = ::getpwnam("postgres");
        if (pw == nullptr) throw std::runtime_error("no postgres user to run the test server as");
        if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
    run(bin_ + "/initdb --no-sync -A trust -U postgres -E UTF8 --locale=C -D " + dir_ + "/data > " + dir_ +
        "/initdb.log 2>&1");
    start();
}

PgServer::~PgServer() {
    try {
        run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop > /dev/null 2>&1");
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void PgServer::run(const std::string& command) const {
    const std::string full = as_postgres_ ? "runuser -u postgres -- sh -c '" + command + "'" : command;
    if (std::system(full.c_str()) != 0)
        throw std::runtime_error("failed: " + command + "\n" + tail(dir_ + "/initdb.log") + tail(dir_ + "/server.log"));
}

void PgServer::start() {
    // Unix socket in our directory only; fsync and synchronous_commit stay on.
    run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-k " + dir_ +
        " -p 5432 -c listen_addresses= -c max_connections=200\" start > /dev/null");
}

void PgServer::stop() { run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop > /dev/null"); }

void PgServer::restart() {
    run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -m fast -w -t 60 -o \"-k " + dir_ +
        " -p 5432 -c listen_addresses= -c max_connections=200\" restart > /dev/null");
}

std::string PgServer::url(const std::string& db) const {
    return "host=" + dir_ + " port=5432 user=postgres dbname=" + db;
}

std::string PgServer::fresh_database() {
    const std::string name = "t" + std::to_string(++databases_);
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(url().c_str()), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
    PGresult* r = PQexec(c.get(), ("CREATE DATABASE " + name).c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) throw std::runtime_error(PQerrorMessage(c.get()));
    return url(name);
}

PgServer& shared_pg_server() {
    static PgServer server;
    return server;
}

}  // namespace oxios::test
