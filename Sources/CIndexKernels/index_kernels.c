// The index kernels are inline functions in include/sieve_index_kernels.h; this file gives
// the module a translation unit of its own.
#include "sieve_index_kernels.h"

#if defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#endif

void sieve_advise_huge_pages(void *address, size_t length) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)address + length) & ~(huge - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)address;
  (void)length;
#endif
}
