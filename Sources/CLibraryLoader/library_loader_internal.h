// Shared by library_loader.c and the generated forward_*.c files.
#ifndef SIEVE_LIBRARY_LOADER_INTERNAL_H
#define SIEVE_LIBRARY_LOADER_INTERNAL_H

#include <pthread.h>

#include "sieve_library_loader.h"

/// One library: its soname, the functions Sieve calls in it, their addresses once loaded.
typedef struct {
  sieve_library_id id;
  const char *soname;
  /// The Debian package that ships `soname`, and what Sieve needs the library for.
  const char *package;
  const char *purpose;
  const char *const *names;
  /// `count` addresses, in the order of `names`; set before `loaded` (release).
  void **functions;
  int count;
  pthread_once_t once;
  int loaded;
  char error[512];
} sieve_library;

extern sieve_library sieve_library_tsk, sieve_library_ewf, sieve_library_archive, sieve_library_heif;

/// Function `index` of `library`, loading the library the first time; ends the process
/// with the reason when the library cannot be loaded (see sieve_library_load).
void *sieve_library_function(sieve_library *library, int index);

#endif
