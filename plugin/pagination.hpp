// Pagination: query page (default 1, 1-based) and limit (default 50, clamped
// to 1..500). The plugin passes them to the host and wraps the host's
// {"items","total"} as {"items","total","page","limit"}.
#pragma once

#include "context.hpp"
#include "json.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace web {

struct Page {
    uint32_t page = 1;
    uint32_t limit = 50;
};

inline constexpr uint32_t kDefaultLimit = 50;
inline constexpr uint32_t kMaxLimit = 500;

// An integer query parameter; nullopt when absent or empty, 400 naming it
// when it is not an integer.
inline std::optional<int64_t> query_int(const Ctx& ctx, std::string_view name) {
    const auto v = ctx.query(name);
    if (!v || v->empty()) return std::nullopt;
    int64_t out = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec == std::errc::result_out_of_range && end == v->data() + v->size()) {
        return (*v)[0] == '-' ? INT64_MIN : INT64_MAX;
    }
    if (ec != std::errc{} || end != v->data() + v->size()) {
        throw HttpError(400, "invalid query parameter '" + std::string(name) + "': expected an integer");
    }
    return out;
}

inline Page page_from(const Ctx& ctx) {
    Page p;
    if (const auto page = query_int(ctx, "page")) {
        p.page = static_cast<uint32_t>(std::clamp<int64_t>(*page, 1, UINT32_MAX));
    }
    if (const auto limit = query_int(ctx, "limit")) {
        p.limit = static_cast<uint32_t>(std::clamp<int64_t>(*limit, 1, kMaxLimit));
    }
    return p;
}

// {"items":[...],"total":N} from the host -> {"items","total","page","limit"}.
inline std::string wrap_page(std::string_view host_result, Page p, std::string_view what) {
    const json::Document doc = json::parse_host(host_result, what);
    const json::Value* items = json::find(doc, "items");
    const json::Value* total = json::find(doc, "total");
    json::Builder b;
    b.obj().key("items");
    if (items != nullptr && items->IsArray())
        b.value(*items);
    else
        b.arr().end_arr();
    b.key("total");
    if (total != nullptr && total->IsNumber())
        b.value(*total);
    else
        b.u64(items != nullptr && items->IsArray() ? items->Size() : 0);
    b.kv("page", p.page).kv("limit", p.limit).end_obj();
    return b.take();
}

}  // namespace web
