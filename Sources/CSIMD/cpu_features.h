// The x86-64 features VolSAM's kernels and its BLAS choice depend on, from cpuid and xgetbv (the OS must also save
// the vector state: XCR0's SSE/AVX bits for AVX2, and the opmask/ZMM bits for AVX-512).
#pragma once
#include <cpuid.h>
#include <stdint.h>

/// Bit 0: AVX2 + FMA usable; bit 1: AVX-512 F, DQ, CD, BW and VL usable.
static inline int volsam_cpu_vector_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    int ymm = (lo & 0x6) == 0x6, zmm = (lo & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F DQ CD BW VL
    return ((ymm && avx2 && fma) ? 1 : 0) | ((zmm && avx512 && ymm && avx2 && fma) ? 2 : 0);
}
