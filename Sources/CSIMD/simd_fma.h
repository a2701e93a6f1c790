// A fused multiply-add on 8 floats that always compiles to one vfmadd: Swift's SIMD8.addingProduct is a per-lane
// loop that LLVM's SLP vectorizer sometimes splits back into scalar fmas inside larger kernels.
// Clang's ext_vector_type(8) float is imported into Swift as SIMD8<Float>.
#pragma once

typedef float volsam_float8 __attribute__((ext_vector_type(8)));

/// a * b + c, rounded once.
static inline __attribute__((always_inline)) volsam_float8 volsam_fma8(volsam_float8 a, volsam_float8 b, volsam_float8 c) {
    return __builtin_elementwise_fma(a, b, c);
}

typedef float volsam_float16 __attribute__((ext_vector_type(16)));

/// a * b + c on 16 floats, rounded once (one zmm vfmadd where the caller is compiled for AVX-512).
static inline __attribute__((always_inline)) volsam_float16 volsam_fma16(volsam_float16 a, volsam_float16 b, volsam_float16 c) {
    return __builtin_elementwise_fma(a, b, c);
}

/// Lane-wise maximum and minimum (one vmaxps / vminps; Swift's generic SIMD blends are split into pieces).
static inline __attribute__((always_inline)) volsam_float8 volsam_max8(volsam_float8 a, volsam_float8 b) {
    return __builtin_elementwise_max(a, b);
}
static inline __attribute__((always_inline)) volsam_float8 volsam_min8(volsam_float8 a, volsam_float8 b) {
    return __builtin_elementwise_min(a, b);
}
static inline __attribute__((always_inline)) volsam_float16 volsam_max16(volsam_float16 a, volsam_float16 b) {
    return __builtin_elementwise_max(a, b);
}
static inline __attribute__((always_inline)) volsam_float16 volsam_min16(volsam_float16 a, volsam_float16 b) {
    return __builtin_elementwise_min(a, b);
}
