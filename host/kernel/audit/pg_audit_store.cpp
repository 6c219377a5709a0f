#include "audit/pg_audit_store.hpp"

#include "audit/audit_chain.hpp"
#include "store/pg_store_call.hpp"

#include <algorithm>
#include <stdexcept>

#include <limits>
#include <vector>

namespace oxios::kernel::audit {

namespace {
// seq is a bigint: a range end past it means "to the end".
std::string seq_param(uint64_t seq) {
    return std::to_string(std::min<uint64_t>(seq, std::numeric_limits<int64_t>::max()));
}
}  // namespace

std::string PgAuditStore::last_line() {
    return pg::store_call(
        *pool_,
        [](pg::Connection& c) {
            auto r = c.exec("SELECT line FROM audit_entries ORDER BY seq DESC LIMIT 1");
            return PQntuples(r.get()) == 0 ? std::string() : std::string(pg::text(r.get(), 0, 0));
        },
        true);
}

std::string PgAuditStore::append(const MakeLine& make) {
    return pg::in_transaction(*pool_, [&](pg::Connection& c) {
        auto head = c.exec("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE");
        const uint64_t seq = static_cast<uint64_t>(pg::to_int64(head.get(), 0, 0)) + 1;
        std::string line = make(seq, pg::text(head.get(), 0, 1));
        const auto stored = read_head(line);
        if (!stored || stored->seq != seq)
            throw std::logic_error("audit: a line that is not entry " + std::to_string(seq));
        c.exec("INSERT INTO audit_entries (seq, line) VALUES ($1, $2)", {std::to_string(seq), line});
        c.exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", {std::to_string(seq), stored->hash});
        return line;
    });
}

void PgAuditStore::scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(std::string_view)>& fn) {
    uint64_t next = from_seq;
    while (next <= to_seq) {
        // One page per pooled call: fn runs with no connection held.
        const auto page = pg::store_call(
            *pool_,
            [&](pg::Connection& c) {
                auto r =
                    c.exec("SELECT seq, line FROM audit_entries WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                           {seq_param(next), seq_param(to_seq), std::to_string(kPage)});
                std::vector<std::pair<uint64_t, std::string>> rows;
                rows.reserve(static_cast<size_t>(PQntuples(r.get())));
                for (int row = 0; row < PQntuples(r.get()); ++row)
                    rows.emplace_back(static_cast<uint64_t>(pg::to_int64(r.get(), row, 0)),
                                      std::string(pg::text(r.get(), row, 1)));
                return rows;
            },
            true);
        for (const auto& [seq, line] : page) {
            std::string_view l(line);
            if (!l.empty() && l.back() == '\n') l.remove_suffix(1);  // as the files backend gives them
            if (!fn(l)) return;
        }
        if (page.size() < static_cast<size_t>(kPage) || page.back().first >= to_seq) return;
        next = page.back().first + 1;
    }
}

}  // namespace oxios::kernel::audit
