#ifndef SIEVE_DIRECT_IO_H
#define SIEVE_DIRECT_IO_H

/// Turns direct I/O (`O_DIRECT`: reads and writes that bypass the page cache) on or off
/// for the open file `fd`. Returns 0, or -1 with errno set (EINVAL where the file system
/// has no direct I/O). Swift's Glibc module does not export O_DIRECT, whose value differs
/// between architectures.
int sieve_set_direct_io(int fd, int enabled);

/// Whether direct I/O is on for `fd` (1), off (0), or -1 with errno set.
int sieve_direct_io_enabled(int fd);

/// How many of the pages holding bytes `offset` to `offset + length` of the open file
/// `fd` are in the page cache (`mincore` over a read-only mapping, unmapped again); the
/// pages counted are stored in `*pages`. Returns the resident pages, or -1 with errno set
/// (a file that cannot be mapped: a pipe, a file system without mappings).
long sieve_resident_pages(int fd, long long offset, long long length, long *pages);

#endif
