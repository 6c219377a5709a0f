#include "audit/audit_chain.hpp"

#include "infra/clock.hpp"
#include "infra/json_util.hpp"

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

namespace oxios::kernel::audit {

namespace {

constexpr std::string_view kHashKey = ",\"hash\":\"";

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

std::string make_line(uint64_t seq, int64_t timestamp_us, const Fields& f, std::string_view prev_hash,
                      std::string* hash_out) {
    rapidjson::Document metadata;
    metadata.Parse(f.metadata_json.data(), f.metadata_json.size());
    if (metadata.HasParseError() || !metadata.IsObject()) metadata.SetObject();

    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("seq");
    w.Uint64(seq);
    w.Key("timestamp");
    write_string(w, clock::format_rfc3339(timestamp_us));
    w.Key("actor");
    write_string(w, f.actor);
    w.Key("action");
    write_string(w, f.action);
    w.Key("resource");
    write_string(w, f.resource);
    w.Key("allowed");
    w.Bool(f.allowed);
    w.Key("reason");
    if (f.reason)
        write_string(w, *f.reason);
    else
        w.Null();
    w.Key("metadata");
    metadata.Accept(w);
    w.Key("prev_hash");
    write_string(w, prev_hash);
    std::string line(buf.GetString(), buf.GetSize());  // B: up to the prev_hash value
    const std::string hash = sha256_hex(std::string(prev_hash) + line);
    line += kHashKey;
    line += hash;
    line += "\"}\n";
    if (hash_out != nullptr) *hash_out = hash;
    return line;
}

std::optional<LineHead> read_head(std::string_view line) {
    const auto doc = json::parse_object(line);
    if (!doc) return std::nullopt;
    const auto* seq = json::member(*doc, "seq");
    const auto hash = json::member_string(*doc, "hash");
    if (seq == nullptr || !seq->IsUint64() || !hash) return std::nullopt;
    return LineHead{seq->GetUint64(), *hash};
}

std::optional<Break> check_line(std::string_view line, uint64_t expected_seq, std::string_view prev_hash) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const auto doc = json::parse_object(line);
    const auto* seq = doc ? json::member(*doc, "seq") : nullptr;
    if (seq == nullptr || !seq->IsUint64())
        return Break{expected_seq, std::to_string(expected_seq), "", "unreadable entry"};
    if (seq->GetUint64() != expected_seq)
        return Break{expected_seq, std::to_string(expected_seq), std::to_string(seq->GetUint64()), "sequence gap"};
    const std::string stored_prev = json::member_string(*doc, "prev_hash").value_or("");
    if (stored_prev != prev_hash) return Break{expected_seq, std::string(prev_hash), stored_prev, "prev_hash mismatch"};
    const size_t at = line.rfind(kHashKey);
    const std::string_view tail = at == std::string_view::npos ? std::string_view() : line.substr(at + kHashKey.size());
    const std::string_view stored = tail.substr(0, std::min<size_t>(tail.size(), 64));
    if (at == std::string_view::npos || tail.size() != 66 || !is_hex64(stored) || tail.substr(64) != "\"}")
        return Break{expected_seq, "", std::string(stored), "malformed hash"};
    const std::string recomputed = sha256_hex(std::string(prev_hash) + std::string(line.substr(0, at)));
    if (recomputed != stored) return Break{expected_seq, recomputed, std::string(stored), "hash mismatch"};
    return std::nullopt;
}

std::string truncate_utf8(std::string_view text, size_t max) {
    if (text.size() <= max) return std::string(text);
    size_t end = max;
    // Step back over continuation bytes so the cut lands on a character start.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end));
}

}  // namespace oxios::kernel::audit
