#ifndef SIEVE_TIFF_H
#define SIEVE_TIFF_H

#include <stddef.h>
#include <stdint.h>

/// Opaque TIFF reader over a memory buffer (libtiff's TIFFClientOpen). libtiff reports
/// errors through a handler, which this shim routes into the reader's message buffer
/// (nothing is printed); calls return status codes.
typedef struct sieve_tiff sieve_tiff;

typedef struct {
  uint32_t width;
  uint32_t height;
  uint16_t samples_per_pixel;
  uint16_t bits_per_sample;
  uint16_t photometric;
  uint16_t compression;
  uint32_t pages;
  /// 1 when the image is stored in tiles, 0 for strips.
  uint32_t tiled;
  /// Tile width and length (tiled), or the image width and the rows per strip (clamped
  /// to the image's height, as libtiff reads them).
  uint32_t chunk_width, chunk_length;
  /// The buffer libtiff allocates to decode one tile or strip, in bytes (all planes of a
  /// separate-planes image), from TIFFTileSize64/TIFFStripSize64; 0 when unknown.
  uint64_t chunk_bytes;
} sieve_tiff_info;

/// Opens the first image of the TIFF in `data[0..<length]` (kept alive by the caller).
/// Returns NULL on failure with the reason in `message`.
sieve_tiff *sieve_tiff_open(const uint8_t *data, size_t length, sieve_tiff_info *info, char *message, size_t message_length);

/// Decodes the first image to `width × height` RGBA words (libtiff's TIFFReadRGBAImageOriented,
/// top-left origin). Returns 0 on success, -1 with the reason in sieve_tiff_message.
int sieve_tiff_read_rgba(sieve_tiff *tiff, uint32_t *raster);

const char *sieve_tiff_message(const sieve_tiff *tiff);

void sieve_tiff_close(sieve_tiff *tiff);

/// libtiff's version banner's first line.
const char *sieve_tiff_version(void);

#endif
