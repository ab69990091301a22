// Direct I/O switched on an open descriptor (fcntl F_SETFL), for SequentialFileWriter.
#define _GNU_SOURCE
#include "sieve_direct_io.h"

#include <errno.h>
#include <fcntl.h>

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
