// Read-only file mappings that survive the file being truncated under them.
//
// A mapped file that another program truncates (a `cp` over it, say) raises SIGBUS on
// the next read of a page past the new end. The handler below looks the faulting
// address up among the registered mappings; inside one, it maps private zero pages from
// the faulting page to the mapping's end (mmap is a plain system call on Linux) and counts
// the fault, and the read is retried and sees zeros. Any other SIGBUS (a sent one, or a
// fault elsewhere) goes to the handler installed before (the runtime's crash reporter, or
// the default action).
#define _GNU_SOURCE
#include "sieve_mapped_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS 256

typedef struct {
  _Atomic(uintptr_t) start;
  _Atomic(uintptr_t) end;
  _Atomic(uint64_t) faults;
} slot_t;

static slot_t slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous;
static int installed;
static uintptr_t page_size;

static void on_sigbus(int signo, siginfo_t *info, void *context) {
  int saved_errno = errno;
  // Only a fault the kernel raised for an address (a page past the end of a file);
  // never a SIGBUS another process sent, whose address field is forged or meaningless.
  if (info != NULL && info->si_code > 0) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOTS; i++) {
      uintptr_t start = atomic_load(&slots[i].start);
      uintptr_t end = atomic_load(&slots[i].end);
      if (start == 0 || address < start || address >= end) continue;
      // Zeros from the faulting page to the end of the mapping in one call: every later
      // page is past the file's new end too, and one replacement per fault would split
      // the mapping until the process ran out of mappings.
      uintptr_t at = address & ~(page_size - 1);
      if (mmap((void *)at, end - at, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
        atomic_fetch_add(&slots[i].faults, 1);
        errno = saved_errno;
        return;
      }
      break;
    }
  }
  errno = saved_errno;
  // Not ours: hand it to whoever handled SIGBUS before.
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) { previous.sa_sigaction(signo, info, context); return; }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signo);
    return;
  }
  // The default action: restore it and raise again (a fault re-runs and kills the process).
  signal(SIGBUS, SIG_DFL);
  raise(SIGBUS);
}

void *sieve_map_file(int fd, size_t size) {
  if (size == 0) { errno = EINVAL; return NULL; }
  pthread_mutex_lock(&lock);
  if (!installed) {
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    // The handler chains to the previous action: read it before ours can run.
    if (sigaction(SIGBUS, NULL, &previous) != 0) { pthread_mutex_unlock(&lock); return NULL; }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, NULL) != 0) { pthread_mutex_unlock(&lock); return NULL; }
    installed = 1;
  }
  int free_slot = -1;
  for (int i = 0; i < SLOTS && free_slot < 0; i++) if (atomic_load(&slots[i].start) == 0) free_slot = i;
  if (free_slot < 0) { pthread_mutex_unlock(&lock); errno = ENOSPC; return NULL; }
  void *address = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) { pthread_mutex_unlock(&lock); return NULL; }
  atomic_store(&slots[free_slot].faults, 0);
  atomic_store(&slots[free_slot].end, (uintptr_t)address + size);
  atomic_store(&slots[free_slot].start, (uintptr_t)address);
  pthread_mutex_unlock(&lock);
  return address;
}

void sieve_unmap_file(void *address, size_t size) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < SLOTS; i++) {
    if (atomic_load(&slots[i].start) == (uintptr_t)address) {
      atomic_store(&slots[i].start, 0);
      atomic_store(&slots[i].end, 0);
    }
  }
  munmap(address, size);
  pthread_mutex_unlock(&lock);
}

uint64_t sieve_mapping_faults(const void *address) {
  for (int i = 0; i < SLOTS; i++) {
    if (atomic_load(&slots[i].start) == (uintptr_t)address) return atomic_load(&slots[i].faults);
  }
  return 0;
}
