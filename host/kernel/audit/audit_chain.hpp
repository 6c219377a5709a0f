// The audit log's entry format and hash chain (docs/api-operator.md, "Security"): one
// compact JSON line per entry, members in a fixed order, hash = SHA-256 of
// the previous hash followed by the line up to `,"hash":"`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oxios::kernel::audit {

inline constexpr std::string_view kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";

// Lowercase hex SHA-256 (OpenSSL's libcrypto).
std::string sha256_hex(std::string_view data);

struct Fields {
    std::string actor, action, resource;
    bool allowed = true;
    std::optional<std::string> reason;
    std::string metadata_json = "{}";  // a JSON object
};

// The stored line (ending "\n") of entry `seq` chained after `prev_hash`;
// its hash goes to *hash_out.
std::string make_line(uint64_t seq, int64_t timestamp_us, const Fields& f, std::string_view prev_hash,
                      std::string* hash_out);

// What a stored line says of itself: its seq and hash ("" when unreadable).
struct LineHead {
    uint64_t seq = 0;
    std::string hash;
};
std::optional<LineHead> read_head(std::string_view line);

// The first break of the chain: a line that is not entry `expected_seq`
// chained after `prev_hash`.
struct Break {
    uint64_t seq;
    std::string expected, found, reason;
};
std::optional<Break> check_line(std::string_view line, uint64_t expected_seq, std::string_view prev_hash);

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view text, size_t max);

}  // namespace oxios::kernel::audit
