// A small shim over libjpeg(-turbo): every entry point sets a jump target, so a
// fatal libjpeg error returns an error code instead of calling exit().
#include "sieve_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>
#include <jerror.h>
#include <jconfig.h>

struct sieve_error_mgr {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  int status;          // status to return after the jump
  int warnings;        // corrupt-data warnings seen
  int premature_eof;   // JWRN_JPEG_EOF was raised: the data is truncated
  char message[JMSG_LENGTH_MAX];
};

struct sieve_progress {
  struct jpeg_progress_mgr pub;
  uint64_t deadline_ns;
  int32_t max_scans;
};

struct sieve_jpeg {
  struct jpeg_decompress_struct cinfo;
  struct sieve_error_mgr err;
  struct sieve_progress progress;
  const uint8_t *data;
  size_t length;
  int created;
};

uint64_t sieve_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sieve_error_exit(j_common_ptr cinfo) {
  struct sieve_error_mgr *err = (struct sieve_error_mgr *)cinfo->err;
  char detail[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, detail);
  if (err->premature_eof) {
    // The data ran out first; what libjpeg then read was its fake EOI, not the file.
    snprintf(err->message, sizeof err->message, "the JPEG data ends early (then: %s)", detail);
    if (err->status == SIEVE_JPEG_OK) err->status = SIEVE_JPEG_TRUNCATED;
  } else {
    memcpy(err->message, detail, sizeof detail);
    if (err->status == SIEVE_JPEG_OK) err->status = SIEVE_JPEG_ERROR;
  }
  longjmp(err->jump, 1);
}

static void sieve_emit_message(j_common_ptr cinfo, int level) {
  struct sieve_error_mgr *err = (struct sieve_error_mgr *)cinfo->err;
  if (level < 0) {  // a warning: the data is corrupt but libjpeg can go on
    err->warnings += 1;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->premature_eof = 1;
    (*cinfo->err->format_message)(cinfo, err->message);
  }
}

static void sieve_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void sieve_progress_monitor(j_common_ptr cinfo) {
  struct sieve_progress *progress = (struct sieve_progress *)cinfo->progress;
  struct sieve_error_mgr *err = (struct sieve_error_mgr *)cinfo->err;
  if (!cinfo->is_decompressor) return;
  j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
  if (progress->max_scans > 0 && dinfo->input_scan_number > progress->max_scans) {
    snprintf(err->message, sizeof err->message,
             "more than %d progressive scans (a hostile file?)", (int)progress->max_scans);
    err->status = SIEVE_JPEG_TOO_MANY_SCANS;
    longjmp(err->jump, 1);
  }
  if (progress->deadline_ns != 0 && sieve_monotonic_ns() > progress->deadline_ns) {
    snprintf(err->message, sizeof err->message, "decoding took longer than the time limit");
    err->status = SIEVE_JPEG_TIMEOUT;
    longjmp(err->jump, 1);
  }
}

sieve_jpeg *sieve_jpeg_create(const uint8_t *data, size_t length) {
  sieve_jpeg *decoder = calloc(1, sizeof *decoder);
  if (decoder == NULL) return NULL;
  decoder->data = data;
  decoder->length = length;
  decoder->cinfo.err = jpeg_std_error(&decoder->err.pub);
  decoder->err.pub.error_exit = sieve_error_exit;
  decoder->err.pub.emit_message = sieve_emit_message;
  decoder->err.pub.output_message = sieve_output_message;
  if (setjmp(decoder->err.jump)) {
    // Creation fails only when memory is exhausted (or jpeg_mem_src gets no data).
    if (decoder->created) jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder);
    return NULL;
  }
  jpeg_create_decompress(&decoder->cinfo);
  decoder->created = 1;
  decoder->progress.pub.progress_monitor = sieve_progress_monitor;
  decoder->cinfo.progress = &decoder->progress.pub;
  // libjpeg's mem source takes an unsigned long length.
  jpeg_mem_src(&decoder->cinfo, (unsigned char *)data, (unsigned long)length);
  return decoder;
}

void sieve_jpeg_destroy(sieve_jpeg *decoder) {
  if (decoder == NULL) return;
  if (decoder->created) {
    if (setjmp(decoder->err.jump) == 0) jpeg_destroy_decompress(&decoder->cinfo);
  }
  free(decoder);
}

static void fill_info(const struct jpeg_decompress_struct *cinfo, sieve_jpeg_info *info) {
  info->width = cinfo->image_width;
  info->height = cinfo->image_height;
  info->components = cinfo->num_components;
  info->color_space = (int32_t)cinfo->jpeg_color_space;
  info->progressive = cinfo->progressive_mode ? 1 : 0;
  info->arithmetic = cinfo->arith_code ? 1 : 0;
  info->saw_adobe_marker = cinfo->saw_Adobe_marker ? 1 : 0;
  info->restart_interval = (int32_t)cinfo->restart_interval;
  info->multiple_scans = (cinfo->global_state >= 202 /* DSTATE_READY */ && jpeg_has_multiple_scans((j_decompress_ptr)cinfo)) ? 1 : 0;
}

int sieve_jpeg_read_header(sieve_jpeg *decoder, sieve_jpeg_info *info) {
  struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
  decoder->err.status = SIEVE_JPEG_OK;
  if (setjmp(decoder->err.jump)) return decoder->err.status;
  int result = jpeg_read_header(cinfo, TRUE);
  if (result != JPEG_HEADER_OK) {
    snprintf(decoder->err.message, sizeof decoder->err.message, "no image in the JPEG data");
    return SIEVE_JPEG_ERROR;
  }
  if (decoder->err.premature_eof) {
    snprintf(decoder->err.message, sizeof decoder->err.message,
             "the data ends inside the JPEG header");
    return SIEVE_JPEG_TRUNCATED;
  }
  fill_info(cinfo, info);
  return SIEVE_JPEG_OK;
}

int sieve_jpeg_start(sieve_jpeg *decoder, int scale_denom, uint64_t deadline_ns,
                     int32_t max_scans, sieve_jpeg_info *info) {
  struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
  decoder->err.status = SIEVE_JPEG_OK;
  if (setjmp(decoder->err.jump)) return decoder->err.status;
  decoder->progress.deadline_ns = deadline_ns;
  decoder->progress.max_scans = max_scans;
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;
  }
  // The reference decodes (ImageMagick, Pillow) use these defaults; set them anyway.
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  cinfo->do_block_smoothing = TRUE;
  cinfo->quantize_colors = FALSE;
  cinfo->scale_num = 1;
  cinfo->scale_denom = (unsigned int)(scale_denom >= 1 ? scale_denom : 1);
  if (!jpeg_start_decompress(cinfo)) {
    snprintf(decoder->err.message, sizeof decoder->err.message, "decoder suspended");
    return SIEVE_JPEG_ERROR;
  }
  fill_info(cinfo, info);
  info->output_width = cinfo->output_width;
  info->output_height = cinfo->output_height;
  info->output_components = cinfo->output_components;
  if (decoder->err.premature_eof) {
    snprintf(decoder->err.message, sizeof decoder->err.message,
             "the JPEG data is truncated (premature end of file)");
    return SIEVE_JPEG_TRUNCATED;
  }
  return SIEVE_JPEG_OK;
}

int sieve_jpeg_read_rows(sieve_jpeg *decoder, uint8_t *buffer, size_t stride, int max_rows) {
  struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
  decoder->err.status = SIEVE_JPEG_OK;
  if (setjmp(decoder->err.jump)) return decoder->err.status;
  JSAMPROW rows[16];
  int wanted = max_rows < 16 ? max_rows : 16;
  for (int i = 0; i < wanted; i++) rows[i] = buffer + (size_t)i * stride;
  int total = 0;
  while (total < wanted && cinfo->output_scanline < cinfo->output_height) {
    JDIMENSION got = jpeg_read_scanlines(cinfo, rows + total, (JDIMENSION)(wanted - total));
    if (got == 0) {
      snprintf(decoder->err.message, sizeof decoder->err.message, "decoder suspended");
      return SIEVE_JPEG_ERROR;
    }
    total += (int)got;
  }
  if (decoder->err.premature_eof) {
    snprintf(decoder->err.message, sizeof decoder->err.message,
             "the JPEG data is truncated (premature end of file)");
    return SIEVE_JPEG_TRUNCATED;
  }
  return total;
}

int sieve_jpeg_warning_count(const sieve_jpeg *decoder) { return decoder->err.warnings; }

const char *sieve_jpeg_message(const sieve_jpeg *decoder) { return decoder->err.message; }

int sieve_jpeg_turbo_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
  return LIBJPEG_TURBO_VERSION_NUMBER;
#else
  return 0;
#endif
}

int sieve_jpeg_lib_version(void) { return JPEG_LIB_VERSION; }

/// A growing in-memory destination whose buffer the error path can always reach
/// (libjpeg's own jpeg_mem_dest frees and replaces its buffer behind the caller's back).
struct sieve_memory_destination {
  struct jpeg_destination_mgr pub;
  uint8_t *buffer;
  size_t capacity;
};

static void sieve_dest_init(j_compress_ptr cinfo) {
  struct sieve_memory_destination *dest = (struct sieve_memory_destination *)cinfo->dest;
  dest->pub.next_output_byte = dest->buffer;
  dest->pub.free_in_buffer = dest->capacity;
}

static boolean sieve_dest_empty(j_compress_ptr cinfo) {
  struct sieve_memory_destination *dest = (struct sieve_memory_destination *)cinfo->dest;
  size_t used = dest->capacity;
  size_t grown = dest->capacity * 2;
  uint8_t *bigger = realloc(dest->buffer, grown);
  if (bigger == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 10);
  dest->buffer = bigger;
  dest->capacity = grown;
  dest->pub.next_output_byte = bigger + used;
  dest->pub.free_in_buffer = grown - used;
  return TRUE;
}

static void sieve_dest_term(j_compress_ptr cinfo) { (void)cinfo; }

int sieve_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components,
                      int quality, int progressive, int restart_rows, uint8_t **output,
                      size_t *output_length, char *message, size_t message_length) {
  struct jpeg_compress_struct cinfo;
  struct sieve_error_mgr err;
  struct sieve_memory_destination dest;
  memset(&err, 0, sizeof err);
  memset(&dest, 0, sizeof dest);
  *output = NULL;
  *output_length = 0;
  dest.capacity = 65536;
  dest.buffer = malloc(dest.capacity);
  if (dest.buffer == NULL) return SIEVE_JPEG_ERROR;
  dest.pub.init_destination = sieve_dest_init;
  dest.pub.empty_output_buffer = sieve_dest_empty;
  dest.pub.term_destination = sieve_dest_term;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = sieve_error_exit;
  err.pub.emit_message = sieve_emit_message;
  err.pub.output_message = sieve_output_message;
  if (setjmp(err.jump)) {
    // `dest` lives in this frame and is only changed through cinfo.dest, so its
    // buffer field is current here.
    if (message != NULL && message_length > 0) snprintf(message, message_length, "%s", err.message);
    jpeg_destroy_compress(&cinfo);
    free(dest.buffer);
    return SIEVE_JPEG_ERROR;
  }
  jpeg_create_compress(&cinfo);
  cinfo.dest = &dest.pub;
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  if (restart_rows > 0) cinfo.restart_in_rows = restart_rows;
  jpeg_start_compress(&cinfo, TRUE);
  size_t stride = (size_t)width * (size_t)components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  *output = dest.buffer;
  *output_length = dest.capacity - dest.pub.free_in_buffer;
  jpeg_destroy_compress(&cinfo);
  return SIEVE_JPEG_OK;
}

void sieve_jpeg_free(uint8_t *buffer) { free(buffer); }
