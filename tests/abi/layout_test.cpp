// The ABI header compiles as C++ and has, on x86_64 LP64, exactly the layout
// pinned in layout_figures.h; the C-compiled figures (layout_c99.c) agree with
// the C++-compiled ones at run time.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "oxios_plugin.h"

#include "layout_figures.h"

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace {

template <typename T>
constexpr bool standard_layout = std::is_standard_layout_v<T>&& std::is_trivially_copyable_v<T>;

#define OXIOS_FIELD_SIZE(type, field) sizeof(((type*)nullptr)->field)

#if defined(__x86_64__) && defined(__LP64__)
#define PIN_STRUCT(type, size)                                  \
    static_assert(sizeof(type) == (size), "sizeof(" #type ")"); \
    static_assert(standard_layout<type>, #type " is a plain C struct");
#define PIN_FIELD(type, field, off, size)                                             \
    static_assert(offsetof(type, field) == (off), "offsetof(" #type ", " #field ")"); \
    static_assert(OXIOS_FIELD_SIZE(type, field) == (size), "sizeof(" #type "::" #field ")");
#define PIN_SCALAR(type, size) static_assert(sizeof(type) == (size), "sizeof(" #type ")");
OXIOS_ABI_STRUCT_LAYOUT(PIN_STRUCT, PIN_FIELD)
OXIOS_ABI_SCALAR_LAYOUT(PIN_SCALAR)
#undef PIN_STRUCT
#undef PIN_FIELD
#undef PIN_SCALAR
#endif

#define PIN_VALUE(name, value) static_assert((name) == (value), #name);
OXIOS_ABI_VALUES(PIN_VALUE)
#undef PIN_VALUE

static_assert(std::is_same_v<oxios_status, int32_t>);
static_assert(OXIOS_ABI_MINOR >= 0u);

std::vector<oxios_layout_figure> cxx_figures() {
#define FIG_STRUCT(type, size) {"sizeof(" #type ")", sizeof(type)},
#define FIG_FIELD(type, field, off, size)                       \
    {"offsetof(" #type ", " #field ")", offsetof(type, field)}, \
        {"sizeof(" #type "::" #field ")", OXIOS_FIELD_SIZE(type, field)},
#define FIG_SCALAR(type, size) {"sizeof(" #type ")", sizeof(type)},
#define FIG_VALUE(name, value) {#name, static_cast<size_t>(name)},
    return {OXIOS_ABI_STRUCT_LAYOUT(FIG_STRUCT, FIG_FIELD) OXIOS_ABI_SCALAR_LAYOUT(FIG_SCALAR)
                OXIOS_ABI_VALUES(FIG_VALUE)};
#undef FIG_STRUCT
#undef FIG_FIELD
#undef FIG_SCALAR
#undef FIG_VALUE
}

std::vector<oxios_layout_figure> pinned_figures() {
#define FIG_STRUCT(type, size) {"sizeof(" #type ")", size},
#define FIG_FIELD(type, field, off, size) \
    {"offsetof(" #type ", " #field ")", off}, {"sizeof(" #type "::" #field ")", size},
#define FIG_SCALAR(type, size) {"sizeof(" #type ")", size},
#define FIG_VALUE(name, value) {#name, value},
    return {OXIOS_ABI_STRUCT_LAYOUT(FIG_STRUCT, FIG_FIELD) OXIOS_ABI_SCALAR_LAYOUT(FIG_SCALAR)
                OXIOS_ABI_VALUES(FIG_VALUE)};
#undef FIG_STRUCT
#undef FIG_FIELD
#undef FIG_SCALAR
#undef FIG_VALUE
}

}  // namespace

TEST_CASE("the C and C++ compilers agree on every pinned figure") {
    const oxios_layout_figure* c = nullptr;
    const size_t n = oxios_abi_layout_c(&c);
    REQUIRE(c != nullptr);
    const auto cxx = cxx_figures();
    REQUIRE(n == cxx.size());
    REQUIRE(n > 150);  // every struct, field, scalar type and value
    for (size_t i = 0; i < n; ++i) {
        INFO(cxx[i].what);
        CHECK(std::strcmp(c[i].what, cxx[i].what) == 0);
        CHECK(c[i].value == cxx[i].value);
    }
}

#if defined(__x86_64__) && defined(__LP64__)
TEST_CASE("the figures are the pinned x86_64 LP64 ones") {
    const auto cxx = cxx_figures();
    const auto pinned = pinned_figures();
    REQUIRE(cxx.size() == pinned.size());
    for (size_t i = 0; i < cxx.size(); ++i) {
        INFO(cxx[i].what);
        CHECK(cxx[i].value == pinned[i].value);
    }
}
#endif

TEST_CASE("every struct's fields are listed in order, without gaps a field could hide in") {
    // Fields of one struct appear in declaration order; consecutive fields
    // leave no hole larger than the next field's alignment, and the last
    // field ends at sizeof (no tail padding that a later minor could reuse
    // silently).
    struct Entry {
        std::string type;
        size_t off, size;
    };
    std::vector<Entry> fields;
    std::vector<std::pair<std::string, size_t>> structs;
#define COLLECT_STRUCT(type, size) structs.emplace_back(#type, sizeof(type));
#define COLLECT_FIELD(type, field, off, size) \
    fields.push_back({#type, offsetof(type, field), OXIOS_FIELD_SIZE(type, field)});
    OXIOS_ABI_STRUCT_LAYOUT(COLLECT_STRUCT, COLLECT_FIELD)
#undef COLLECT_STRUCT
#undef COLLECT_FIELD
    for (const auto& [type, size] : structs) {
        INFO(type);
        size_t end = 0;
        size_t covered = 0;
        for (const auto& f : fields) {
            if (f.type != type) continue;
            CHECK(f.off >= end);
            CHECK(f.off - end < f.size);  // only alignment padding between fields
            end = f.off + f.size;
            covered += f.size;
        }
        CHECK(end == size);
        CHECK(covered <= size);
    }
}

TEST_CASE("OXIOS_HAS tells which fields a struct's size covers") {
    oxios_request req{};
    req.size = sizeof(oxios_request);
    CHECK(OXIOS_HAS(&req, oxios_request, remote_addr));
    CHECK(OXIOS_HAS(&req, oxios_request, size));

    // A writer that knew the struct only up to remote_port.
    req.size = static_cast<uint32_t>(offsetof(oxios_request, remote_port) + sizeof(uint16_t));
    CHECK(OXIOS_HAS(&req, oxios_request, remote_port));
    CHECK_FALSE(OXIOS_HAS(&req, oxios_request, reserved0));
    CHECK_FALSE(OXIOS_HAS(&req, oxios_request, remote_addr));

    // A field is present only when it lies entirely inside size.
    req.size = static_cast<uint32_t>(offsetof(oxios_request, remote_addr) + sizeof(oxios_str) - 1);
    CHECK_FALSE(OXIOS_HAS(&req, oxios_request, remote_addr));
    req.size = static_cast<uint32_t>(offsetof(oxios_request, remote_addr) + sizeof(oxios_str));
    CHECK(OXIOS_HAS(&req, oxios_request, remote_addr));

    // A larger (newer) writer still has every field we know.
    req.size = sizeof(oxios_request) + 64;
    CHECK(OXIOS_HAS(&req, oxios_request, remote_addr));

    // Null is never "has".
    const oxios_request* none = nullptr;
    CHECK_FALSE(OXIOS_HAS(none, oxios_request, size));

    oxios_host_api api{};
    api.size = static_cast<uint32_t>(offsetof(oxios_host_api, token_check));
    CHECK(OXIOS_HAS(&api, oxios_host_api, events_publish));
    CHECK_FALSE(OXIOS_HAS(&api, oxios_host_api, token_check));
    CHECK_FALSE(OXIOS_HAS(&api, oxios_host_api, call));

    oxios_plugin_descriptor d{};
    d.size = 8;  // an old/broken descriptor: size and abi_major only
    CHECK(OXIOS_HAS(&d, oxios_plugin_descriptor, abi_major));
    CHECK_FALSE(OXIOS_HAS(&d, oxios_plugin_descriptor, api));
}

TEST_CASE("OXIOS_HAS means the same in C") {
    const auto off = static_cast<uint32_t>(offsetof(oxios_request, remote_addr));
    for (uint32_t size : {0u, 8u, off, off + 15u, off + 16u, static_cast<uint32_t>(sizeof(oxios_request)), 4096u}) {
        INFO(size);
        oxios_request req{};
        req.size = size;
        CHECK(oxios_abi_has_remote_addr_c(size) == (OXIOS_HAS(&req, oxios_request, remote_addr) ? 1 : 0));
    }
    CHECK(oxios_abi_has_remote_addr_c(static_cast<uint32_t>(sizeof(oxios_request))) == 1);
    CHECK(oxios_abi_has_remote_addr_c(off) == 0);
}

TEST_CASE("the entry symbol's name is part of the ABI") {
    CHECK(std::string(OXIOS_PLUGIN_ENTRY_SYMBOL) == "oxios_plugin_entry");
}
