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

/// Columns of SK_LANES rows into vectors: `out[x]` holds `rows[0][x] … rows[L-1][x]`.
static SK_TARGET void SK_FN(sk_gather)(const float *const *rows, int width, SK_V *out) {
  int x = 0;
  for (; x + SK_LANES <= width; x += SK_LANES) {
    SK_V v[SK_LANES];
    for (int r = 0; r < SK_LANES; r++) v[r] = SK_FN(sk_load)(rows[r] + x);
    SK_FN(sk_transpose)(v);
    for (int c = 0; c < SK_LANES; c++) out[x + c] = v[c];
  }
  for (; x < width; x++) {
    SK_V v;
    for (int r = 0; r < SK_LANES; r++) v[r] = rows[r][x];
    out[x] = v;
  }
}

/// The inverse of sk_gather for the first `valid` rows.
static SK_TARGET void SK_FN(sk_scatter)(float *const *rows, int valid, int width, const SK_V *in) {
  int x = 0;
  for (; x + SK_LANES <= width; x += SK_LANES) {
    SK_V v[SK_LANES];
    for (int c = 0; c < SK_LANES; c++) v[c] = in[x + c];
    SK_FN(sk_transpose)(v);
    for (int r = 0; r < valid; r++) SK_FN(sk_store)(rows[r] + x, v[r]);
  }
  for (; x < width; x++) {
    for (int r = 0; r < valid; r++) rows[r][x] = in[x][r];
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

/// box1DFloat for two bands: `in0` → `out0` and `in1` → `out1`, every output.
static SK_TARGET void SK_FN(sk_hbox)(
  const SK_V *in0, const SK_V *in1, SK_V *out0, SK_V *out1, int n, int window) {
#define SK_EMIT_ALL()                 \
  do {                                \
    out0[o] = sum0 / (float)size;     \
    out1[o] = sum1 / (float)size;     \
  } while (0)
  SK_HBOX_PHASES(SK_EMIT_ALL)
#undef SK_EMIT_ALL
}

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

/// The first horizontal pass over the rows received since the last band (up to
/// 2 × SK_LANES, two vectors of rows), in the ring, then every row of the first vertical
/// pass those rows complete; every 2 × SK_LANES of those (or the last few) go through the
/// second horizontal pass into `result`.
static SK_TARGET void SK_FN(sk_stream_advance)(sieve_pdq_stream *s) {
  const int lanes = SK_LANES, band = 2 * SK_LANES;
  const int width = s->width, height = s->height, wv = s->window_v, half = (wv + 2) / 2;
  SK_V *gathered = (SK_V *)s->gathered, *filtered = (SK_V *)s->filtered, *picked = (SK_V *)s->picked;
  const int n = s->received - s->filtered1;
  if (n > 0) {
    float *rows[2 * SK_LANES];
    for (int r = 0; r < band; r++) rows[r] = sk_ring_row(s, s->filtered1 + (r < n ? r : n - 1));
    SK_FN(sk_gather)((const float *const *)rows, width, gathered);
    SK_FN(sk_gather)((const float *const *)rows + lanes, width, gathered + width);
    SK_FN(sk_hbox)(gathered, gathered + width, filtered, filtered + width, width, s->window_h);
    SK_FN(sk_scatter)(rows, n < lanes ? n : lanes, width, filtered);
    if (n > lanes) SK_FN(sk_scatter)(rows + lanes, n - lanes, width, filtered + width);
    s->filtered1 += n;
  }
  while (s->emitted < height) {
    const int e = s->emitted;
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
    SK_FN(sk_divide)(s->band + (size_t)s->pending * width, s->sum, s->size, width);
    s->pending++;
    s->emitted++;
    if (s->pending == band || s->emitted == height) {
      const float *rows[2 * SK_LANES];
      for (int r = 0; r < band; r++) rows[r] = s->band + (size_t)(r < s->pending ? r : s->pending - 1) * width;
      SK_FN(sk_gather)(rows, width, gathered);
      SK_FN(sk_gather)(rows + lanes, width, gathered + width);
      const int count = s->column_count;
      SK_FN(sk_hbox_at)(gathered, gathered + width, picked, picked + count, width, s->window_h, s->columns, count);
      for (int r = 0; r < s->pending; r++) {
        float *out = s->result + (size_t)(s->done2 + r) * count;
        const SK_V *from = r < lanes ? picked : picked + count;
        const int lane = r < lanes ? r : r - lanes;
        for (int j = 0; j < count; j++) out[j] = from[j][lane];
      }
      s->done2 += s->pending;
      s->pending = 0;
    }
  }
  if (s->done2 == height && !s->finished) {
    SK_FN(sk_vbox_inplace)(s->result, height, s->column_count, wv, s->ring2, s->sum2);
    s->finished = 1;
  }
}

static SK_TARGET uint8_t SK_FN(sk_luma_from_rgb)(
  const uint8_t *restrict rgb, float *restrict luma, uint8_t *restrict gray, size_t count) {
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
    differs = _mm512_or_si512(differs, _mm512_or_si512(_mm512_xor_si512(R, G), _mm512_xor_si512(R, B)));
    const __m512 rg = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(R), cr), _mm512_mul_ps(_mm512_cvtepi32_ps(G), cg));
    _mm512_storeu_ps(luma + i, _mm512_add_ps(rg, _mm512_mul_ps(_mm512_cvtepi32_ps(B), cb)));
    if (gray) {
      __m512i y = _mm512_add_epi32(_mm512_mullo_epi32(R, _mm512_set1_epi32(19595)),
                                   _mm512_mullo_epi32(G, _mm512_set1_epi32(38470)));
      y = _mm512_add_epi32(y, _mm512_mullo_epi32(B, _mm512_set1_epi32(7471)));
      y = _mm512_srli_epi32(_mm512_add_epi32(y, _mm512_set1_epi32(0x8000)), 16);
      _mm_storeu_si128((__m128i *)(gray + i), _mm512_cvtepi32_epi8(y));
    }
  }
  difference = _mm512_reduce_or_epi32(differs) != 0 ? 1 : 0;
#endif
  if (gray) {
    for (; i < count; i++) {
      const uint8_t r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      difference |= (uint8_t)((r ^ g) | (r ^ b));
      luma[i] = ((float)r * 0.299f + (float)g * 0.587f) + (float)b * 0.114f;
      gray[i] = (uint8_t)(((uint32_t)r * 19595u + (uint32_t)g * 38470u + (uint32_t)b * 7471u + 0x8000u) >> 16);
    }
  } else {
    for (; i < count; i++) {
      const uint8_t r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      difference |= (uint8_t)((r ^ g) | (r ^ b));
      luma[i] = ((float)r * 0.299f + (float)g * 0.587f) + (float)b * 0.114f;
    }
  }
  return difference;
}

static SK_TARGET void SK_FN(sk_luma_from_gray)(const uint8_t *restrict gray, float *restrict luma, size_t count) {
  for (size_t i = 0; i < count; i++) luma[i] = (float)gray[i];
}

static SK_TARGET void SK_FN(sk_resample_row)(
  const uint8_t *restrict input, uint8_t *restrict output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *high, const int16_t *low, size_t kernel_size) {
  for (size_t i = 0; i < output_count; i++) {
    const uint8_t *in = input + first[i];
    const int16_t *kh = high + i * kernel_size, *kl = low + i * kernel_size;
    const int32_t n = count[i];
    // Unsigned sums, so that wrapping is defined: Σ v·low alone passes 2^31 on a very wide
    // picture (255 · 255 · n, from about 260,000 pixels). The true total Σ v·w lies within
    // ±255 · Σ|w| < 2^31, so 256 · high + low taken modulo 2^32 is exactly it.
    uint32_t sum_high = 0, sum_low = 0;
    int32_t x = 0;
#if SK_LANES == 16
    // 32 pixels a step: widened to 16 bits, multiplied by both halves of the weights and
    // summed in pairs into 32-bit lanes (vpmaddwd). Integer sums: any order is exact.
    __m512i high512 = _mm512_setzero_si512(), low512 = _mm512_setzero_si512();
    for (; x + 32 <= n; x += 32) {
      const __m512i v = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(in + x)));
      high512 = _mm512_add_epi32(high512, _mm512_madd_epi16(v, _mm512_loadu_si512((const void *)(kh + x))));
      low512 = _mm512_add_epi32(low512, _mm512_madd_epi16(v, _mm512_loadu_si512((const void *)(kl + x))));
    }
    sum_high = (uint32_t)_mm512_reduce_add_epi32(high512);
    sum_low = (uint32_t)_mm512_reduce_add_epi32(low512);
#elif SK_LANES == 8
    __m256i high256 = _mm256_setzero_si256(), low256 = _mm256_setzero_si256();
    for (; x + 16 <= n; x += 16) {
      const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(in + x)));
      high256 = _mm256_add_epi32(high256, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(kh + x))));
      low256 = _mm256_add_epi32(low256, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(kl + x))));
    }
    int32_t lanes_high[8], lanes_low[8];
    _mm256_storeu_si256((__m256i *)lanes_high, high256);
    _mm256_storeu_si256((__m256i *)lanes_low, low256);
    for (int k = 0; k < 8; k++) {
      sum_high += (uint32_t)lanes_high[k];
      sum_low += (uint32_t)lanes_low[k];
    }
#endif
    for (; x < n; x++) {
      const uint32_t v = in[x];
      sum_high += v * (uint32_t)(int32_t)kh[x];
      sum_low += v * (uint32_t)(int32_t)kl[x];
    }
    const uint32_t sum = (sum_high << 8) + sum_low;
    const int32_t value = (int32_t)(sum + (1u << 21)) >> 22;
    output[i] = (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
  }
}

#undef SK_HBOX_PHASES
#undef SK_V
#undef SK_EVENS
#undef SK_ODDS
#undef SK_LOG2
