// One libpq connection with RAII results, text parameters and errors that
// never carry the password.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oxios::kernel::pg {

struct ResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

// A failed connect or statement. `lost` when the connection is gone (the
// server stopped, restarted or cannot be reached): the store is unavailable,
// as opposed to a statement the server refused.
class Error : public std::runtime_error {
public:
    Error(const std::string& what, bool lost, std::string sqlstate = {})
        : std::runtime_error(what), lost_(lost), sqlstate_(std::move(sqlstate)) {}
    bool lost() const { return lost_; }
    const std::string& sqlstate() const { return sqlstate_; }

private:
    bool lost_;
    std::string sqlstate_;
};

// "host=… port=… dbname=… user=…" of a connection string, never its password:
// what messages name.
std::string describe_url(const std::string& url);

using Param = std::optional<std::string_view>;  // nullopt = SQL NULL

class Connection {
public:
    // Connects (connect_timeout 5 s unless the URL sets one); throws Error
    // naming the target (describe_url) and libpq's reason.
    explicit Connection(const std::string& url);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one statement with text parameters; returns its result (tuples or
    // command OK). Throws Error on failure.
    ResultPtr exec(const char* sql, const std::vector<Param>& params = {});
    // Several statements in one string, no parameters (migrations).
    void exec_script(const char* sql);

    bool usable() const { return PQstatus(conn_) == CONNECTION_OK; }
    PGconn* raw() { return conn_; }

private:
    Error failure(const PGresult* r, const char* what) const;

    PGconn* conn_ = nullptr;
    std::string target_;  // describe_url(url), for messages
};

// Helpers over a result.
inline std::string_view text(const PGresult* r, int row, int col) {
    return {PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))};
}
inline bool is_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
int64_t to_int64(const PGresult* r, int row, int col);

}  // namespace oxios::kernel::pg
