#ifndef SIEVE_PNG_H
#define SIEVE_PNG_H

#include <stddef.h>
#include <stdint.h>

/// Opaque decoder state: a libpng reader whose error callback records the message
/// and longjmps back into the shim, so libpng never aborts and never unwinds
/// through Swift frames. After any call fails, only sieve_png_message() and
/// sieve_png_destroy() may be called.
typedef struct sieve_png sieve_png;

/// What the IHDR chunk says, and what the decoder will produce.
typedef struct {
  uint32_t width;
  uint32_t height;
  int32_t bit_depth;        ///< 1, 2, 4, 8 or 16
  int32_t color_type;       ///< 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
  int32_t interlaced;       ///< 1 for Adam7
  int32_t has_trns;         ///< 1 when a tRNS chunk was seen before IDAT
  int32_t output_channels;  ///< filled by sieve_png_start: 1 (gray) or 3 (RGB)
} sieve_png_info;

enum {
  SIEVE_PNG_OK = 0,
  SIEVE_PNG_ERROR = -1,      ///< libpng reported an error; see sieve_png_message
  SIEVE_PNG_TRUNCATED = -2,  ///< the data ended before the image did
  SIEVE_PNG_TIMEOUT = -3     ///< the decode deadline passed
};

/// Creates a reader over `data[0..<length]`, which must stay alive until
/// sieve_png_destroy. Returns NULL only when memory is exhausted.
sieve_png *sieve_png_create(const uint8_t *data, size_t length);

/// Frees everything the reader holds. Accepts NULL.
void sieve_png_destroy(sieve_png *decoder);

/// Reads the signature and the chunks up to the first IDAT.
int sieve_png_read_header(sieve_png *decoder, sieve_png_info *info);

/// Sets up the transformations: palette expanded to RGB, gray below 8 bits scaled
/// to 8, 16-bit samples reduced to their high byte, alpha (and tRNS) dropped
/// without compositing. Output is 8-bit gray or 8-bit RGB.
int sieve_png_start(sieve_png *decoder, uint64_t deadline_ns, sieve_png_info *info);

/// Reads the next `count` rows of a non-interlaced image.
int sieve_png_read_rows(sieve_png *decoder, uint8_t *buffer, size_t stride, int count);

/// Reads a whole image (required for interlaced files) into `buffer`.
int sieve_png_read_image(sieve_png *decoder, uint8_t *buffer, size_t stride);

/// The last error message ("" when none).
const char *sieve_png_message(const sieve_png *decoder);

/// The libpng version string the program runs with, e.g. "1.6.39".
const char *sieve_png_version(void);

#endif
