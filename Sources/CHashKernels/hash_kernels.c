// PDQ's and pHash's pixel loops at several vector widths, chosen at run time.
//
// Bit-exactness rests on three rules kept for the whole file: no contraction of a
// multiply and an add into a fused multiply-add (the pragmas below), no reassociation
// (no fast-math flags), and every vector lane computing what the scalar reference
// computes for its own row or column, in the same order.

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#include "sieve_hash_kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

/// Windows up to this size divide through their reciprocal pair where the CPU has FMA:
/// for each of them, every float32 mantissa was checked against true division.
#define SK_RECIPROCAL_MAX 2048

/// The pair (zh, zl) that gives `a / window` as `fma(a, zh, a · zl)`, correctly rounded,
/// for every float32 `a` in the range the blur sees (no subnormals): zh = RN(1 / window)
/// and zl = RN(1 / window − zh), the method of Brisebarre, Muller and Raina ("Accelerating
/// correctly rounded floating-point division when the divisor is known in advance", IEEE
/// TC 2004). It is not exact for every divisor, so it is used only for windows 1…
/// SK_RECIPROCAL_MAX, each checked on all 2^23 mantissas (the result scales exactly with
/// `a`'s exponent): `sieve_reciprocal_mismatches` is that check, and the tests run it.
/// (0, 0) means "divide".
static void sk_reciprocal(int window, float pair[2]) {
  if (window < 1 || window > SK_RECIPROCAL_MAX) {
    pair[0] = pair[1] = 0;
    return;
  }
  const float zh = 1.0f / (float)window;
  pair[0] = zh;
  pair[1] = (float)(1.0 / (double)window - (double)zh);
}

/// Vectors in each circular buffer of the first horizontal pass: a power of two, at least
/// the window plus two blocks of columns (a block is 4 to 16): the pass reads a block of
/// columns ahead and may gather the block after it first.
static inline int sk_circular_count(int window_h) {
  int count = 16;
  while (count < window_h + 32) count *= 2;
  return count;
}

/// Row `y` of a stream's ring.
static inline float *sk_ring_row(const sieve_pdq_stream *s, int y) {
  return s->ring + (size_t)(y % s->ring_rows) * s->width;
}

#define SK_LANES 4
#define SK_SUFFIX _portable
#define SK_TARGET
#include "kernels_impl.h"
#undef SK_LANES
#undef SK_SUFFIX
#undef SK_TARGET

#if defined(__x86_64__) && defined(__clang__)
#define SK_HAVE_X86 1
#include <immintrin.h>

#define SK_LANES 8
#define SK_SUFFIX _avx2
#define SK_TARGET __attribute__((target("avx2,fma")))
#include "kernels_impl.h"
#undef SK_LANES
#undef SK_SUFFIX
#undef SK_TARGET

#define SK_LANES 16
#define SK_SUFFIX _avx512
#define SK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#include "kernels_impl.h"
#undef SK_LANES
#undef SK_SUFFIX
#undef SK_TARGET
#endif

static atomic_int sk_cpu_level = 0;     // 0: not yet read
static atomic_int sk_forced_level = 0;  // 0: none

static int sk_read_cpu_level(void) {
#if SK_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return 3;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
#endif
  return 1;
}

int sieve_kernels_level(void) {
  int cpu = atomic_load_explicit(&sk_cpu_level, memory_order_relaxed);
  if (cpu == 0) {
    cpu = sk_read_cpu_level();
    // SIEVE_SIMD_LEVEL=1 or 2 caps the width for a whole run (to compare the builds).
    const char *cap = getenv("SIEVE_SIMD_LEVEL");
    if (cap && cap[0] >= '1' && cap[0] <= '3' && cap[1] == 0 && cap[0] - '0' < cpu) cpu = cap[0] - '0';
    atomic_store_explicit(&sk_cpu_level, cpu, memory_order_relaxed);
  }
  const int forced = atomic_load_explicit(&sk_forced_level, memory_order_relaxed);
  return forced > 0 && forced < cpu ? forced : cpu;
}

void sieve_kernels_set_level(int level) {
  atomic_store_explicit(&sk_forced_level, level < 0 ? 0 : level, memory_order_relaxed);
}

/// The copy of kernel `name` for the vector width in use: `name##_avx512`, `_avx2` or
/// `_portable` (every copy has the same signature).
#if SK_HAVE_X86
#define SK_KERNEL(name) \
  (sieve_kernels_level() == 3 ? name##_avx512 : sieve_kernels_level() == 2 ? name##_avx2 : name##_portable)
#else
#define SK_KERNEL(name) name##_portable
#endif

uint8_t sieve_luma_from_rgb(const uint8_t *rgb, float *luma, uint16_t *gray, size_t count, int check_gray) {
  return SK_KERNEL(sk_luma_from_rgb)(rgb, luma, gray, count, check_gray);
}

void sieve_luma_from_gray(const uint8_t *gray, float *luma, size_t count) {
  SK_KERNEL(sk_luma_from_gray)(gray, luma, count);
}

long sieve_reciprocal_mismatches(int window) {
  float pair[2];
  sk_reciprocal(window, pair);
  if (pair[0] == 0) return -1;
#if SK_HAVE_X86
  switch (sieve_kernels_level()) {
  case 3: return sk_reciprocal_mismatches_avx512((float)window, pair[0], pair[1]);
  case 2: return sk_reciprocal_mismatches_avx2((float)window, pair[0], pair[1]);
  default: break;
  }
#endif
  long mismatches = 0;
  for (uint32_t bits = 0x3f800000u; bits < 0x40000000u; bits++) {
    float a;
    __builtin_memcpy(&a, &bits, sizeof a);
    mismatches += a / (float)window != fmaf(a, pair[0], a * pair[1]);
  }
  return mismatches;
}

void sieve_resample_row(
  const uint16_t *input, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *high, const int16_t *low, size_t kernel_size) {
  SK_KERNEL(sk_resample_row)(input, output, output_count, first, count, high, low, kernel_size);
}

void sieve_resample_row_offset(
  const uint16_t *input, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *shifted, int32_t offset, size_t kernel_size) {
  SK_KERNEL(sk_resample_row_offset)(input, output, output_count, first, count, shifted, offset, kernel_size);
}

void sieve_resample_columns(
  const uint8_t *input, size_t columns, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int32_t *weights, size_t kernel_size) {
  SK_KERNEL(sk_resample_columns)(input, columns, output, output_count, first, count, weights, kernel_size);
}

/// Widest vector: 16 floats (64 bytes); scratch is aligned to it inside.
#define SK_MAX_LANES 16

/// Rows a band holds: two vectors' lanes.
#define SK_MAX_BAND (2 * SK_MAX_LANES)

/// Ring rows for bands of `band` rows. The first vertical pass subtracts the row
/// `window_v` rows back; a band of it (sk_vbox_band) waits until its last row's inputs
/// are in, so it lags the first horizontal pass by up to band + half − 2 rows; and the
/// caller writes up to a band of rows ahead between passes: wv + 2 · band − 1 rows in all
/// (wv + 31 at 8 lanes), two to spare here. No more than that, since every row the ring
/// cycles through is memory written and read again for each image (12 MP: 16 KB a row).
static int sk_ring_rows(int height, int band) {
  const int wv = (height + 127) / 128;
  const int rows = wv + 2 * band + 1;
  return rows < height ? rows : height;
}

/// Rows a band holds at a kernel level: two vectors' lanes.
static int sk_band_rows(int level) { return 2 * (level == 3 ? 16 : level == 2 ? 8 : 4); }

size_t sieve_pdq_stream_scratch_count(int width, int height, int column_count) {
  const size_t w = (size_t)width, c = (size_t)column_count;
  const size_t wv = ((size_t)height + 127) / 128;
  const size_t circular = (size_t)sk_circular_count((width + 127) / 128);
  return SK_MAX_LANES                              // alignment
    + 2 * w * SK_MAX_LANES                         // gathered columns
    + 2 * circular * SK_MAX_LANES                  // the first horizontal pass's circular buffers
    + 2 * c * SK_MAX_LANES                         // picked columns
    + (size_t)sk_ring_rows(height, SK_MAX_BAND) * w  // the ring, at the widest level
    + SK_MAX_BAND * w + w                          // the first vertical pass's band and sums
    + wv * c + c;                                  // the second vertical pass's ring and sums
}

void sieve_pdq_stream_begin(
  sieve_pdq_stream *s, int width, int height, const int32_t *columns, int column_count,
  float *result, float *scratch) {
  float *p = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
  const size_t w = (size_t)width, c = (size_t)column_count;
  s->width = width;
  s->height = height;
  s->window_h = (width + 127) / 128;
  s->window_v = (height + 127) / 128;
  s->column_count = column_count;
  s->level = sieve_kernels_level();
  s->reciprocal_h[0] = s->reciprocal_h[1] = s->reciprocal_v[0] = s->reciprocal_v[1] = 0;
  s->columns = columns;
  s->result = result;
  s->gathered = p; p += 2 * w * SK_MAX_LANES;
  s->circular = p; p += 2 * (size_t)sk_circular_count(s->window_h) * SK_MAX_LANES;
  s->picked = p; p += 2 * c * SK_MAX_LANES;
  s->ring_rows = sk_ring_rows(height, sk_band_rows(s->level));
  s->ring = p; p += (size_t)s->ring_rows * w;
  s->band = p; p += SK_MAX_BAND * w;
  s->sum = p; p += w;
  s->ring2 = p; p += (size_t)s->window_v * c;
  s->sum2 = p;
  for (size_t x = 0; x < w; x++) s->sum[x] = 0;
  s->size = 0;
  s->pending = s->done2 = 0;
  s->received = s->filtered1 = s->emitted = s->finished = 0;
}

void sieve_pdq_stream_assume_8bit_luma(sieve_pdq_stream *s) {
  if (s->level < 2 || s->received > 0) return;
  sk_reciprocal(s->window_h, s->reciprocal_h);
  sk_reciprocal(s->window_v, s->reciprocal_v);
}

int sieve_floats_are_luma_like(const float *values, size_t count) {
  int outside = 0;
  for (size_t i = 0; i < count; i++) {
    const float m = __builtin_fabsf(values[i]);
    // NaN fails both comparisons, so counts as outside.
    outside |= m != 0 && !(m >= 0x1p-20f && m <= 0x1p40f);
  }
  return !outside;
}

float *sieve_pdq_stream_row(sieve_pdq_stream *s) { return sk_ring_row(s, s->received); }

void sieve_pdq_stream_push(sieve_pdq_stream *s) {
  s->received++;
  const int band = sk_band_rows(s->level);
  if (s->received - s->filtered1 < band && s->received < s->height) return;
#if SK_HAVE_X86
  switch (s->level) {
  case 3: sk_stream_advance_avx512(s); return;
  case 2: sk_stream_advance_avx2(s); return;
  default: break;
  }
#endif
  sk_stream_advance_portable(s);
}
