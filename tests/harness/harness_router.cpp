#include "harness_router.hpp"

#include <oxios/rules/descriptor.hpp>
#include <oxios/rules/oxios_str.hpp>

namespace oxios::harness::detail {

oxios_status Router::add(const oxios_route* route, std::string* why) {
    if (auto bad = rules::check_route(route); !bad.empty()) {
        if (why) *why = bad;
        return OXIOS_E_INVALID;
    }
    auto e = std::make_unique<RouteEntry>(
        RouteEntry{route->kind, rules::to_string(route->method), rules::to_string(route->pattern), route->route_data});
    const oxios_status st = set_.add(e->method, e->pattern, why);
    if (st == OXIOS_OK) entries_.push_back(std::move(e));
    return st;
}

Router::Result Router::match(std::string_view method, const std::vector<std::string>& segments, RouteMatch& out) const {
    const std::vector<std::string_view> parts(segments.begin(), segments.end());
    size_t index = 0;
    out.route = nullptr;
    const Result res = set_.match_decoded(method, parts, index, out.params);
    if (res == Result::Found) out.route = entries_[index].get();
    return res;
}

void Router::clear() {
    set_ = rules::RouteSet{};
    entries_.clear();
}

}  // namespace oxios::harness::detail
