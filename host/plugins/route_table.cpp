#include "plugins/route_table.hpp"

namespace oxios::plugins {

oxios_status RouteTable::add(Route route, std::string* why) {
    const oxios_status st = set_.add(route.method, route.pattern, why);
    if (st == OXIOS_OK) routes_.push_back(std::move(route));
    return st;
}

RouteTable::Outcome RouteTable::match(std::string_view method, std::string_view raw_path, const Route*& route,
                                      Params& params) const {
    size_t index = 0;
    const Outcome out = set_.match(method, raw_path, index, params);
    if (out == Outcome::Found) route = &routes_[index];
    return out;
}

}  // namespace oxios::plugins
