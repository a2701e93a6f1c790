// OpenBLAS's CBLAS interface (sgemm) and its thread control.
#include <stddef.h>
#include <cblas.h>

// LAPACK's divide-and-conquer SVD (built into OpenBLAS), Fortran calling convention: every argument by pointer, the
// hidden length of the character argument last (gfortran's ABI).
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u, const int *ldu,
             double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info, size_t jobz_length);
