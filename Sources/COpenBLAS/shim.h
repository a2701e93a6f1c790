// OpenBLAS's CBLAS interface (sgemm) and its thread control.
#include <cblas.h>
