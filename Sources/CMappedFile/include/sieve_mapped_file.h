#ifndef SIEVE_MAPPED_FILE_H
#define SIEVE_MAPPED_FILE_H

#include <stddef.h>
#include <stdint.h>

/// Maps `size` bytes of the open file `fd` read-only and registers the range with a
/// SIGBUS guard: if the file is truncated while mapped, a read past its new end gets a
/// page of zeros instead of killing the process, and the range's fault count grows.
/// Returns the address, or NULL with errno set (ENOSPC when every guard slot is taken).
void *sieve_map_file(int fd, size_t size);

/// Unregisters and unmaps a range from sieve_map_file.
void sieve_unmap_file(void *address, size_t size);

/// How many pages of the range were replaced by zeros since it was mapped.
uint64_t sieve_mapping_faults(const void *address);

#endif
