#pragma once
#include <zlib.h>
// Macros Swift does not import: deflateInit2/inflateInit2 pass the library version and stream size.
static inline int shim_deflateInit2(z_streamp s, int level, int windowBits) {
    return deflateInit2(s, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
static inline int shim_inflateInit2(z_streamp s, int windowBits) { return inflateInit2(s, windowBits); }
