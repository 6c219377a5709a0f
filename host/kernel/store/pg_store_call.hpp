// How the PostgreSQL backends run their work on the pool: a lost server
// becomes StoreUnavailable (503), a refused statement std::runtime_error.
#pragma once

#include "store/pg_pool.hpp"
#include "store/record_store.hpp"

#include <string>
#include <utility>

namespace oxios::kernel::pg {

[[noreturn]] inline void rethrow_as_store_error(const Error& e) {
    if (e.lost()) throw StoreUnavailable("state store unavailable");
    throw std::runtime_error(std::string("state store: ") + e.what());
}

// fn(connection) on the pool; `retry` only for work that is safe to repeat.
template <class Fn>
auto store_call(Pool& pool, Fn&& fn, bool retry) {
    try {
        return pool.run(std::forward<Fn>(fn), retry);
    } catch (const Error& e) {
        rethrow_as_store_error(e);
    }
}

// fn(connection) between BEGIN and COMMIT on one connection; fn returns a
// value. Run again once on a fresh connection only when the connection was
// lost before COMMIT was sent (nothing stored); a COMMIT without an answer
// is never repeated: StoreUnavailable, not acknowledged. Whatever fn throws
// rolls back.
template <class Fn>
auto in_transaction(Pool& pool, Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
        bool committing = false;
        try {
            return pool.run([&](Connection& c) {
                c.exec("BEGIN");
                try {
                    auto out = fn(c);
                    committing = true;
                    c.exec("COMMIT");
                    return out;
                } catch (...) {
                    if (!committing && c.usable()) PQclear(PQexec(c.raw(), "ROLLBACK"));
                    throw;
                }
            });
        } catch (const Error& e) {
            if (e.lost() && !committing && attempt == 0) continue;
            rethrow_as_store_error(e);
        }
    }
}

}  // namespace oxios::kernel::pg
