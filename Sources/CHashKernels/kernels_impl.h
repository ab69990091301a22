// The kernels, for one vector width. Included by hash_kernels.c once per width with
// SK_LANES (4, 8 or 16), SK_SUFFIX (a name suffix) and SK_TARGET (a target attribute,
// or nothing) defined. Every function keeps the reference's float32 operation order;
// contraction into fused multiply-adds is off for the whole file (hash_kernels.c).

#define SK_CAT2(a, b) a##b
#define SK_CAT(a, b) SK_CAT2(a, b)
#define SK_FN(name) SK_CAT(name, SK_SUFFIX)
#define SK_V SK_CAT(sk_vf_, SK_SUFFIX)

typedef float SK_V __attribute__((ext_vector_type(SK_LANES)));

#if SK_LANES == 4
#define SK_EVENS 0, 2, 4, 6
#define SK_ODDS 1, 3, 5, 7
#define SK_LOG2 2
#elif SK_LANES == 8
#define SK_EVENS 0, 2, 4, 6, 8, 10, 12, 14
#define SK_ODDS 1, 3, 5, 7, 9, 11, 13, 15
#define SK_LOG2 3
#elif SK_LANES == 16
#define SK_EVENS 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define SK_ODDS 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define SK_LOG2 4
#else
#error "SK_LANES must be 4, 8 or 16"
#endif

static inline SK_TARGET SK_V SK_FN(sk_load)(const float *p) {
  SK_V v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

static inline SK_TARGET void SK_FN(sk_store)(float *p, SK_V v) { __builtin_memcpy(p, &v, sizeof v); }

/// Transposes SK_LANES vectors of SK_LANES lanes in place: log2(lanes) rounds of
/// splitting each pair's lanes into evens and odds, each round rotating the bits of an
/// element's (row, column) index by one, so that the last round has swapped them.
static inline SK_TARGET void SK_FN(sk_transpose)(SK_V *v) {
  for (int round = 0; round < SK_LOG2; round++) {
    SK_V t[SK_LANES];
    for (int k = 0; k < SK_LANES / 2; k++) {
      t[k] = __builtin_shufflevector(v[2 * k], v[2 * k + 1], SK_EVENS);
      t[k + SK_LANES / 2] = __builtin_shufflevector(v[2 * k], v[2 * k + 1], SK_ODDS);
    }
    for (int k = 0; k < SK_LANES; k++) v[k] = t[k];
  }
}

#if SK_LANES == 8
/// Four vectors' 4 × 4 blocks transposed within each 128-bit half (`_MM_TRANSPOSE4_PS`
/// on both halves at once): in-lane shuffles only, the cheap ones on every AVX2 CPU.
static inline SK_TARGET void sk_transpose4_halves(__m256 *t) {
  const __m256 a = _mm256_unpacklo_ps(t[0], t[1]), b = _mm256_unpackhi_ps(t[0], t[1]);
  const __m256 c = _mm256_unpacklo_ps(t[2], t[3]), d = _mm256_unpackhi_ps(t[2], t[3]);
  t[0] = _mm256_shuffle_ps(a, c, 0x44);
  t[1] = _mm256_shuffle_ps(a, c, 0xEE);
  t[2] = _mm256_shuffle_ps(b, d, 0x44);
  t[3] = _mm256_shuffle_ps(b, d, 0xEE);
}
#endif

#if SK_LANES == 8
/// Columns a block: 4 on AVX2 (rows r and r + 4 share a vector, so that 4 × 4 transposes
/// within the 128-bit halves do it all), else a vector's lanes.
#define SK_BLOCK 4
#else
#define SK_BLOCK SK_LANES
#endif

/// Columns x … x + SK_BLOCK − 1 of SK_LANES rows into `out[0 …]`: `out[c]` holds
/// `rows[0][x + c] … rows[L − 1][x + c]`.
static inline SK_TARGET void SK_FN(sk_gather_block)(const float *const *rows, int x, SK_V *out) {
#if SK_LANES == 8
  __m256 t[4];
  for (int r = 0; r < 4; r++) {
    t[r] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(rows[r] + x)), _mm_loadu_ps(rows[r + 4] + x), 1);
  }
  sk_transpose4_halves(t);
  for (int c = 0; c < 4; c++) _mm256_store_ps((float *)&out[c], t[c]);
#else
  SK_V v[SK_LANES];
  for (int r = 0; r < SK_LANES; r++) v[r] = SK_FN(sk_load)(rows[r] + x);
  SK_FN(sk_transpose)(v);
  for (int c = 0; c < SK_LANES; c++) out[c] = v[c];
#endif
}

/// The inverse of sk_gather_block for the first `valid` rows.
static inline SK_TARGET void SK_FN(sk_scatter_block)(float *const *rows, int valid, int x, const SK_V *in) {
#if SK_LANES == 8
  __m256 t[4];
  for (int c = 0; c < 4; c++) t[c] = _mm256_load_ps((const float *)&in[c]);
  sk_transpose4_halves(t);
  for (int r = 0; r < 4 && r < valid; r++) _mm_storeu_ps(rows[r] + x, _mm256_castps256_ps128(t[r]));
  for (int r = 4; r < valid; r++) _mm_storeu_ps(rows[r] + x, _mm256_extractf128_ps(t[r - 4], 1));
#else
  SK_V v[SK_LANES];
  for (int c = 0; c < SK_LANES; c++) v[c] = in[c];
  SK_FN(sk_transpose)(v);
  for (int r = 0; r < valid; r++) SK_FN(sk_store)(rows[r] + x, v[r]);
#endif
}

/// Columns of SK_LANES rows into vectors: `out[x]` holds `rows[0][x] … rows[L-1][x]`.
static SK_TARGET void SK_FN(sk_gather)(const float *const *rows, int width, SK_V *out) {
  int x = 0;
  for (; x + SK_BLOCK <= width; x += SK_BLOCK) SK_FN(sk_gather_block)(rows, x, out + x);
  for (; x < width; x++) {
    SK_V v;
    for (int r = 0; r < SK_LANES; r++) v[r] = rows[r][x];
    out[x] = v;
  }
}

/// box1DFloat's four phases along n vectors (each lane its own row), for two bands of rows
/// at once (`in0`, `in1`), interleaved so that the two chains of dependent adds overlap;
/// every add, subtract and divide a separate float32 operation. `EMIT()` is called once
/// per output `o`, in order, with `sum0`, `sum1` and `size` as the reference has them then.
#define SK_HBOX_PHASES(EMIT)                                  \
  const int half = (window + 2) / 2;                          \
  SK_V sum0 = 0, sum1 = 0;                                    \
  int size = 0, right = 0, left = 0, o = 0;                   \
  for (int i = 0; i < half - 1; i++) {                        \
    sum0 = sum0 + in0[right];                                 \
    sum1 = sum1 + in1[right];                                 \
    right++;                                                  \
    size++;                                                   \
  }                                                           \
  for (int i = 0; i < window - half + 1; i++) {               \
    sum0 = sum0 + in0[right];                                 \
    sum1 = sum1 + in1[right];                                 \
    right++;                                                  \
    size++;                                                   \
    EMIT();                                                   \
    o++;                                                      \
  }                                                           \
  for (int i = 0; i < n - window; i++) {                      \
    sum0 = sum0 + in0[right];                                 \
    sum1 = sum1 + in1[right];                                 \
    sum0 = sum0 - in0[left];                                  \
    sum1 = sum1 - in1[left];                                  \
    right++;                                                  \
    left++;                                                   \
    EMIT();                                                   \
    o++;                                                      \
  }                                                           \
  for (int i = 0; i < half - 1; i++) {                        \
    sum0 = sum0 - in0[left];                                  \
    sum1 = sum1 - in1[left];                                  \
    left++;                                                   \
    size--;                                                   \
    EMIT();                                                   \
    o++;                                                      \
  }

#if SK_LANES >= 8
/// `sum / window` as `sk_reciprocal` explains, or divided when `zh` is 0.
#define SK_BY_WINDOW(sum) (zh != 0 ? __builtin_elementwise_fma(sum, (SK_V)zh, sum * zl) : sum / (float)window)
#else
#define SK_BY_WINDOW(sum) (sum / (float)window)
#endif

/// The same running sums, divided only at the listed outputs: `out[j]` is output
/// `columns[j]` (ascending, distinct).
static SK_TARGET void SK_FN(sk_hbox_at)(
  const SK_V *in0, const SK_V *in1, SK_V *out0, SK_V *out1, int n, int window, const int32_t *columns,
  int count) {
  int next = 0;
#define SK_EMIT_LISTED()                            \
  do {                                              \
    if (next < count && columns[next] == o) {       \
      out0[next] = sum0 / (float)size;              \
      out1[next] = sum1 / (float)size;              \
      next++;                                       \
    }                                               \
  } while (0)
  SK_HBOX_PHASES(SK_EMIT_LISTED)
#undef SK_EMIT_LISTED
}

static SK_TARGET void SK_FN(sk_add)(float *restrict sum, const float *restrict row, int n) {
  for (int x = 0; x < n; x++) sum[x] = sum[x] + row[x];
}

static SK_TARGET void SK_FN(sk_sub)(float *restrict sum, const float *restrict row, int n) {
  for (int x = 0; x < n; x++) sum[x] = sum[x] - row[x];
}

static SK_TARGET void SK_FN(sk_add_sub)(
  float *restrict sum, const float *restrict add, const float *restrict sub, int n) {
  for (int x = 0; x < n; x++) {
    float s = sum[x] + add[x];
    sum[x] = s - sub[x];
  }
}

static SK_TARGET void SK_FN(sk_divide)(float *restrict out, const float *restrict sum, float size, int n) {
  for (int x = 0; x < n; x++) out[x] = sum[x] / size;
}

#if SK_LANES >= 8
typedef int SK_CAT(sk_vi_, SK_SUFFIX) __attribute__((ext_vector_type(SK_LANES)));

/// How many float32 `a` in [1, 2) give `fma(a, zh, a · zl) != a / window`.
static SK_TARGET long SK_FN(sk_reciprocal_mismatches)(float window, float zh, float zl) {
  typedef SK_CAT(sk_vi_, SK_SUFFIX) SK_I;
  SK_I bits;
  for (int k = 0; k < SK_LANES; k++) bits[k] = 0x3f800000 + k;
  SK_I mismatches = 0;
  for (int m = 0; m < (1 << 23); m += SK_LANES) {
    SK_V a;
    __builtin_memcpy(&a, &bits, sizeof a);
    mismatches -= (SK_I)(a / window != __builtin_elementwise_fma(a, (SK_V)zh, a * zl));
    bits += SK_LANES;
  }
  long total = 0;
  for (int k = 0; k < SK_LANES; k++) total += mismatches[k];
  return total;
}
#endif

/// box1DFloat down every column of `rows` rows of `cols` floats, in place; the ring
/// keeps the last `window` input rows for the running sums to subtract.
static SK_TARGET void SK_FN(sk_vbox_inplace)(
  float *data, int rows, int cols, int window, float *restrict ring, float *restrict sum) {
  const int half = (window + 2) / 2;
  float size = 0;
  for (int x = 0; x < cols; x++) sum[x] = 0;
  for (int row = 0; row < half - 1; row++) {
    SK_FN(sk_add)(sum, data + (size_t)row * cols, cols);
    size += 1;
  }
  for (int out = 0; out < rows; out++) {
    float *r = data + (size_t)out * cols;
    if (out <= window - half) {
      SK_FN(sk_add)(sum, data + (size_t)(out + half - 1) * cols, cols);
      size += 1;
    } else if (out <= rows - half) {
      SK_FN(sk_add_sub)(sum, data + (size_t)(out + half - 1) * cols,
                        ring + (size_t)((out - (window - half + 1)) % window) * cols, cols);
    } else {
      SK_FN(sk_sub)(sum, ring + (size_t)((out - (window - half + 1)) % window) * cols, cols);
      size -= 1;
    }
    __builtin_memcpy(ring + (size_t)(out % window) * cols, r, (size_t)cols * sizeof(float));
    SK_FN(sk_divide)(r, sum, size, cols);
  }
}

/// box1DFloat along the rows, in place, for two vectors' lanes of rows (`rows`, of which
/// the first `valid` are written back; the others may repeat the last): columns are
/// gathered a block at a time into circular buffers (`buffer0`, `buffer1`, `ring` vectors
/// each: a power of two, at least window + 2 × SK_BLOCK), and every block of outputs is
/// scattered back over columns already read. The four phases of SK_HBOX_PHASES, dividing
/// by the whole window in the middle one through its reciprocal pair where there is one.
/// Not inlined: inlined into sk_stream_advance, it ran about 10 % slower (registers spilled).
static __attribute__((noinline)) SK_TARGET void SK_FN(sk_hbox_rows)(
  float *const *rows, int valid, int n, int window, float zh, float zl, SK_V *buffer0, SK_V *buffer1, int ring) {
  (void)zh, (void)zl;
  float *const *rows1 = rows + SK_LANES;
  const int valid0 = valid < SK_LANES ? valid : SK_LANES, valid1 = valid - valid0, mask = ring - 1;
  const int half = (window + 2) / 2;
  SK_V out0[SK_BLOCK], out1[SK_BLOCK];
  SK_V sum0 = 0, sum1 = 0;
  int size = 0, right = 0, left = 0, o = 0, filled = 0;
#define SK_NEED_UPTO(last)                                                           \
  while (filled <= (last)) {                                                         \
    if (filled + SK_BLOCK <= n) {                                                    \
      SK_FN(sk_gather_block)((const float *const *)rows, filled, buffer0 + (filled & mask));  \
      SK_FN(sk_gather_block)((const float *const *)rows1, filled, buffer1 + (filled & mask)); \
      filled += SK_BLOCK;                                                            \
    } else {                                                                         \
      SK_V v0, v1;                                                                   \
      for (int r = 0; r < SK_LANES; r++) {                                           \
        v0[r] = rows[r][filled];                                                     \
        v1[r] = rows1[r][filled];                                                    \
      }                                                                              \
      buffer0[filled & mask] = v0;                                                   \
      buffer1[filled & mask] = v1;                                                   \
      filled++;                                                                      \
    }                                                                                \
  }
#define SK_PUT(v0, v1)                                                               \
  do {                                                                               \
    out0[o % SK_BLOCK] = (v0);                                                       \
    out1[o % SK_BLOCK] = (v1);                                                       \
    o++;                                                                             \
    if (o % SK_BLOCK == 0) {                                                         \
      SK_FN(sk_scatter_block)(rows, valid0, o - SK_BLOCK, out0);                     \
      if (valid1 > 0) SK_FN(sk_scatter_block)(rows1, valid1, o - SK_BLOCK, out1);    \
    }                                                                                \
  } while (0)
  for (int i = 0; i < half - 1; i++) {
    SK_NEED_UPTO(right);
    sum0 = sum0 + buffer0[right & mask];
    sum1 = sum1 + buffer1[right & mask];
    right++;
    size++;
  }
  for (int i = 0; i < window - half + 1; i++) {
    SK_NEED_UPTO(right);
    sum0 = sum0 + buffer0[right & mask];
    sum1 = sum1 + buffer1[right & mask];
    right++;
    size++;
    SK_PUT(sum0 / (float)size, sum1 / (float)size);
  }
  // One column of the middle phase: a column in, one out, the whole window summed.
#define SK_MIDDLE_STEP()                              \
  do {                                                \
    SK_NEED_UPTO(right);                              \
    sum0 = sum0 + buffer0[right & mask];              \
    sum1 = sum1 + buffer1[right & mask];              \
    sum0 = sum0 - buffer0[left & mask];               \
    sum1 = sum1 - buffer1[left & mask];               \
    right++;                                          \
    left++;                                           \
    SK_PUT(SK_BY_WINDOW(sum0), SK_BY_WINDOW(sum1));   \
  } while (0)
  int i = 0;
#if SK_LANES >= 8
  if (zh != 0) {
    // A block of outputs a step once they are aligned to blocks: one gather check and one
    // scatter a block, the same operations in the same order.
    for (; i < n - window && o % SK_BLOCK != 0; i++) SK_MIDDLE_STEP();
    for (; i + SK_BLOCK <= n - window; i += SK_BLOCK) {
      SK_NEED_UPTO(right + SK_BLOCK - 1);
      for (int k = 0; k < SK_BLOCK; k++) {
        sum0 = sum0 + buffer0[(right + k) & mask];
        sum1 = sum1 + buffer1[(right + k) & mask];
        sum0 = sum0 - buffer0[(left + k) & mask];
        sum1 = sum1 - buffer1[(left + k) & mask];
        out0[k] = __builtin_elementwise_fma(sum0, (SK_V)zh, sum0 * zl);
        out1[k] = __builtin_elementwise_fma(sum1, (SK_V)zh, sum1 * zl);
      }
      right += SK_BLOCK;
      left += SK_BLOCK;
      if (valid1 == SK_LANES) {  // every row but the picture's last few: no count to check
        SK_FN(sk_scatter_block)(rows, SK_LANES, o, out0);
        SK_FN(sk_scatter_block)(rows1, SK_LANES, o, out1);
      } else {
        SK_FN(sk_scatter_block)(rows, valid0, o, out0);
        if (valid1 > 0) SK_FN(sk_scatter_block)(rows1, valid1, o, out1);
      }
      o += SK_BLOCK;
    }
  }
#endif
  for (; i < n - window; i++) SK_MIDDLE_STEP();
  for (int i = 0; i < half - 1; i++) {
    sum0 = sum0 - buffer0[left & mask];
    sum1 = sum1 - buffer1[left & mask];
    left++;
    size--;
    SK_PUT(sum0 / (float)size, sum1 / (float)size);
  }
#undef SK_NEED_UPTO
#undef SK_MIDDLE_STEP
#undef SK_PUT
  // The last outputs short of a block.
  for (int x = o - o % SK_BLOCK; x < n; x++) {
    for (int r = 0; r < valid0; r++) rows[r][x] = out0[x % SK_BLOCK][r];
    for (int r = 0; r < valid1; r++) rows1[r][x] = out1[x % SK_BLOCK][r];
  }
}

/// The first vertical pass for the 2 × SK_LANES output rows from `e`, all of the middle
/// phase (each adds a row and subtracts one, and divides by the whole window), a chunk of
/// SK_LANES columns at a time with the sums held in a register down the chunk, each chunk
/// transposed into `gathered` for the second horizontal pass: the same float32 operations
/// as the row-by-row path, without writing the rows out and reading them back.
static SK_TARGET void SK_FN(sk_vbox_band)(sieve_pdq_stream *s, int e) {
  const int width = s->width, window = s->window_v, half = (window + 2) / 2;
  const float zh = s->reciprocal_v[0], zl = s->reciprocal_v[1];
  (void)zh, (void)zl;
  SK_V *gathered = (SK_V *)s->gathered;
  const float *add[2 * SK_LANES], *sub[2 * SK_LANES];
  for (int r = 0; r < 2 * SK_LANES; r++) {
    add[r] = sk_ring_row(s, e + r + half - 1);
    sub[r] = sk_ring_row(s, e + r - (window - half + 1));
  }
  // Four chunks side by side first: four independent chains of dependent adds.
  SK_V tiles[4][2 * SK_LANES];
  const float *tiles_rows[4][2 * SK_LANES];
  for (int k = 0; k < 4; k++) {
    for (int r = 0; r < 2 * SK_LANES; r++) tiles_rows[k][r] = (const float *)&tiles[k][r];
  }
  int x = 0;
  for (; x + 4 * SK_LANES <= width; x += 4 * SK_LANES) {
    SK_V sum[4];
    for (int k = 0; k < 4; k++) sum[k] = SK_FN(sk_load)(s->sum + x + k * SK_LANES);
    for (int r = 0; r < 2 * SK_LANES; r++) {
      for (int k = 0; k < 4; k++) sum[k] = sum[k] + SK_FN(sk_load)(add[r] + x + k * SK_LANES);
      for (int k = 0; k < 4; k++) sum[k] = sum[k] - SK_FN(sk_load)(sub[r] + x + k * SK_LANES);
      for (int k = 0; k < 4; k++) tiles[k][r] = SK_BY_WINDOW(sum[k]);
    }
    for (int k = 0; k < 4; k++) {
      SK_FN(sk_store)(s->sum + x + k * SK_LANES, sum[k]);
      SK_FN(sk_gather)(tiles_rows[k], SK_LANES, gathered + x + k * SK_LANES);
      SK_FN(sk_gather)(tiles_rows[k] + SK_LANES, SK_LANES, gathered + width + x + k * SK_LANES);
    }
  }
  SK_V *tile = tiles[0];
  const float *const *tile_rows = tiles_rows[0];
  for (; x + SK_LANES <= width; x += SK_LANES) {
    SK_V sum = SK_FN(sk_load)(s->sum + x);
    for (int r = 0; r < 2 * SK_LANES; r++) {
      sum = sum + SK_FN(sk_load)(add[r] + x);
      sum = sum - SK_FN(sk_load)(sub[r] + x);
      tile[r] = SK_BY_WINDOW(sum);
    }
    SK_FN(sk_store)(s->sum + x, sum);
    SK_FN(sk_gather)(tile_rows, SK_LANES, gathered + x);
    SK_FN(sk_gather)(tile_rows + SK_LANES, SK_LANES, gathered + width + x);
  }
  for (; x < width; x++) {
    float sum = s->sum[x];
    for (int r = 0; r < 2 * SK_LANES; r++) {
      sum = sum + add[r][x];
      sum = sum - sub[r][x];
#if SK_LANES >= 8
      const float value = zh != 0 ? __builtin_fmaf(sum, zh, sum * zl) : sum / (float)window;
#else
      const float value = sum / (float)window;
#endif
      gathered[x + (r < SK_LANES ? 0 : width)][r % SK_LANES] = value;
    }
    s->sum[x] = sum;
  }
}

/// The second horizontal pass over `rows` rows in `gathered` (two vectors' lanes, the
/// rest repeats), divided at the listed columns into `result`.
static SK_TARGET void SK_FN(sk_finish_band)(sieve_pdq_stream *s, int rows) {
  const int width = s->width, count = s->column_count, lanes = SK_LANES;
  SK_V *gathered = (SK_V *)s->gathered, *picked = (SK_V *)s->picked;
  SK_FN(sk_hbox_at)(gathered, gathered + width, picked, picked + count, width, s->window_h, s->columns, count);
  for (int r = 0; r < rows; r++) {
    float *out = s->result + (size_t)(s->done2 + r) * count;
    const SK_V *from = r < lanes ? picked : picked + count;
    const int lane = r < lanes ? r : r - lanes;
    for (int j = 0; j < count; j++) out[j] = from[j][lane];
  }
  s->done2 += rows;
}

/// The first horizontal pass over the rows received since the last band (up to
/// 2 × SK_LANES, two vectors of rows), in the ring, then every row of the first vertical
/// pass those rows complete; every 2 × SK_LANES of those (or the last few) go through the
/// second horizontal pass into `result`. Bands of the vertical pass's middle phase go
/// through sk_vbox_band whole; the first and last rows one at a time.
static SK_TARGET void SK_FN(sk_stream_advance)(sieve_pdq_stream *s) {
  const int lanes = SK_LANES, band = 2 * SK_LANES;
  const int width = s->width, height = s->height, wv = s->window_v, half = (wv + 2) / 2;
  SK_V *gathered = (SK_V *)s->gathered, *circular = (SK_V *)s->circular;
  const int n = s->received - s->filtered1;
  if (n > 0) {
    float *rows[2 * SK_LANES];
    for (int r = 0; r < band; r++) rows[r] = sk_ring_row(s, s->filtered1 + (r < n ? r : n - 1));
    const int ring = sk_circular_count(s->window_h);
    SK_FN(sk_hbox_rows)(rows, n, width, s->window_h, s->reciprocal_h[0], s->reciprocal_h[1], circular,
                        circular + ring, ring);
    s->filtered1 += n;
  }
  while (s->emitted < height) {
    const int e = s->emitted;
    if (s->pending == 0 && e > wv - half && e + band - 1 <= height - half) {
      if (e + band - 1 + half - 1 >= s->filtered1) break;
      SK_FN(sk_vbox_band)(s, e);
      s->emitted += band;
      SK_FN(sk_finish_band)(s, band);
      continue;
    }
    const int needed = e + half - 1 < height - 1 ? e + half - 1 : height - 1;
    if (needed >= s->filtered1) break;
    if (e == 0) {
      for (int row = 0; row < half - 1; row++) {
        SK_FN(sk_add)(s->sum, sk_ring_row(s, row), width);
        s->size += 1;
      }
    }
    if (e <= wv - half) {
      SK_FN(sk_add)(s->sum, sk_ring_row(s, e + half - 1), width);
      s->size += 1;
    } else if (e <= height - half) {
      SK_FN(sk_add_sub)(s->sum, sk_ring_row(s, e + half - 1), sk_ring_row(s, e - (wv - half + 1)), width);
    } else {
      SK_FN(sk_sub)(s->sum, sk_ring_row(s, e - (wv - half + 1)), width);
      s->size -= 1;
    }
    // The few rows here divide (the bands above take the reciprocal pairs): the same values.
    SK_FN(sk_divide)(s->band + (size_t)s->pending * width, s->sum, s->size, width);
    s->pending++;
    s->emitted++;
    if (s->pending == band || s->emitted == height) {
      const float *rows[2 * SK_LANES];
      for (int r = 0; r < band; r++) rows[r] = s->band + (size_t)(r < s->pending ? r : s->pending - 1) * width;
      SK_FN(sk_gather)(rows, width, gathered);
      SK_FN(sk_gather)(rows + lanes, width, gathered + width);
      SK_FN(sk_finish_band)(s, s->pending);
      s->pending = 0;
    }
  }
  if (s->done2 == height && !s->finished) {
    SK_FN(sk_vbox_inplace)(s->result, height, s->column_count, wv, s->ring2, s->sum2);
    s->finished = 1;
  }
}

/// sieve_luma_from_rgb, with `check` a constant in each copy (see below).
static inline __attribute__((always_inline)) SK_TARGET uint8_t SK_FN(sk_luma_from_rgb_with)(
  const uint8_t *restrict rgb, float *restrict luma, uint16_t *restrict gray, size_t count, const int check) {
  uint8_t difference = 0;
  size_t i = 0;
#if SK_LANES == 16
  // 16 pixels a step: the 48 bytes widened to 32-bit lanes, each channel picked out by two
  // two-source permutes, then the same float32 products and sums as below.
  const __m512i r1 = _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
  const __m512i r2 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29);
  const __m512i g1 = _mm512_setr_epi32(1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
  const __m512i g2 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30);
  const __m512i b1 = _mm512_setr_epi32(2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
  const __m512i b2 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31);
  const __m512 cr = _mm512_set1_ps(0.299f), cg = _mm512_set1_ps(0.587f), cb = _mm512_set1_ps(0.114f);
  __m512i differs = _mm512_setzero_si512();
  for (; i + 16 <= count; i += 16) {
    const uint8_t *p = rgb + 3 * i;
    const __m512i a = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
    const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + 16)));
    const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + 32)));
    const __m512i R = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(a, r1, b), r2, c);
    const __m512i G = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(a, g1, b), g2, c);
    const __m512i B = _mm512_permutex2var_epi32(_mm512_permutex2var_epi32(a, b1, b), b2, c);
    if (check) differs = _mm512_or_si512(differs, _mm512_or_si512(_mm512_xor_si512(R, G), _mm512_xor_si512(R, B)));
    const __m512 rg = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(R), cr), _mm512_mul_ps(_mm512_cvtepi32_ps(G), cg));
    _mm512_storeu_ps(luma + i, _mm512_add_ps(rg, _mm512_mul_ps(_mm512_cvtepi32_ps(B), cb)));
    if (gray) {
      __m512i y = _mm512_add_epi32(_mm512_mullo_epi32(R, _mm512_set1_epi32(19595)),
                                   _mm512_mullo_epi32(G, _mm512_set1_epi32(38470)));
      y = _mm512_add_epi32(y, _mm512_mullo_epi32(B, _mm512_set1_epi32(7471)));
      y = _mm512_srli_epi32(_mm512_add_epi32(y, _mm512_set1_epi32(0x8000)), 16);
      _mm256_storeu_si256((__m256i *)(gray + i), _mm512_cvtepi32_epi16(y));
    }
  }
  difference = _mm512_reduce_or_epi32(differs) != 0 ? 1 : 0;
#elif SK_LANES == 8
  // 8 pixels a vector: bytes 0…15 and 12…27 loaded into the two 128-bit halves, so that
  // each half holds four whole pixels at its start, and in-lane byte shuffles pick the
  // channels out. Pillow's gray comes from 16-bit pairs (R, G) and (B, G) in each 32-bit
  // lane, multiplied and summed by vpmaddwd with (19595, 22086) and (7471, 16384): the same
  // integer as R·19595 + G·38470 + B·7471. Gray checks XOR each byte with the next channel
  // of its pixel (R with G, G with B, B with R).
#define SK_LANE_MASK(...) _mm256_broadcastsi128_si256(_mm_setr_epi8(__VA_ARGS__))
  const __m256i pick_r = SK_LANE_MASK(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
  const __m256i pick_g = SK_LANE_MASK(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
  const __m256i pick_b = SK_LANE_MASK(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
  const __m256i pick_rg = SK_LANE_MASK(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1);
  const __m256i pick_bg = SK_LANE_MASK(2, -1, 1, -1, 5, -1, 4, -1, 8, -1, 7, -1, 11, -1, 10, -1);
  const __m256i next_channel = SK_LANE_MASK(1, 2, 0, 4, 5, 3, 7, 8, 6, 10, 11, 9, 12, 13, 14, 15);
#undef SK_LANE_MASK
  const __m256i weights_rg = _mm256_set1_epi32(19595 | (22086 << 16));
  const __m256i weights_bg = _mm256_set1_epi32(7471 | (16384 << 16));
  const __m256i rounding = _mm256_set1_epi32(0x8000);
  const __m256 cr = _mm256_set1_ps(0.299f), cg = _mm256_set1_ps(0.587f), cb = _mm256_set1_ps(0.114f);
  __m256i differs = _mm256_setzero_si256();
#define SK_LOAD8(p)                                                                                                     \
  _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p))),                             \
                          _mm_loadu_si128((const __m128i *)((p) + 12)), 1)
#define SK_LUMA8(bytes, out)                                                                                            \
  do {                                                                                                                  \
    if (check) differs = _mm256_or_si256(differs, _mm256_xor_si256(bytes, _mm256_shuffle_epi8(bytes, next_channel)));  \
    const __m256 r = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(bytes, pick_r));                                           \
    const __m256 g = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(bytes, pick_g));                                           \
    const __m256 b = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(bytes, pick_b));                                           \
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(r, cr), _mm256_mul_ps(g, cg)), _mm256_mul_ps(b, cb))); \
  } while (0)
#define SK_GRAY8(bytes)                                                                                                 \
  _mm256_srli_epi32(                                                                                                    \
    _mm256_add_epi32(_mm256_add_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(bytes, pick_rg), weights_rg),              \
                                      _mm256_madd_epi16(_mm256_shuffle_epi8(bytes, pick_bg), weights_bg)),             \
                     rounding),                                                                                         \
    16)
  // 16 pixels a step; the last vector's second half reads 52 bytes from the start: 18
  // pixels must remain.
  for (; i + 18 <= count; i += 16) {
    const uint8_t *p = rgb + 3 * i;
    const __m256i first = SK_LOAD8(p), second = SK_LOAD8(p + 24);
    SK_LUMA8(first, luma + i);
    SK_LUMA8(second, luma + i + 8);
    if (gray) {
      // Pixels 0…3 | 4…7 and 8…11 | 12…15 packed to words 0…3, 8…11 | 4…7, 12…15, then
      // their 64-bit groups put in order.
      const __m256i words = _mm256_packus_epi32(SK_GRAY8(first), SK_GRAY8(second));
      _mm256_storeu_si256((__m256i *)(gray + i), _mm256_permute4x64_epi64(words, 0xd8));
    }
  }
  // 8 pixels: reads 28 bytes, so 10 pixels must remain.
  for (; i + 10 <= count; i += 8) {
    const __m256i bytes = SK_LOAD8(rgb + 3 * i);
    SK_LUMA8(bytes, luma + i);
    if (gray) {
      const __m256i words = _mm256_packus_epi32(SK_GRAY8(bytes), _mm256_setzero_si256());
      _mm_storeu_si128((__m128i *)(gray + i), _mm256_castsi256_si128(_mm256_permute4x64_epi64(words, 0xd8)));
    }
  }
#undef SK_LOAD8
#undef SK_LUMA8
#undef SK_GRAY8
  difference = _mm256_testz_si256(differs, differs) ? 0 : 1;
#endif
  if (gray) {
    for (; i < count; i++) {
      const uint8_t r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      if (check) difference |= (uint8_t)((r ^ g) | (r ^ b));
      luma[i] = ((float)r * 0.299f + (float)g * 0.587f) + (float)b * 0.114f;
      gray[i] = (uint16_t)(((uint32_t)r * 19595u + (uint32_t)g * 38470u + (uint32_t)b * 7471u + 0x8000u) >> 16);
    }
  } else {
    for (; i < count; i++) {
      const uint8_t r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      if (check) difference |= (uint8_t)((r ^ g) | (r ^ b));
      luma[i] = ((float)r * 0.299f + (float)g * 0.587f) + (float)b * 0.114f;
    }
  }
  return check ? difference : 1;
}

/// Two copies: with the all-gray check, and without it (about a sixth of luma's time) for
/// the rows after one that is not gray, when the answer is known.
static SK_TARGET uint8_t SK_FN(sk_luma_from_rgb)(
  const uint8_t *restrict rgb, float *restrict luma, uint16_t *restrict gray, size_t count, int check_gray) {
  return check_gray ? SK_FN(sk_luma_from_rgb_with)(rgb, luma, gray, count, 1)
                    : SK_FN(sk_luma_from_rgb_with)(rgb, luma, gray, count, 0);
}

static SK_TARGET void SK_FN(sk_luma_from_gray)(const uint8_t *restrict gray, float *restrict luma, size_t count) {
  for (size_t i = 0; i < count; i++) luma[i] = (float)gray[i];
}

/// A resampled sum in Pillow's 22-bit fixed point to a byte: round half up, clip.
static inline SK_TARGET uint8_t SK_FN(sk_pillow_round)(uint32_t sum) {
  const int32_t value = (int32_t)(sum + (1u << 21)) >> 22;
  return (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
}

#if SK_LANES >= 8
/// The eight 32-bit lanes added, modulo 2^32.
static inline SK_TARGET uint32_t SK_FN(sk_lane_sum)(__m256i v) {
  const __m128i four = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i two = _mm_add_epi32(four, _mm_shuffle_epi32(four, 0x4e));
  return (uint32_t)_mm_cvtsi128_si32(_mm_add_epi32(two, _mm_shuffle_epi32(two, 0xb1)));
}
#endif

static SK_TARGET void SK_FN(sk_resample_row)(
  const uint16_t *restrict input, uint8_t *restrict output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *high, const int16_t *low, size_t kernel_size) {
  for (size_t i = 0; i < output_count; i++) {
    const uint16_t *in = input + first[i];
    const int16_t *kh = high + i * kernel_size, *kl = low + i * kernel_size;
    const int32_t n = count[i];
    // Unsigned sums, so that wrapping is defined: Σ v·low alone passes 2^31 on a very wide
    // picture (255 · 255 · n, from about 260,000 pixels). The true total Σ v·w lies within
    // ±255 · Σ|w| < 2^31, so 256 · high + low taken modulo 2^32 is exactly it.
    uint32_t sum_high = 0, sum_low = 0;
    int32_t x = 0;
#if SK_LANES == 16
    // 32 pixels a step, multiplied by both halves of the weights and summed in pairs into
    // 32-bit lanes (vpmaddwd). Integer sums: any order is exact.
    __m512i high512 = _mm512_setzero_si512(), low512 = _mm512_setzero_si512();
    for (; x + 32 <= n; x += 32) {
      const __m512i v = _mm512_loadu_si512((const void *)(in + x));
      high512 = _mm512_add_epi32(high512, _mm512_madd_epi16(v, _mm512_loadu_si512((const void *)(kh + x))));
      low512 = _mm512_add_epi32(low512, _mm512_madd_epi16(v, _mm512_loadu_si512((const void *)(kl + x))));
    }
    sum_high = (uint32_t)_mm512_reduce_add_epi32(high512);
    sum_low = (uint32_t)_mm512_reduce_add_epi32(low512);
#elif SK_LANES == 8
    __m256i high256 = _mm256_setzero_si256(), low256 = _mm256_setzero_si256();
    for (; x + 16 <= n; x += 16) {
      const __m256i v = _mm256_loadu_si256((const __m256i *)(in + x));
      high256 = _mm256_add_epi32(high256, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(kh + x))));
      low256 = _mm256_add_epi32(low256, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(kl + x))));
    }
    sum_high += SK_FN(sk_lane_sum)(high256);
    sum_low += SK_FN(sk_lane_sum)(low256);
#endif
    for (; x < n; x++) {
      const uint32_t v = in[x];
      sum_high += v * (uint32_t)(int32_t)kh[x];
      sum_low += v * (uint32_t)(int32_t)kl[x];
    }
    const uint32_t sum = (sum_high << 8) + sum_low;
    output[i] = SK_FN(sk_pillow_round)(sum);
  }
}

/// sk_resample_row with the weights as `w − offset` in 16 bits: Σ v·(w − offset) plus
/// offset · Σ v, the same integer modulo 2^32 as Σ v·w (and the true sum lies within
/// ±2^31), with one 16-bit multiply-add per two pixels instead of two.
static SK_TARGET void SK_FN(sk_resample_row_offset)(
  const uint16_t *restrict input, uint8_t *restrict output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *shifted, int32_t offset, size_t kernel_size) {
  for (size_t i = 0; i < output_count; i++) {
    const uint16_t *in = input + first[i];
    const int16_t *k = shifted + i * kernel_size;
    const int32_t n = count[i];
    uint32_t products = 0, pixels = 0;
    int32_t x = 0;
#if SK_LANES >= 8
    // 32 pixels a step in two chains. The pixel sums stay in 16-bit lanes for at most
    // 2,048 pixels (64 steps of at most 255 in each of two lanes: under 2^16), then are
    // widened into 32-bit lanes.
    __m256i products256 = _mm256_setzero_si256(), pixels256 = _mm256_setzero_si256();
    while (x + 32 <= n) {
      const int32_t end = x + 2048 < n ? x + 2048 : n;
      __m256i p0 = _mm256_setzero_si256(), p1 = p0, s0 = p0, s1 = p0;
      for (; x + 32 <= end; x += 32) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(in + x));
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(in + x + 16));
        p0 = _mm256_add_epi32(p0, _mm256_madd_epi16(v0, _mm256_loadu_si256((const __m256i *)(k + x))));
        p1 = _mm256_add_epi32(p1, _mm256_madd_epi16(v1, _mm256_loadu_si256((const __m256i *)(k + x + 16))));
        s0 = _mm256_add_epi16(s0, v0);
        s1 = _mm256_add_epi16(s1, v1);
      }
      const __m256i s = _mm256_add_epi16(s0, s1);  // unsigned 16-bit lanes
      const __m256i low16 = _mm256_set1_epi32(0xffff);
      pixels256 = _mm256_add_epi32(pixels256, _mm256_add_epi32(_mm256_and_si256(s, low16), _mm256_srli_epi32(s, 16)));
      products256 = _mm256_add_epi32(products256, _mm256_add_epi32(p0, p1));
    }
    products += SK_FN(sk_lane_sum)(products256);
    pixels += SK_FN(sk_lane_sum)(pixels256);
#endif
    for (; x < n; x++) {
      products += (uint32_t)in[x] * (uint32_t)(int32_t)k[x];
      pixels += in[x];
    }
    const uint32_t sum = products + pixels * (uint32_t)offset;
    output[i] = SK_FN(sk_pillow_round)(sum);
  }
}

/// sieve_resample_columns: plain loops over a block of up to 64 columns, which the
/// compiler turns into this width's vectors (integer sums: any order is exact).
static SK_TARGET void SK_FN(sk_resample_columns)(
  const uint8_t *restrict input, size_t columns, uint8_t *restrict output, size_t output_count,
  const int32_t *first, const int32_t *count, const int32_t *weights, size_t kernel_size) {
  for (size_t x0 = 0; x0 < columns; x0 += 64) {
    const size_t block = columns - x0 < 64 ? columns - x0 : 64;
    for (size_t i = 0; i < output_count; i++) {
      // Unsigned, so that wrapping is defined; the true sum lies within ±2^31.
      uint32_t sum[64] = {0};
      const int32_t *w = weights + i * kernel_size;
      for (int32_t t = 0; t < count[i]; t++) {
        const uint8_t *row = input + (size_t)(first[i] + t) * columns + x0;
        const uint32_t weight = (uint32_t)w[t];
        for (size_t x = 0; x < block; x++) sum[x] += (uint32_t)row[x] * weight;
      }
      for (size_t x = 0; x < block; x++) output[i * columns + x0 + x] = SK_FN(sk_pillow_round)(sum[x]);
    }
  }
}

#undef SK_HBOX_PHASES
#undef SK_BLOCK
#undef SK_BY_WINDOW
#undef SK_V
#undef SK_EVENS
#undef SK_ODDS
#undef SK_LOG2
