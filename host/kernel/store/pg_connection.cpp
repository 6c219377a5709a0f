#include "store/pg_connection.hpp"

#include <charconv>
#include <cstring>

namespace oxios::kernel::pg {

std::string describe_url(const std::string& url) {
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
    if (options == nullptr) {
        std::string why = err != nullptr ? err : "out of memory";
        if (err != nullptr) PQfreemem(err);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        return "an invalid connection string (" + why + ")";
    }
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
        for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (std::strcmp(o->keyword, key) != 0 || o->val == nullptr || *o->val == '\0') continue;
            if (!out.empty()) out += ' ';
            out += std::string(key) + "=" + o->val;
        }
    }
    PQconninfoFree(options);
    return out.empty() ? "the default PostgreSQL server" : out;
}

namespace {

std::string trimmed(const char* message) {
    std::string s = message != nullptr ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

Connection::Connection(const std::string& url) : target_(describe_url(url)) {
    // Later keywords override earlier ones: the URL's own connect_timeout wins.
    const char* keys[] = {"connect_timeout", "dbname", "application_name", nullptr};
    const char* values[] = {"5", url.c_str(), "oxios-host", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr) throw Error("cannot connect to PostgreSQL at " + target_ + ": out of memory", true);
    if (PQstatus(conn_) != CONNECTION_OK) {
        // libpq's message never includes the password.
        std::string why = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Error("cannot connect to PostgreSQL at " + target_ + ": " + why, true);
    }  // NOTICEs ("relation already exists, skipping") are not ours to print.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
}

Error Connection::failure(const PGresult* r, const char* what) const {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state != nullptr ? state : "";
    // Class 08 = connection exception; 57P01..57P03 = admin shutdown,
    // crash shutdown, cannot connect now.
    const bool lost = PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate.starts_with("57P");
    std::string why =
        trimmed(r != nullptr && *PQresultErrorMessage(r) != '\0' ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    return Error(std::string(what) + ": " + why, lost, std::move(sqlstate));
}

ResultPtr Connection::exec(const char* sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<std::string> owned;  // text parameters must be NUL-terminated
    owned.reserve(params.size());
    for (const auto& p : params) {
        if (!p) {
            values.push_back(nullptr);
        } else {
            owned.emplace_back(*p);
            values.push_back(owned.back().c_str());
        }
        lengths.push_back(p ? static_cast<int>(p->size()) : 0);
        formats.push_back(0);
    }
    ResultPtr r(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                             formats.data(), 0));
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw failure(r.get(), "PostgreSQL statement failed");
    return r;
}

void Connection::exec_script(const char* sql) {
    ResultPtr r(PQexec(conn_, sql));
    const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw failure(r.get(), "PostgreSQL script failed");
}

int64_t to_int64(const PGresult* r, int row, int col) {
    const std::string_view t = text(r, row, col);
    int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

}  // namespace oxios::kernel::pg
