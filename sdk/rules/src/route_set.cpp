#include "oxios/rules/route_set.hpp"

#include "oxios/rules/percent.hpp"

namespace oxios::rules {
namespace {

bool same_shape(const RouteSet::Entry& a, const RouteSet::Entry& b) {
    if (a.method != b.method || a.segments.size() != b.segments.size()) return false;
    for (size_t i = 0; i < a.segments.size(); ++i) {
        const Segment& x = a.segments[i];
        const Segment& y = b.segments[i];
        if (x.type != y.type) return false;
        if (x.type == Segment::Literal && x.text != y.text) return false;
    }
    return true;
}

bool root_catch_all(const RouteSet::Entry& e) {
    return !e.segments.empty() && e.segments.front().type == Segment::Rest;
}

}  // namespace

oxios_status RouteSet::add(std::string_view method, std::string_view pattern, std::string* why) {
    auto fail = [&](oxios_status st, std::string text) {
        if (why) *why = std::move(text);
        return st;
    };
    if (!valid_method(method)) return fail(OXIOS_E_INVALID, "invalid method '" + std::string(method) + "'");
    Entry e{std::string(method), std::string(pattern), {}, {}};
    if (auto bad = parse_pattern(pattern, e.segments); !bad.empty()) return fail(OXIOS_E_INVALID, bad);
    for (const Entry& existing : entries_)
        if (same_shape(existing, e))
            return fail(OXIOS_E_CONFLICT, "route conflict: " + e.method + " " + e.pattern +
                                              " is already registered as " + existing.pattern);
    for (const Segment& s : e.segments) e.specificity.push_back(static_cast<int>(s.type));
    const size_t index = entries_.size();
    if (!e.segments.empty() && e.segments.back().type == Segment::Rest) {
        with_rest_.push_back(index);
    } else {
        if (by_count_.size() <= e.segments.size()) by_count_.resize(e.segments.size() + 1);
        by_count_[e.segments.size()].push_back(index);
    }
    entries_.push_back(std::move(e));
    return OXIOS_OK;
}

RouteSet::Outcome RouteSet::match(std::string_view method, std::string_view raw_path, size_t& index,
                                  Params& params) const {
    thread_local std::vector<std::string> decoded;
    thread_local std::vector<std::string_view> parts;
    decode_segments(raw_path, decoded);
    parts.assign(decoded.begin(), decoded.end());
    return match_decoded(method, parts, index, params);
}

RouteSet::Outcome RouteSet::match_decoded(std::string_view method, const std::vector<std::string_view>& parts,
                                          size_t& index, Params& params) const {
    const Entry* best = nullptr;
    bool other_method = false;
    // Two entries that match the same path with the same specificity have
    // the same shape, so at most one per method: the order of visits does
    // not change the outcome.
    auto visit = [&](const Entry& r) {
        if (!match_segments(r.segments, parts)) return;
        if (r.method != method && r.method != "*") {
            // A catch-all at the root does not make a path "known".
            if (!root_catch_all(r)) other_method = true;
            return;
        }
        const bool better = !best || r.specificity < best->specificity ||
                            (r.specificity == best->specificity && best->method == "*" && r.method != "*");
        if (better) best = &r;
    };
    if (parts.size() < by_count_.size())
        for (size_t i : by_count_[parts.size()]) visit(entries_[i]);
    for (size_t i : with_rest_) visit(entries_[i]);
    if (!best) return other_method ? Outcome::MethodNotAllowed : Outcome::NotFound;
    if (root_catch_all(*best) && other_method) return Outcome::MethodNotAllowed;
    params.clear();
    match_segments(best->segments, parts, &params);
    index = static_cast<size_t>(best - entries_.data());
    return Outcome::Found;
}

}  // namespace oxios::rules
