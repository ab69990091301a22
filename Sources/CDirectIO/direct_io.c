// Direct I/O switched on an open descriptor (fcntl F_SETFL), for SequentialFileWriter.
#define _GNU_SOURCE
#include "sieve_direct_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int sieve_set_direct_io(int fd, int enabled) {
#ifdef O_DIRECT
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  int wanted = enabled ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  if (wanted == flags) return 0;
  return fcntl(fd, F_SETFL, wanted);
#else
  (void)fd;
  if (!enabled) return 0;
  errno = EINVAL;
  return -1;
#endif
}

int sieve_direct_io_enabled(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
#ifdef O_DIRECT
  return (flags & O_DIRECT) ? 1 : 0;
#else
  return 0;
#endif
}

long sieve_resident_pages(int fd, long long offset, long long length, long *pages) {
  *pages = 0;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || offset < 0 || length <= 0) return 0;
  long long first = offset / page * page;
  size_t span = (size_t)(offset + length - first);
  void *mapped = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, (off_t)first);
  if (mapped == MAP_FAILED) return -1;
  size_t count = (span + (size_t)page - 1) / (size_t)page;
  unsigned char *vector = malloc(count);
  long resident = -1;
  if (vector != NULL && mincore(mapped, span, vector) == 0) {
    resident = 0;
    for (size_t i = 0; i < count; i++) resident += vector[i] & 1;
    *pages = (long)count;
  }
  int saved = errno;
  free(vector);
  munmap(mapped, span);
  errno = saved;
  return resident;
}
