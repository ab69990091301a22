// The index kernels are inline functions in include/sieve_index_kernels.h; this file gives
// the module a translation unit of its own.
#include "sieve_index_kernels.h"
