#ifndef SIEVE_HASH_KERNELS_H
#define SIEVE_HASH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The pixel loops of PDQ and pHash, written once and compiled for several vector widths:
/// a portable build (128-bit vectors, or plain C where the compiler has no vectors) and,
/// on x86-64, AVX2 with FMA (256-bit) and AVX-512 (512-bit) builds chosen at run time by what the
/// CPU has. Every build performs the same float32 operations in the same order, with no
/// reassociation and no fused multiply-add but one, chosen (the blur's division by a window
/// through a reciprocal pair, exact where it is used), so all give bit-identical results.

/// The vector width in use: 1 portable, 2 AVX2 (with FMA), 3 AVX-512.
int sieve_kernels_level(void);

/// Limits the vector width to `level` (1…3; higher than the CPU has is lowered); 0 restores
/// the CPU's best. For tests that compare the builds.
void sieve_kernels_set_level(int level);

/// The blur divides a running sum by its full window through a reciprocal pair where the
/// CPU has FMA (AVX2 and AVX-512 builds), for windows 1…2048, when its values are luma
/// (`sieve_pdq_stream_assume_8bit_luma`). Returns how many float32
/// values in [1, 2) that would round differently from true division by `window` (0 for
/// every window it is used for: the tests run this), or -1 for a window always divided.
long sieve_reciprocal_mismatches(int window);

/// One row of interleaved RGB (3 bytes a pixel) to PDQ's float32 luma
/// `((R·0.299f + G·0.587f) + B·0.114f)` and, when `gray` is not NULL, Pillow's
/// `convert("L")` gray (0…255, in 16 bits: what the resampler reads). With `check_gray`, returns 0 when every pixel is gray (R = G = B),
/// else nonzero; without, skips that check (a caller that already knows the picture is not
/// all gray) and returns 1.
uint8_t sieve_luma_from_rgb(const uint8_t *rgb, float *luma, uint16_t *gray, size_t count, int check_gray);

/// One row of 8-bit gray to float32.
void sieve_luma_from_gray(const uint8_t *gray, float *luma, size_t count);

/// Pillow's 8-bit fixed-point resampling of one contiguous row of samples 0…255 held in 16
/// bits (22 fractional bits, round half up, clipped to 0…255): output `i` sums `count[i]` inputs from `first[i]`
/// times weights `w = 256 · high + low`, given from `high[i * kernel_size]` and
/// `low[i * kernel_size]` (`low` in 0…255), as 16-bit multiply-adds.
void sieve_resample_row(
  const uint16_t *input, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *high, const int16_t *low, size_t kernel_size);

/// `sieve_resample_row` for weights that all lie within 65,536 of each other (the large
/// reductions, where this pass costs most), given as `w − offset` in 16 bits: the same
/// outputs, with half the multiplies.
void sieve_resample_row_offset(
  const uint16_t *input, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int16_t *shifted, int32_t offset, size_t kernel_size);

/// The same resampling down the columns of a block of rows, `columns` bytes a row, for
/// every column at once: output row `i` (`columns` bytes at `output + i * columns`) sums
/// input rows `first[i]` … `first[i] + count[i] − 1` times the 32-bit weights from
/// `weights[i * kernel_size]`.
void sieve_resample_columns(
  const uint8_t *input, size_t columns, uint8_t *output, size_t output_count,
  const int32_t *first, const int32_t *count, const int32_t *weights, size_t kernel_size);

/// PDQ's Jarosz filter fed row by row: two rounds of a horizontal box filter with window
/// `ceil(width / 128)` then a vertical one with window `ceil(height / 128)`, in the
/// reference's `box1DFloat` order of float32 operations, computed only where it is read:
/// every row of the `column_count` columns listed in `columns` (ascending, distinct).
///
/// The first round runs over every pixel, as rows arrive, in a ring of rows (about
/// `height / 128 + 32` of them), so no whole plane is needed: its horizontal pass streams
/// each band of rows through small circular buffers of columns, and its vertical pass,
/// a band of output rows at a time, hands them transposed to the second round without
/// writing them out. The second round's horizontal pass runs its sums along every row but
/// divides only at the listed columns, and its vertical pass runs down those columns
/// alone. Each value is bit-identical to the reference's at that place.
///
/// Use: `sieve_pdq_stream_begin`, then for each of the `height` rows in order, write
/// `width` luma values to `sieve_pdq_stream_row` and call `sieve_pdq_stream_push`. After
/// the last push `result` holds `height` rows of `column_count` floats. The fields are
/// the implementation's; do not touch them.
typedef struct sieve_pdq_stream {
  int width, height, window_h, window_v, column_count, level;
  const int32_t *columns;
  float *result;
  float *ring;          // rows after the first horizontal pass
  int ring_rows;
  float *sum, size;     // the first vertical pass
  float *band;          // its output rows awaiting the second horizontal pass
  int pending, done2;
  void *gathered, *circular, *picked;
  float *ring2, *sum2;  // the second vertical pass
  int received, filtered1, emitted, finished;
  float reciprocal_h[2], reciprocal_v[2];  // (0, 0): divide
} sieve_pdq_stream;

/// Floats of scratch memory a stream needs for a plane of this size whose blurred values
/// are wanted in `column_count` columns.
size_t sieve_pdq_stream_scratch_count(int width, int height, int column_count);

/// Starts a stream (width, height ≥ 1). `columns`, `result` (`height × column_count`
/// floats) and `scratch` must stay valid until the last push.
void sieve_pdq_stream_begin(
  sieve_pdq_stream *stream, int width, int height, const int32_t *columns, int column_count,
  float *result, float *scratch);

/// Declares that every value the stream will be given is 0 or between 2^-20 and 2^40 in
/// magnitude, as luma and gray of 8-bit samples are (`sieve_floats_are_luma_like`). Only
/// then does the blur divide by its full windows through reciprocal pairs (where the CPU
/// has FMA): exact for such values, since every running sum they make stays far above the
/// magnitudes (about 2^-100) where `a · zl` loses bits; not for arbitrary floats, which
/// are divided. Call after `sieve_pdq_stream_begin`, before the first push.
void sieve_pdq_stream_assume_8bit_luma(sieve_pdq_stream *stream);

/// Whether every one of `count` values is 0 or between 2^-20 and 2^40 in magnitude.
int sieve_floats_are_luma_like(const float *values, size_t count);

/// Where the next row's `width` luma values go.
float *sieve_pdq_stream_row(sieve_pdq_stream *stream);

/// Takes the row written at `sieve_pdq_stream_row`.
void sieve_pdq_stream_push(sieve_pdq_stream *stream);

#endif
