// A small shim over libpng's progressive-free reader: every entry point sets a
// jump target, so libpng errors come back as status codes.
#include "sieve_png.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <png.h>

struct sieve_png {
  png_structp png;
  png_infop info;
  const uint8_t *data;
  size_t length;
  size_t offset;
  int status;
  int truncated;
  uint64_t deadline_ns;
  int passes;
  char message[256];
};

static uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sieve_png_error(png_structp png, png_const_charp message) {
  sieve_png *decoder = (sieve_png *)png_get_error_ptr(png);
  if (message != decoder->message) {
    snprintf(decoder->message, sizeof decoder->message, "%s", message);
  }
  if (decoder->status == SIEVE_PNG_OK) decoder->status = SIEVE_PNG_ERROR;
  png_longjmp(png, 1);
}

static void sieve_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;  // ancillary-chunk problems: libpng goes on, and so do we
}

static void sieve_png_read(png_structp png, png_bytep out, size_t count) {
  sieve_png *decoder = (sieve_png *)png_get_io_ptr(png);
  if (decoder->deadline_ns != 0 && monotonic_ns() > decoder->deadline_ns) {
    decoder->status = SIEVE_PNG_TIMEOUT;
    snprintf(decoder->message, sizeof decoder->message, "decoding took longer than the time limit");
    png_error(png, decoder->message);
  }
  if (count > decoder->length - decoder->offset) {
    decoder->status = SIEVE_PNG_TRUNCATED;
    decoder->truncated = 1;
    snprintf(decoder->message, sizeof decoder->message,
             "the PNG data is truncated (needed %zu more bytes at offset %zu)",
             count - (decoder->length - decoder->offset), decoder->offset);
    png_error(png, decoder->message);
  }
  memcpy(out, decoder->data + decoder->offset, count);
  decoder->offset += count;
}

sieve_png *sieve_png_create(const uint8_t *data, size_t length) {
  sieve_png *decoder = calloc(1, sizeof *decoder);
  if (decoder == NULL) return NULL;
  decoder->data = data;
  decoder->length = length;
  decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, sieve_png_error,
                                        sieve_png_warning);
  if (decoder->png == NULL) {
    free(decoder);
    return NULL;
  }
  decoder->info = png_create_info_struct(decoder->png);
  if (decoder->info == NULL) {
    png_destroy_read_struct(&decoder->png, NULL, NULL);
    free(decoder);
    return NULL;
  }
  png_set_read_fn(decoder->png, decoder, sieve_png_read);
  // Pixel limits are checked by the caller from the header; libpng's own
  // 1,000,000 × 1,000,000 default stays as a second fence. Ancillary chunks that hold
  // compressed or bulky data Sieve never uses (text, ICC profiles, suggested palettes,
  // Exif) are dropped unread, so a zTXt or iCCP bomb costs nothing; any other chunk
  // allocation is capped at 8 MiB and the number of chunks kept at 256.
  static const png_byte ignored[] = {'i', 'C', 'C', 'P', '\0', 'i', 'T', 'X', 't', '\0', 't', 'E', 'X', 't', '\0',
                                     'z', 'T', 'X', 't', '\0', 's', 'P', 'L', 'T', '\0', 'e', 'X', 'I', 'f', '\0'};
  png_set_keep_unknown_chunks(decoder->png, PNG_HANDLE_CHUNK_NEVER, ignored, 6);
  png_set_chunk_malloc_max(decoder->png, 8u << 20);
  png_set_chunk_cache_max(decoder->png, 256);
  return decoder;
}

void sieve_png_destroy(sieve_png *decoder) {
  if (decoder == NULL) return;
  png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
  free(decoder);
}

int sieve_png_read_header(sieve_png *decoder, sieve_png_info *info) {
  decoder->status = SIEVE_PNG_OK;
  if (setjmp(png_jmpbuf(decoder->png))) return decoder->status;
  png_read_info(decoder->png, decoder->info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(decoder->png, decoder->info, &width, &height, &bit_depth, &color_type, &interlace,
               NULL, NULL);
  info->width = width;
  info->height = height;
  info->bit_depth = bit_depth;
  info->color_type = color_type;
  info->interlaced = interlace != PNG_INTERLACE_NONE;
  info->has_trns = png_get_valid(decoder->png, decoder->info, PNG_INFO_tRNS) ? 1 : 0;
  info->output_channels = 0;
  return SIEVE_PNG_OK;
}

int sieve_png_start(sieve_png *decoder, uint64_t deadline_ns, sieve_png_info *info) {
  png_structp png = decoder->png;
  decoder->status = SIEVE_PNG_OK;
  decoder->deadline_ns = deadline_ns;
  if (setjmp(png_jmpbuf(png))) return decoder->status;
  int color_type = png_get_color_type(png, decoder->info);
  int bit_depth = png_get_bit_depth(png, decoder->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_strip_16(png);  // keeps the high byte
  png_set_strip_alpha(png);                     // drops alpha, no compositing
  decoder->passes = 1;
  if (png_get_interlace_type(png, decoder->info) != PNG_INTERLACE_NONE) {
    decoder->passes = png_set_interlace_handling(png);
  }
  png_read_update_info(png, decoder->info);
  int channels = png_get_channels(png, decoder->info);
  int out_depth = png_get_bit_depth(png, decoder->info);
  if ((channels != 1 && channels != 3) || out_depth != 8 ||
      png_get_rowbytes(png, decoder->info) != (size_t)png_get_image_width(png, decoder->info) * (size_t)channels) {
    snprintf(decoder->message, sizeof decoder->message,
             "unexpected PNG output layout (%d channels, %d bits)", channels, out_depth);
    return SIEVE_PNG_ERROR;
  }
  info->output_channels = channels;
  return SIEVE_PNG_OK;
}

int sieve_png_read_rows(sieve_png *decoder, uint8_t *buffer, size_t stride, int count) {
  decoder->status = SIEVE_PNG_OK;
  if (setjmp(png_jmpbuf(decoder->png))) return decoder->status;
  for (int i = 0; i < count; i++) {
    png_read_row(decoder->png, buffer + (size_t)i * stride, NULL);
  }
  return count;
}

int sieve_png_read_image(sieve_png *decoder, uint8_t *buffer, size_t stride) {
  decoder->status = SIEVE_PNG_OK;
  if (setjmp(png_jmpbuf(decoder->png))) return decoder->status;
  png_uint_32 height = png_get_image_height(decoder->png, decoder->info);
  for (int pass = 0; pass < decoder->passes; pass++) {
    for (png_uint_32 y = 0; y < height; y++) {
      png_read_row(decoder->png, buffer + (size_t)y * stride, NULL);
    }
  }
  return SIEVE_PNG_OK;
}

const char *sieve_png_message(const sieve_png *decoder) { return decoder->message; }

const char *sieve_png_version(void) { return png_get_libpng_ver(NULL); }
