// A fused multiply-add on 8 floats that always compiles to one vfmadd: Swift's SIMD8.addingProduct is a per-lane
// loop that LLVM's SLP vectorizer sometimes splits back into scalar fmas inside larger kernels.
// Clang's ext_vector_type(8) float is imported into Swift as SIMD8<Float>.
#pragma once

typedef float volsam_float8 __attribute__((ext_vector_type(8)));

/// a * b + c, rounded once.
static inline __attribute__((always_inline)) volsam_float8 volsam_fma8(volsam_float8 a, volsam_float8 b, volsam_float8 c) {
    return __builtin_elementwise_fma(a, b, c);
}
