#ifndef SIEVE_JPEG_H
#define SIEVE_JPEG_H

#include <stddef.h>
#include <stdint.h>

/// Opaque decoder state: a libjpeg decompressor whose error manager records the
/// message and longjmps back into the shim, so libjpeg never calls exit() and
/// never unwinds through Swift frames. After any call fails, only
/// sieve_jpeg_message() and sieve_jpeg_destroy() may be called.
typedef struct sieve_jpeg sieve_jpeg;

/// What the header says, and what the decoder will produce.
typedef struct {
  uint32_t width;            ///< image width in pixels (from the SOF marker)
  uint32_t height;           ///< image height in pixels
  int32_t components;        ///< components stored in the file (1, 3 or 4)
  int32_t color_space;       ///< 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK (libjpeg J_COLOR_SPACE)
  int32_t progressive;       ///< 1 for a progressive (multi-scan) file
  int32_t arithmetic;        ///< 1 for arithmetic coding
  int32_t saw_adobe_marker;  ///< 1 when an Adobe APP14 marker was present
  int32_t restart_interval;  ///< MCUs per restart interval, 0 when none
  int32_t multiple_scans;    ///< 1 when the file has several scans (progressive or
                             ///< non-interleaved): libjpeg then buffers every coefficient
  uint32_t output_width;     ///< filled by sieve_jpeg_start
  uint32_t output_height;    ///< filled by sieve_jpeg_start
  int32_t output_components; ///< 1 (gray), 3 (RGB) or 4 (CMYK as stored)
} sieve_jpeg_info;

/// Status codes returned by the shim.
enum {
  SIEVE_JPEG_OK = 0,
  SIEVE_JPEG_ERROR = -1,      ///< libjpeg reported an error; see sieve_jpeg_message
  SIEVE_JPEG_TRUNCATED = -2,  ///< the data ended before the image did
  SIEVE_JPEG_TIMEOUT = -3,    ///< the decode deadline passed
  SIEVE_JPEG_TOO_MANY_SCANS = -4 ///< more progressive scans than allowed
};

/// Creates a decompressor reading from `data[0..<length]`, which must stay alive
/// until sieve_jpeg_destroy. Returns NULL only when memory is exhausted.
sieve_jpeg *sieve_jpeg_create(const uint8_t *data, size_t length);

/// Frees everything the decompressor holds. Accepts NULL.
void sieve_jpeg_destroy(sieve_jpeg *decoder);

/// Reads the markers up to the first scan and fills `info` (output_* not yet).
int sieve_jpeg_read_header(sieve_jpeg *decoder, sieve_jpeg_info *info);

/// Starts decompression. Output is gray for 1-component files, RGB (ISLOW IDCT,
/// fancy upsampling) for YCbCr/RGB files, and CMYK exactly as stored for 4-component
/// files. `scale_denom` (1, 2, 4 or 8) asks for DCT-domain downscaling.
/// `deadline_ns` is a CLOCK_MONOTONIC time after which decoding stops with
/// SIEVE_JPEG_TIMEOUT (0: none); `max_scans` bounds progressive scans (0: none).
int sieve_jpeg_start(sieve_jpeg *decoder, int scale_denom, uint64_t deadline_ns,
                     int32_t max_scans, sieve_jpeg_info *info);

/// Decodes up to `max_rows` rows into `buffer` (rows `stride` bytes apart).
/// Returns the number of rows written (> 0), or a negative status.
int sieve_jpeg_read_rows(sieve_jpeg *decoder, uint8_t *buffer, size_t stride, int max_rows);

/// The number of non-fatal "corrupt data" warnings seen so far.
int sieve_jpeg_warning_count(const sieve_jpeg *decoder);

/// The last error or warning message, as libjpeg formats it ("" when none).
const char *sieve_jpeg_message(const sieve_jpeg *decoder);

/// The libjpeg-turbo version this shim was compiled against, e.g. 2001005 for 2.1.5
/// (0 when the library does not say), and the libjpeg API version (62, 80 …).
int sieve_jpeg_turbo_version(void);
int sieve_jpeg_lib_version(void);

/// Encodes 8-bit gray (components 1) or RGB (components 3) pixels as a baseline or
/// progressive JPEG in memory. On success returns SIEVE_JPEG_OK and sets *output to a
/// malloc'd buffer of *output_length bytes, which the caller frees with sieve_jpeg_free.
/// `restart_rows` > 0 writes a restart marker every that many MCU rows.
int sieve_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components,
                      int quality, int progressive, int restart_rows, uint8_t **output,
                      size_t *output_length, char *message, size_t message_length);

/// Frees a buffer returned by sieve_jpeg_encode.
void sieve_jpeg_free(uint8_t *buffer);

/// Monotonic clock in nanoseconds, for deadlines.
uint64_t sieve_monotonic_ns(void);

#endif
