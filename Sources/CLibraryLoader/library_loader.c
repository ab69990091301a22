#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "library_loader_internal.h"

static sieve_library *const libraries[] = {
  [SIEVE_LIBRARY_TSK] = &sieve_library_tsk,
  [SIEVE_LIBRARY_EWF] = &sieve_library_ewf,
  [SIEVE_LIBRARY_ARCHIVE] = &sieve_library_archive,
  [SIEVE_LIBRARY_HEIF] = &sieve_library_heif,
};

int sieve_library_resolve(const char *soname, const char *package, const char *purpose, const char *const *names,
                          int count, void **functions, char *error, size_t error_size) {
  // RTLD_LOCAL: the library's symbols stay out of the global scope, so that they never
  // resolve a reference meant for these forwarders (or the other way round).
  void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    snprintf(error, error_size, "%s cannot be loaded (%s): install Debian's package %s %s", soname,
             why ? why : "no reason given", package, purpose);
    return 0;
  }
  for (int i = 0; i < count; i++) {
    void *function = dlsym(handle, names[i]);
    if (!function) {
      snprintf(error, error_size, "%s lacks the function %s: install the version of Debian's package %s that Sieve was built with",
               soname, names[i], package);
      return 0;  // the handle stays open: dlclose could run the library's destructors for nothing
    }
    functions[i] = function;
  }
  return 1;
}

static void load(sieve_library *library) {
  if (sieve_library_resolve(library->soname, library->package, library->purpose, library->names, library->count,
                            library->functions, library->error, sizeof library->error)) {
    __atomic_store_n(&library->loaded, 1, __ATOMIC_RELEASE);
  }
}

// pthread_once takes no argument: one loader per library.
static void load_tsk(void) { load(&sieve_library_tsk); }
static void load_ewf(void) { load(&sieve_library_ewf); }
static void load_archive(void) { load(&sieve_library_archive); }
static void load_heif(void) { load(&sieve_library_heif); }

static void (*const loaders[])(void) = {
  [SIEVE_LIBRARY_TSK] = load_tsk,
  [SIEVE_LIBRARY_EWF] = load_ewf,
  [SIEVE_LIBRARY_ARCHIVE] = load_archive,
  [SIEVE_LIBRARY_HEIF] = load_heif,
};

const char *sieve_library_load(sieve_library_id id) {
  if ((unsigned)id >= sizeof libraries / sizeof *libraries) return "no such library";
  sieve_library *library = libraries[id];
  pthread_once(&library->once, loaders[id]);
  return __atomic_load_n(&library->loaded, __ATOMIC_ACQUIRE) ? NULL : library->error;
}

int sieve_library_is_loaded(sieve_library_id id) {
  if ((unsigned)id >= sizeof libraries / sizeof *libraries) return 0;
  return __atomic_load_n(&libraries[id]->loaded, __ATOMIC_ACQUIRE);
}

void *sieve_library_function(sieve_library *library, int index) {
  if (__builtin_expect(!__atomic_load_n(&library->loaded, __ATOMIC_ACQUIRE), 0)) {
    const char *error = sieve_library_load(library->id);
    if (error) {
      // A caller skipped sieve_library_load: no value can stand in for the call's result.
      fprintf(stderr, "sieve: %s\n", error);
      abort();
    }
  }
  return library->functions[index];
}
