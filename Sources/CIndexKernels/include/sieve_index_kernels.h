#ifndef SIEVE_INDEX_KERNELS_H
#define SIEVE_INDEX_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/// Asks for the cache line at `address` ahead of its use, for reading (a hint: no fault,
/// no effect on results, whatever the address). The multi-index table's candidate checks
/// read hashes and postings at random, a cache miss each; asking a few ahead keeps more of
/// those misses in flight than the processor finds on its own. Swift has no such hint.
static inline void sieve_prefetch(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address, 0, 3);
#else
  (void)address;
#endif
}

/// Asks the kernel to back the whole 2 MiB pages inside [address, address + length) with
/// transparent huge pages (Linux's `madvise(MADV_HUGEPAGE)`; elsewhere, or when the kernel
/// says no, nothing happens). Call it before the memory is first written: pages already
/// touched stay small. An index read at random touches a new 4 KiB page on almost every
/// read, so without huge pages nearly every read also misses the TLB and waits for a page
/// walk, of which the processor runs only a few at once.
/// (Inline, like the rest of this header: the fuzz build compiles the Swift sources with
/// this header alone.)
static inline void sieve_advise_huge_pages(void *address, size_t length) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  const uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
  const uintptr_t end = ((uintptr_t)address + length) & ~(huge - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)address;
  (void)length;
#endif
}

#endif
