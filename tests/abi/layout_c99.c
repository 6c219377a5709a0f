/*
 * layout_c99.c — abi/oxios_plugin.h must compile as strict C99
 * (-std=c99 -pedantic-errors, see tests/CMakeLists.txt), and its layout on
 * x86_64 LP64 is pinned here: any accidental change of a struct's size or of a
 * field's offset or size fails the build.
 *
 * _Static_assert is C11; `__extension__` lets GCC/Clang accept it under
 * -std=c99 -pedantic-errors. Other compilers get the classic negative-array
 * typedef, which is plain C99.
 */
#include "oxios_plugin.h"

#include "layout_figures.h"

#if defined(__GNUC__) || defined(__clang__)
/* glibc's <sys/cdefs.h> turns _Static_assert into a macro (a negative
 * bit-field, without our message) in strict C99 mode: use the keyword. */
#ifdef _Static_assert
#undef _Static_assert
#endif
#define OXIOS_C_ASSERT(cond, tag) __extension__ _Static_assert(cond, #tag)
#else
#define OXIOS_C_ASSERT_CAT2(a, b) a##b
#define OXIOS_C_ASSERT_CAT(a, b) OXIOS_C_ASSERT_CAT2(a, b)
#define OXIOS_C_ASSERT(cond, tag) typedef char OXIOS_C_ASSERT_CAT(oxios_layout_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

#define OXIOS_FIELD_SIZE(type, field) sizeof(((type*)0)->field)

#if defined(__x86_64__) && defined(__LP64__)
#define PIN_STRUCT(type, size) OXIOS_C_ASSERT(sizeof(type) == (size), sizeof_##type);
#define PIN_FIELD(type, field, off, size)                                      \
    OXIOS_C_ASSERT(offsetof(type, field) == (off), offsetof_##type##_##field); \
    OXIOS_C_ASSERT(OXIOS_FIELD_SIZE(type, field) == (size), sizeof_##type##_##field);
#define PIN_SCALAR(type, size) OXIOS_C_ASSERT(sizeof(type) == (size), sizeof_##type);
OXIOS_ABI_STRUCT_LAYOUT(PIN_STRUCT, PIN_FIELD)
OXIOS_ABI_SCALAR_LAYOUT(PIN_SCALAR)
#undef PIN_STRUCT
#undef PIN_FIELD
#undef PIN_SCALAR
#endif

/* Enumerator values hold on every platform. */
#define PIN_VALUE(name, value) OXIOS_C_ASSERT((name) == (value), value_##name);
OXIOS_ABI_VALUES(PIN_VALUE)
#undef PIN_VALUE

/* Every struct begins with its uint32_t size. */
OXIOS_C_ASSERT(offsetof(oxios_request, size) == 0, request_size_first);
OXIOS_C_ASSERT(offsetof(oxios_host_api, size) == 0, host_api_size_first);

#define FIG_STRUCT(type, size) {"sizeof(" #type ")", sizeof(type)},
#define FIG_FIELD(type, field, off, size)                       \
    {"offsetof(" #type ", " #field ")", offsetof(type, field)}, \
        {"sizeof(" #type "::" #field ")", OXIOS_FIELD_SIZE(type, field)},
#define FIG_SCALAR(type, size) {"sizeof(" #type ")", sizeof(type)},
#define FIG_VALUE(name, value) {#name, (size_t)(name)},

static const oxios_layout_figure figures[] = {OXIOS_ABI_STRUCT_LAYOUT(FIG_STRUCT, FIG_FIELD)
                                                  OXIOS_ABI_SCALAR_LAYOUT(FIG_SCALAR) OXIOS_ABI_VALUES(FIG_VALUE)};

size_t oxios_abi_layout_c(const oxios_layout_figure** out) {
    if (out) *out = figures;
    return sizeof(figures) / sizeof(figures[0]);
}

int oxios_abi_has_remote_addr_c(uint32_t size) {
    oxios_request req;
    req.size = size;
    return OXIOS_HAS(&req, oxios_request, remote_addr) ? 1 : 0;
}
