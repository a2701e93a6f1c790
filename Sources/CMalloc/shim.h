// glibc malloc tuning (mallopt), used to keep large activation buffers for reuse.
#include <malloc.h>
