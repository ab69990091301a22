#ifndef SIEVE_INDEX_KERNELS_H
#define SIEVE_INDEX_KERNELS_H

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

#endif
