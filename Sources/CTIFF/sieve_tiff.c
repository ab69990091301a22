// TIFF decoding from memory through libtiff, with errors captured per reader.
#include "sieve_tiff.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

struct sieve_tiff {
  const uint8_t *data;
  size_t length;
  size_t offset;
  TIFF *tif;
  uint32_t width, height;
  char message[256];
};

static void sieve_tiff_error(thandle_t handle, const char *module, const char *fmt, va_list ap) {
  struct sieve_tiff *t = (struct sieve_tiff *)handle;
  if (t == NULL) return;
  char detail[200];
  vsnprintf(detail, sizeof detail, fmt, ap);
  snprintf(t->message, sizeof t->message, "%s%s%s", module ? module : "", module ? ": " : "", detail);
}

static void sieve_tiff_quiet(thandle_t handle, const char *module, const char *fmt, va_list ap) {
  (void)handle; (void)module; (void)fmt; (void)ap;
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static void install_handlers(void) {
  TIFFSetErrorHandler(NULL);
  TIFFSetWarningHandler(NULL);
  TIFFSetErrorHandlerExt(sieve_tiff_error);
  TIFFSetWarningHandlerExt(sieve_tiff_quiet);
}

static tmsize_t read_proc(thandle_t h, void *buffer, tmsize_t size) {
  struct sieve_tiff *t = (struct sieve_tiff *)h;
  if (size <= 0 || t->offset >= t->length) return 0;
  size_t n = (size_t)size < t->length - t->offset ? (size_t)size : t->length - t->offset;
  memcpy(buffer, t->data + t->offset, n);
  t->offset += n;
  return (tmsize_t)n;
}

static tmsize_t write_proc(thandle_t h, void *buffer, tmsize_t size) { (void)h; (void)buffer; (void)size; return -1; }

static toff_t seek_proc(thandle_t h, toff_t offset, int whence) {
  struct sieve_tiff *t = (struct sieve_tiff *)h;
  uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? t->offset : t->length;
  uint64_t target = base + offset;
  if (target > t->length) target = t->length;  // reading past the end returns 0 bytes
  t->offset = (size_t)target;
  return (toff_t)target;
}

static int close_proc(thandle_t h) { (void)h; return 0; }
static toff_t size_proc(thandle_t h) { return (toff_t)((struct sieve_tiff *)h)->length; }
static int map_proc(thandle_t h, void **base, toff_t *size) { (void)h; (void)base; (void)size; return 0; }
static void unmap_proc(thandle_t h, void *base, toff_t size) { (void)h; (void)base; (void)size; }

sieve_tiff *sieve_tiff_open(const uint8_t *data, size_t length, sieve_tiff_info *info, char *message, size_t message_length) {
  pthread_once(&handlers_once, install_handlers);
  struct sieve_tiff *t = calloc(1, sizeof *t);
  if (t == NULL) {
    snprintf(message, message_length, "out of memory");
    return NULL;
  }
  t->data = data;
  t->length = length;
  // "rm": read, no memory mapping.
  t->tif = TIFFClientOpen("tiff", "rm", (thandle_t)t, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc, unmap_proc);
  if (t->tif == NULL) {
    snprintf(message, message_length, "%s", t->message[0] ? t->message : "not a readable TIFF");
    free(t);
    return NULL;
  }
  uint16_t spp = 1, bps = 1, photometric = 0, compression = 1;
  TIFFGetField(t->tif, TIFFTAG_IMAGEWIDTH, &t->width);
  TIFFGetField(t->tif, TIFFTAG_IMAGELENGTH, &t->height);
  TIFFGetFieldDefaulted(t->tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(t->tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetField(t->tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(t->tif, TIFFTAG_COMPRESSION, &compression);
  info->width = t->width;
  info->height = t->height;
  info->samples_per_pixel = spp;
  info->bits_per_sample = bps;
  info->photometric = photometric;
  info->compression = compression;
  info->pages = (uint32_t)TIFFNumberOfDirectories(t->tif);
  uint16_t planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(t->tif, TIFFTAG_PLANARCONFIG, &planar);
  uint64_t planes = planar == PLANARCONFIG_SEPARATE ? spp : 1;
  info->tiled = TIFFIsTiled(t->tif) ? 1 : 0;
  if (info->tiled) {
    uint32_t tw = 0, tl = 0;
    TIFFGetField(t->tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(t->tif, TIFFTAG_TILELENGTH, &tl);
    info->chunk_width = tw;
    info->chunk_length = tl;
    info->chunk_bytes = (uint64_t)TIFFTileSize64(t->tif) * planes;
  } else {
    uint32_t rows = t->height;
    TIFFGetFieldDefaulted(t->tif, TIFFTAG_ROWSPERSTRIP, &rows);
    info->chunk_width = t->width;
    info->chunk_length = rows < t->height ? rows : t->height;
    info->chunk_bytes = (uint64_t)TIFFStripSize64(t->tif) * planes;
  }
  t->message[0] = '\0';  // TileSize/StripSize report overflow through the handler
  return t;
}

int sieve_tiff_read_rgba(sieve_tiff *t, uint32_t *raster) {
  t->message[0] = '\0';
  if (!TIFFReadRGBAImageOriented(t->tif, t->width, t->height, raster, ORIENTATION_TOPLEFT, 0)) {
    if (t->message[0] == '\0') snprintf(t->message, sizeof t->message, "libtiff could not decode the image");
    return -1;
  }
  return 0;
}

const char *sieve_tiff_message(const sieve_tiff *t) { return t->message; }

void sieve_tiff_close(sieve_tiff *t) {
  if (t == NULL) return;
  if (t->tif) TIFFClose(t->tif);
  free(t);
}

const char *sieve_tiff_version(void) { return TIFFGetVersion(); }
