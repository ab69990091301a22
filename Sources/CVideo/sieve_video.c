#include "sieve_video.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

#include "ffmpeg_functions.h"

/// The demuxers Sieve opens: containers of one video, never playlists, concat lists or
/// image sequences, which would open further files or URLs named inside the data.
static const char *const allowed_formats = "mov,matroska,avi,mpegts,flv,gif,mpeg,asf";

/// The decoders FFmpeg may open while probing and Sieve opens to decode: the video codecs
/// such containers carry. Audio, subtitles and rarely used codecs are never decoded.
static const char *const allowed_codecs =
    "h264,hevc,vp8,vp9,av1,libdav1d,mpeg4,mpeg2video,mpeg1video,mjpeg,h263,h263p,flv,msmpeg4v1,msmpeg4v2,msmpeg4,"
    "wmv1,wmv2,wmv3,vc1,theora,prores,dnxhd,gif,png,rawvideo,svq3,cinepak,indeo5";

/// The largest single allocation FFmpeg may make (its own limit is 2 GiB): a 4K RGB frame
/// is 25 MiB, a four-hour 60 fps sample index 20 MiB; a container claiming 89 million
/// samples in a 39 KB file must fail instead of taking gigabytes.
static const size_t max_allocation = (size_t)256 << 20;

/// The most streams a container may declare.
static const int max_streams = 32;

/// The RGB converter: swscale's context for one size and pixel format, and its frame.
struct converter {
  AVFrame *rgb_frame;
  struct SwsContext *sws;
  int width, height, format;
};

/// What cutting a stream into closed stretches (from one clean key frame to the next)
/// needs to remember between calls.
struct segmenter {
  int kind;              // SEGMENT_* below
  int nal_length;        // bytes of an H.264/HEVC NAL length prefix; 0: start codes
  int started;           // the first packet was read
  int done;              // the data ended
  int parameter_sets;    // parameter sets were seen inside the stream
  uint64_t parameter_hash;  // of those the first key packet carrying any carried
  AVPacket *pending;     // the key packet that starts the next stretch
  int pending_droppable;
  int64_t pending_order;  // its picture order
  int temporal_id;       // HEVC: the largest TemporalId in the stretch being read
  int64_t frames;        // packets (frames) in the stretches returned so far
  int64_t last_pts;      // the largest presentation time in them
  AVCodecParserContext *parser;  // H.264/HEVC: FFmpeg's parser, each picture's order and structure
  AVCodecContext *parser_codec;
};

enum { SEGMENT_NONE, SEGMENT_H264, SEGMENT_HEVC, SEGMENT_VP9 };

struct sieve_video {
  const uint8_t *data;  // bytes in memory, or NULL
  int fd;               // or a read-only descriptor (-1: none)
  sieve_video_read_at read_at;  // or the caller's reader
  void *read_context;
  int64_t length;
  int64_t position;
  int64_t deadline_ns;
  AVIOContext *io;
  AVFormatContext *format;
  AVCodecContext *codec;
  int stream_index;
  AVPacket *packet;
  AVFrame *frame;
  struct converter converter;
  int draining;
  int64_t bad_packets;
  int failures_in_a_row;
  int read_error;       // the demuxer's error that ended the data early (0: none)
  struct segmenter segmenter;
};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int expired(const sieve_video *v) { return v->deadline_ns > 0 && now_ns() > v->deadline_ns; }

static void describe(char *message, size_t length, const char *what, int error) {
  if (!message || length == 0) return;
  char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(error, reason, sizeof reason);
  snprintf(message, length, "%s: %s", what, reason);
}

static void say(char *message, size_t length, const char *text) {
  if (message && length > 0) snprintf(message, length, "%s", text);
}

static int read_packet(void *opaque, uint8_t *buffer, int size) {
  sieve_video *v = opaque;
  if (expired(v)) return AVERROR_EXIT;
  if (v->position >= v->length) return AVERROR_EOF;
  int64_t n = v->length - v->position;
  if (n > size) n = size;
  if (v->data) {
    memcpy(buffer, v->data + v->position, (size_t)n);
  } else if (v->read_at) {
    int64_t r = v->read_at(v->read_context, v->position, buffer, n);
    if (r < 0) return AVERROR(EIO);
    if (r == 0) return AVERROR_EOF;
    n = r < n ? r : n;
  } else {
    ssize_t r;
    do { r = pread(v->fd, buffer, (size_t)n, (off_t)v->position); } while (r < 0 && errno == EINTR);
    if (r < 0) return AVERROR(errno);
    if (r == 0) return AVERROR_EOF;
    n = r;
  }
  v->position += n;
  return (int)n;
}

static int64_t seek(void *opaque, int64_t offset, int whence) {
  sieve_video *v = opaque;
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return v->length;
  int64_t target;
  switch (whence) {
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = v->position + offset; break;
    case SEEK_END: target = v->length + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0 || target > v->length) return AVERROR(EINVAL);
  v->position = target;
  return target;
}

static int interrupted(void *opaque) { return expired(opaque); }

/// Opens a decoder, allowed only the codecs Sieve decodes.
static int open_codec(AVCodecContext *context, const AVCodec *codec) {
  AVDictionary *options = NULL;
  av_dict_set(&options, "codec_whitelist", allowed_codecs, 0);
  int r = avcodec_open2(context, codec, &options);
  av_dict_free(&options);
  return r;
}

static int open_video(sieve_video *v, int64_t max_pixels, int threads, sieve_video **out, char *message, size_t message_length) {
  *out = NULL;
  // FFmpeg's own log goes nowhere: every failure comes back as a status and a message.
  av_log_set_level(AV_LOG_QUIET);
  av_max_alloc(max_allocation);
  const int buffer_size = 1 << 16;
  uint8_t *buffer = av_malloc(buffer_size);
  v->packet = av_packet_alloc();
  v->frame = av_frame_alloc();
  v->converter.rgb_frame = av_frame_alloc();
  v->format = avformat_alloc_context();
  if (buffer) v->io = avio_alloc_context(buffer, buffer_size, 0, v, read_packet, NULL, seek);
  if (!v->io) av_free(buffer);
  if (!v->io || !v->format || !v->packet || !v->frame || !v->converter.rgb_frame) {
    sieve_video_close(v);
    say(message, message_length, "out of memory");
    return SIEVE_VIDEO_NO_MEMORY;
  }
  v->format->pb = v->io;
  v->format->flags |= AVFMT_FLAG_CUSTOM_IO;
  v->format->interrupt_callback.callback = interrupted;
  v->format->interrupt_callback.opaque = v;
  AVDictionary *options = NULL;
  av_dict_set(&options, "format_whitelist", allowed_formats, 0);
  av_dict_set(&options, "codec_whitelist", allowed_codecs, 0);
  av_dict_set_int(&options, "max_streams", max_streams, 0);
  // No protocol at all: nothing named inside the data is ever opened.
  av_dict_set(&options, "protocol_whitelist", "none", 0);
  int r = avformat_open_input(&v->format, NULL, NULL, &options);
  av_dict_free(&options);
  if (r < 0) {
    // avformat_open_input freed the context on failure.
    v->format = NULL;
    sieve_video_close(v);
    if (r == AVERROR_EXIT) { say(message, message_length, "the time limit passed while reading the container"); return SIEVE_VIDEO_TIMEOUT; }
    describe(message, message_length, "not a video container Sieve reads", r);
    return SIEVE_VIDEO_NOT_VIDEO;
  }
  // Probing decodes a few frames of each stream: within the same frame-size limit.
  unsigned streams = v->format->nb_streams;
  AVDictionary **stream_options = av_calloc(streams ? streams : 1, sizeof *stream_options);
  if (!stream_options) { sieve_video_close(v); say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  for (unsigned i = 0; i < streams; i++) {
    if (max_pixels > 0) av_dict_set_int(&stream_options[i], "max_pixels", max_pixels, 0);
    av_dict_set(&stream_options[i], "codec_whitelist", allowed_codecs, 0);
  }
  r = avformat_find_stream_info(v->format, stream_options);
  for (unsigned i = 0; i < streams; i++) av_dict_free(&stream_options[i]);
  av_free(stream_options);
  if (r < 0) {
    sieve_video_close(v);
    if (r == AVERROR_EXIT) { say(message, message_length, "the time limit passed while reading the streams"); return SIEVE_VIDEO_TIMEOUT; }
    describe(message, message_length, "cannot read the streams", r);
    return SIEVE_VIDEO_ERROR;
  }
  const AVCodec *decoder = NULL;
  r = av_find_best_stream(v->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (r == AVERROR_STREAM_NOT_FOUND) {
    sieve_video_close(v);
    say(message, message_length, "the container holds no video stream");
    return SIEVE_VIDEO_NOT_VIDEO;
  }
  if (r < 0 || !decoder) {
    int status = r == AVERROR_DECODER_NOT_FOUND || !decoder ? SIEVE_VIDEO_NO_DECODER : SIEVE_VIDEO_ERROR;
    sieve_video_close(v);
    if (status == SIEVE_VIDEO_NO_DECODER) say(message, message_length, "no decoder for the video stream's codec");
    else describe(message, message_length, "cannot choose the video stream", r);
    return status;
  }
  v->stream_index = r;
  v->codec = avcodec_alloc_context3(decoder);
  if (!v->codec) { sieve_video_close(v); say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  r = avcodec_parameters_to_context(v->codec, v->format->streams[v->stream_index]->codecpar);
  if (r >= 0) {
    // Frames come out the same, in the same order, whatever the threading.
    v->codec->thread_count = threads < 0 ? 1 : threads;
    v->codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    // Frames past the limit mid-stream are refused by the decoder; a stream whose header is
    // already past it opens, for the caller to refuse by its size with a clear reason.
    int64_t header_pixels = (int64_t)v->codec->width * v->codec->height;
    if (max_pixels > 0) v->codec->max_pixels = max_pixels > header_pixels ? max_pixels : header_pixels;
    r = open_codec(v->codec, decoder);
  }
  if (r < 0) {
    sieve_video_close(v);
    describe(message, message_length, "cannot open the video decoder", r);
    return SIEVE_VIDEO_ERROR;
  }
  *out = v;
  return SIEVE_VIDEO_OK;
}

/// Opens a video read as `source` says (its data, descriptor or reader, length and deadline).
static int open_source(const sieve_video *source, int64_t max_pixels, int threads, sieve_video **out, char *message,
                       size_t message_length) {
  const char *missing = sieve_ffmpeg_ready();
  if (missing) { *out = NULL; say(message, message_length, missing); return SIEVE_VIDEO_ERROR; }
  sieve_video *v = av_mallocz(sizeof *v);
  if (!v) { *out = NULL; say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  *v = *source;
  return open_video(v, max_pixels, threads, out, message, message_length);
}

int sieve_video_open_memory(const uint8_t *data, size_t length, int64_t deadline_ns, int64_t max_pixels, int threads,
                            sieve_video **out, char *message, size_t message_length) {
  sieve_video source = {.data = data, .fd = -1, .length = (int64_t)length, .deadline_ns = deadline_ns};
  return open_source(&source, max_pixels, threads, out, message, message_length);
}

int sieve_video_open_fd(int fd, int64_t length, int64_t deadline_ns, int64_t max_pixels, int threads, sieve_video **out,
                        char *message, size_t message_length) {
  sieve_video source = {.fd = fd, .length = length, .deadline_ns = deadline_ns};
  return open_source(&source, max_pixels, threads, out, message, message_length);
}

int sieve_video_open_reader(sieve_video_read_at read_at, void *context, int64_t length, int64_t deadline_ns, int64_t max_pixels,
                            int threads, sieve_video **out, char *message, size_t message_length) {
  sieve_video source = {.fd = -1, .read_at = read_at, .read_context = context, .length = length, .deadline_ns = deadline_ns};
  return open_source(&source, max_pixels, threads, out, message, message_length);
}

void sieve_video_info_get(const sieve_video *v, sieve_video_info *info) {
  memset(info, 0, sizeof *info);
  const AVStream *s = v->format->streams[v->stream_index];
  info->width = s->codecpar->width;
  info->height = s->codecpar->height;
  info->avg_rate_num = s->avg_frame_rate.num;
  info->avg_rate_den = s->avg_frame_rate.den;
  info->real_rate_num = s->r_frame_rate.num;
  info->real_rate_den = s->r_frame_rate.den;
  info->duration_us = -1;
  if (s->duration != AV_NOPTS_VALUE && s->duration > 0)
    info->duration_us = av_rescale_q(s->duration, s->time_base, AV_TIME_BASE_Q);
  else if (v->format->duration != AV_NOPTS_VALUE && v->format->duration > 0)
    info->duration_us = v->format->duration;
  info->frame_count = s->nb_frames;
  info->stream_index = v->stream_index;
  info->stream_count = (int32_t)v->format->nb_streams;
  snprintf(info->format_name, sizeof info->format_name, "%s", v->format->iformat->name);
  snprintf(info->codec_name, sizeof info->codec_name, "%s", v->codec->codec->name);
}

static void converter_free(struct converter *c) {
  sws_freeContext(c->sws);
  c->sws = NULL;
  av_frame_free(&c->rgb_frame);
}

static int convert(struct converter *c, const AVFrame *f, uint8_t *rgb, size_t capacity, char *message, size_t message_length) {
  if (f->width <= 0 || f->height <= 0) { say(message, message_length, "a frame without a size"); return SIEVE_VIDEO_ERROR; }
  if ((size_t)f->width * (size_t)f->height * 3 > capacity) return SIEVE_VIDEO_FRAME_TOO_LARGE;
  if (!c->sws || c->width != f->width || c->height != f->height || c->format != f->format) {
    sws_freeContext(c->sws);
    // vPDQ's conversion: the frame's own size, packed RGB24, SWS_AREA, default colour details.
    c->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
    c->width = c->height = c->format = -1;  // set once everything is in place
    av_frame_unref(c->rgb_frame);
    if (!c->sws) { say(message, message_length, "cannot convert the frame's pixel format to RGB"); return SIEVE_VIDEO_ERROR; }
    c->rgb_frame->format = AV_PIX_FMT_RGB24;
    c->rgb_frame->width = f->width;
    c->rgb_frame->height = f->height;
    // As vPDQ: into a frame buffer of FFmpeg's own alignment, then copied out row by row.
    int r = av_frame_get_buffer(c->rgb_frame, 0);
    if (r < 0) { describe(message, message_length, "cannot allocate the RGB frame", r); return SIEVE_VIDEO_NO_MEMORY; }
    c->width = f->width;
    c->height = f->height;
    c->format = f->format;
  }
  int r = sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, c->rgb_frame->data, c->rgb_frame->linesize);
  if (r <= 0) { say(message, message_length, "the conversion to RGB failed"); return SIEVE_VIDEO_ERROR; }
  const size_t row = (size_t)f->width * 3;
  for (int y = 0; y < f->height; y++) memcpy(rgb + (size_t)y * row, c->rgb_frame->data[0] + (size_t)y * c->rgb_frame->linesize[0], row);
  return SIEVE_VIDEO_OK;
}

int sieve_video_next(sieve_video *v, uint8_t *rgb, size_t rgb_capacity, int32_t *width, int32_t *height,
                     int64_t *pts_us, char *message, size_t message_length) {
  for (;;) {
    if (expired(v)) { say(message, message_length, "the time limit passed while decoding"); return SIEVE_VIDEO_TIMEOUT; }
    int r = avcodec_receive_frame(v->codec, v->frame);
    if (r == 0) {
      *width = v->frame->width;
      *height = v->frame->height;
      int64_t t = v->frame->best_effort_timestamp;
      *pts_us = t == AV_NOPTS_VALUE ? INT64_MIN : av_rescale_q(t, v->format->streams[v->stream_index]->time_base, AV_TIME_BASE_Q);
      return rgb ? convert(&v->converter, v->frame, rgb, rgb_capacity, message, message_length) : SIEVE_VIDEO_OK;
    }
    if (r == AVERROR_EOF) return SIEVE_VIDEO_END;
    if (r != AVERROR(EAGAIN)) {
      // A frame the decoder could not finish: skipped like a corrupt packet, unless the
      // decoder keeps failing without taking more data.
      v->bad_packets += 1;
      if (v->draining) return SIEVE_VIDEO_END;
      if (++v->failures_in_a_row > 64) { describe(message, message_length, "the decoder keeps failing", r); return SIEVE_VIDEO_ERROR; }
      continue;
    }
    v->failures_in_a_row = 0;
    if (v->draining) return SIEVE_VIDEO_END;
    r = av_read_frame(v->format, v->packet);
    if (r == AVERROR_EXIT) { say(message, message_length, "the time limit passed while reading"); return SIEVE_VIDEO_TIMEOUT; }
    if (r < 0) {
      // The end of the data, or data past repair (recorded): what the decoder holds still
      // comes out.
      if (r != AVERROR_EOF) v->read_error = r;
      v->draining = 1;
      avcodec_send_packet(v->codec, NULL);
      continue;
    }
    if (v->packet->stream_index == v->stream_index) {
      r = avcodec_send_packet(v->codec, v->packet);
      if (r < 0 && r != AVERROR(EAGAIN)) v->bad_packets += 1;
    }
    av_packet_unref(v->packet);
  }
}

int sieve_video_convert_last(sieve_video *v, uint8_t *rgb, size_t rgb_capacity, char *message, size_t message_length) {
  return convert(&v->converter, v->frame, rgb, rgb_capacity, message, message_length);
}

int64_t sieve_video_bad_packets(const sieve_video *v) { return v->bad_packets; }

int sieve_video_read_error(const sieve_video *v, char *message, size_t message_length) {
  if (v->read_error) describe(message, message_length, "the data ends in damage", v->read_error);
  return v->read_error != 0;
}

void sieve_video_close(sieve_video *v) {
  if (!v) return;
  converter_free(&v->converter);
  av_packet_free(&v->segmenter.pending);
  if (v->segmenter.parser) av_parser_close(v->segmenter.parser);
  avcodec_free_context(&v->segmenter.parser_codec);
  av_frame_free(&v->frame);
  av_packet_free(&v->packet);
  avcodec_free_context(&v->codec);
  // With custom I/O, closing the input leaves the I/O context to us.
  if (v->format) avformat_close_input(&v->format);
  if (v->io) {
    av_freep(&v->io->buffer);
    avio_context_free(&v->io);
  }
  av_free(v);
}

// MARK: - Closed stretches, decoded apart

/// Packets of one closed stretch: a clean key frame and the frames up to the next, in
/// decoding order, with the order they are shown in.
struct sieve_video_gop {
  AVPacket **packets;
  int64_t *pts;        // by decoding position
  int64_t *poc;        // H.264/HEVC picture order count (FFmpeg's parser), by decoding position
  uint8_t *droppable;  // by decoding position: no other frame refers to it
  int64_t *sorted;     // presentation times, ascending
  int *order;          // the decoding position of each frame, in presentation order
  int count, capacity;
  int64_t bytes;       // held: packets and their bookkeeping
  int64_t base;        // the stretch's first frame's number in the whole video
};

/// The most bytes and frames a stretch may hold; a longer one is decoded in one pass.
static const int64_t max_gop_bytes = (int64_t)32 << 20;
static const int max_gop_packets = 1 << 16;
/// What FFmpeg's packet, its buffer's bookkeeping and ours take beside the data.
static const int64_t packet_overhead = 256;

void sieve_video_gop_free(sieve_video_gop *g) {
  if (!g) return;
  for (int i = 0; i < g->count; i++) av_packet_free(&g->packets[i]);
  av_free(g->packets);
  av_free(g->pts);
  av_free(g->poc);
  av_free(g->droppable);
  av_free(g->sorted);
  av_free(g->order);
  av_free(g);
}

int32_t sieve_video_gop_count(const sieve_video_gop *g) { return g->count; }
int64_t sieve_video_gop_base(const sieve_video_gop *g) { return g->base; }

static int gop_append(sieve_video_gop *g, AVPacket *packet, int droppable, int64_t poc) {
  if (g->count == g->capacity) {
    int capacity = g->capacity ? g->capacity * 2 : 64;
    AVPacket **packets = av_realloc_array(g->packets, (size_t)capacity, sizeof *packets);
    if (!packets) return 0;
    g->packets = packets;
    int64_t *pts = av_realloc_array(g->pts, (size_t)capacity, sizeof *pts);
    if (!pts) return 0;
    g->pts = pts;
    int64_t *poc_array = av_realloc_array(g->poc, (size_t)capacity, sizeof *poc_array);
    if (!poc_array) return 0;
    g->poc = poc_array;
    uint8_t *drop = av_realloc(g->droppable, (size_t)capacity);
    if (!drop) return 0;
    g->droppable = drop;
    g->capacity = capacity;
  }
  g->packets[g->count] = packet;
  g->pts[g->count] = packet->pts;
  g->poc[g->count] = poc;
  g->droppable[g->count] = (uint8_t)droppable;
  g->count += 1;
  g->bytes += packet->size + packet_overhead;
  return 1;
}

static int compare_pts(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/// A presentation time and its packet's decoding position, to sort.
struct timed { int64_t pts; int position; };

static int compare_timed(const void *a, const void *b) {
  const struct timed *x = a, *y = b;
  return (x->pts > y->pts) - (x->pts < y->pts);
}

/// Bits of a NAL unit's payload, emulation-prevention bytes (00 00 03) skipped.
struct rbsp {
  const uint8_t *data;
  size_t size, byte;
  int bit, zeros, error;
};

static int rbsp_bit(struct rbsp *r) {
  if (r->bit == 0 && r->zeros >= 2 && r->byte < r->size && r->data[r->byte] == 3) {
    r->byte += 1;
    r->zeros = 0;
  }
  if (r->byte >= r->size) { r->error = 1; return 0; }
  int b = (r->data[r->byte] >> (7 - r->bit)) & 1;
  if (++r->bit == 8) {
    r->zeros = r->data[r->byte] == 0 ? r->zeros + 1 : 0;
    r->bit = 0;
    r->byte += 1;
  }
  return b;
}

static uint32_t rbsp_ue(struct rbsp *r) {
  int zeros = 0;
  while (!rbsp_bit(r)) {
    if (r->error || ++zeros > 31) { r->error = 1; return 0; }
  }
  uint32_t value = 0;
  for (int i = 0; i < zeros; i++) value = value << 1 | (uint32_t)rbsp_bit(r);
  return ((uint32_t)1 << zeros) - 1 + value;
}

/// Whether an HEVC picture parameter set (its whole unit) lets slices say a picture is
/// not to be output (output_flag_present_flag); also when it cannot be read.
static int hevc_pps_output_flag(const uint8_t *nal, size_t size) {
  if (size < 3) return 1;
  struct rbsp r = {.data = nal + 2, .size = size - 2};
  rbsp_ue(&r);  // pps_pic_parameter_set_id
  rbsp_ue(&r);  // pps_seq_parameter_set_id
  rbsp_bit(&r);  // dependent_slice_segments_enabled_flag
  int output_flag_present = rbsp_bit(&r);
  return r.error || output_flag_present;
}

/// What a packet's H.264 or HEVC NAL units hold.
struct nal_summary {
  int idr;              // an IDR picture's slice
  int other_picture;    // a slice of another kind of picture
  int vps, sps, pps;    // parameter sets
  int referenced;       // an H.264 slice with nal_ref_idc > 0, or an HEVC picture not of a _N type
  int temporal_id;      // HEVC: the largest TemporalId
  int other;            // a unit other than a slice, SEI, delimiter or filler
  int pictures;         // slices that begin a picture
  int ends_sequence;    // an end of sequence or of stream
  int drops_prior;      // HEVC: an IRAP slice with no_output_of_prior_pics_flag
  int output_flag;      // HEVC: a picture parameter set letting pictures go unshown
  uint64_t parameter_hash;  // FNV-1a over the parameter sets' bytes
  int malformed;
};

static void hash_bytes(uint64_t *hash, const uint8_t *data, size_t size) {
  for (size_t i = 0; i < size; i++) *hash = (*hash ^ data[i]) * 0x100000001b3ULL;
}

static void note_nal(struct nal_summary *s, const uint8_t *nal, size_t size, int hevc) {
  if (size == 0) return;
  if (hevc) {
    if (size < 2) { s->malformed = 1; return; }
    int type = (nal[0] >> 1) & 0x3f;
    int temporal_id = (nal[1] & 7) - 1;
    if (temporal_id > s->temporal_id) s->temporal_id = temporal_id;
    // Sub-layer non-reference pictures: TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N.
    if (type <= 31 && !(type <= 8 && type % 2 == 0)) s->referenced = 1;
    if (type > 31 && type != 35 && type != 38 && type != 39 && type != 40) s->other = 1;
    if (type == 19 || type == 20) s->idr = 1;
    else if (type <= 9 || (type >= 16 && type <= 21)) s->other_picture = 1;
    else if (type == 32) s->vps = 1;
    else if (type == 33) s->sps = 1;
    else if (type == 34) { s->pps = 1; if (hevc_pps_output_flag(nal, size)) s->output_flag = 1; }
    else if (type == 36 || type == 37) s->ends_sequence = 1;
    // A slice beginning a picture: first_slice_segment_in_pic_flag.
    if (type <= 31 && size >= 3 && (nal[2] & 0x80)) s->pictures += 1;
    // An IRAP picture's first slice: first_slice_segment_in_pic_flag, then
    // no_output_of_prior_pics_flag.
    if (type >= 16 && type <= 23) {
      if (size < 3) s->malformed = 1;
      else if ((nal[2] & 0x80) && (nal[2] & 0x40)) s->drops_prior = 1;
    }
    if (type >= 32 && type <= 34) hash_bytes(&s->parameter_hash, nal, size);
  } else {
    int type = nal[0] & 0x1f;
    if (nal[0] & 0x60) s->referenced = 1;
    if (type != 1 && type != 5 && type != 6 && type != 9 && type != 12) s->other = 1;
    // A slice beginning a picture: first_mb_in_slice 0 (ue(v) "1").
    if ((type == 1 || type == 5) && size >= 2 && (nal[1] & 0x80)) s->pictures += 1;
    if (type == 5) s->idr = 1;
    else if (type >= 1 && type <= 4) s->other_picture = 1;
    else if (type == 7) s->sps = 1;
    else if (type == 8) s->pps = 1;
    else if (type == 10 || type == 11) s->ends_sequence = 1;
    if (type == 7 || type == 8 || type == 13) hash_bytes(&s->parameter_hash, nal, size);
  }
}

static struct nal_summary summarise_nals(const uint8_t *data, size_t size, int nal_length, int hevc) {
  struct nal_summary s = {.parameter_hash = 0xcbf29ce484222325ULL};
  if (nal_length > 0) {
    size_t at = 0;
    while (at < size) {
      if (size - at < (size_t)nal_length) { s.malformed = 1; break; }
      size_t n = 0;
      for (int i = 0; i < nal_length; i++) n = (n << 8) | data[at + i];
      at += (size_t)nal_length;
      if (n > size - at) { s.malformed = 1; break; }
      note_nal(&s, data + at, n, hevc);
      at += n;
    }
  } else {
    // Annex B: units after 00 00 01 start codes.
    size_t i = 0, start = SIZE_MAX;
    while (i + 3 <= size) {
      if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
        if (start != SIZE_MAX) note_nal(&s, data + start, i - start, hevc);
        i += 3;
        start = i;
      } else {
        i += 1;
      }
    }
    if (start == SIZE_MAX) s.malformed = 1;
    else note_nal(&s, data + start, size - start, hevc);
  }
  return s;
}

/// Whether a VP9 frame's uncompressed header shows it (show_existing_frame, or
/// show_frame), and whether it is a key frame; -1 when it is no VP9 frame.
static int vp9_frame(const uint8_t *data, size_t size, int *key) {
  *key = 0;
  if (size < 1) return -1;
  int byte = data[0], bit = 7;
#define VP9_BIT() ((byte >> bit--) & 1)
  if (VP9_BIT() != 1 || VP9_BIT() != 0) return -1;  // frame_marker
  int profile = VP9_BIT();
  profile |= VP9_BIT() << 1;
  if (profile == 3) VP9_BIT();  // reserved_zero
  if (VP9_BIT()) return 1;      // show_existing_frame
  *key = VP9_BIT() == 0;        // frame_type
  return VP9_BIT();             // show_frame
#undef VP9_BIT
}

/// How many frames a VP9 packet shows (its superframe's frames, or itself), and whether
/// its first frame is a key frame; -1 when it does not hold together.
static int vp9_shown_frames(const uint8_t *data, size_t size, int *key) {
  *key = 0;
  if (size < 1) return -1;
  uint8_t last = data[size - 1];
  if ((last & 0xe0) == 0xc0) {
    size_t frames = (last & 7) + 1, magnitude = ((last >> 3) & 3) + 1;
    size_t index = 2 + magnitude * frames;
    if (size >= index && data[size - index] == last) {
      size_t at = size - index + 1, offset = 0;
      int shown = 0;
      for (size_t i = 0; i < frames; i++) {
        size_t frame = 0;
        for (size_t b = 0; b < magnitude; b++) frame |= (size_t)data[at++] << (8 * b);
        if (frame == 0 || frame > size - index - offset) return -1;
        int first_key = 0;
        int s = vp9_frame(data + offset, frame, &first_key);
        if (s < 0) return -1;
        if (i == 0) *key = first_key;
        shown += s;
        offset += frame;
      }
      return shown;
    }
  }
  return vp9_frame(data, size, key);
}

/// What reading one packet told about it.
struct packet_class {
  int clean;         // decoding can start afresh here
  int droppable;     // no other frame refers to it (1), or none if the stretch is of one HEVC sub-layer (2)
  const char *why;   // why the stream cannot be cut after all
};

/// Classifies a packet. A clean start is where decoding afresh gives what decoding every
/// frame before it gives: an IDR picture alone in its packet (H.264, HEVC) carrying the
/// same parameter sets as every other whenever the stream carries any inside it; a VP9 key
/// frame. Also whether the packet is a picture no other refers to (H.264 nal_ref_idc 0, an
/// HEVC _N picture; nothing but slices, SEI, delimiters and filler), which need not be
/// decoded unless its own frame is wanted; and anything that makes numbering frames by
/// their packets unsafe.
static struct packet_class classify(struct segmenter *s, const AVPacket *p) {
  struct packet_class c = {0};
  if (p->pts == AV_NOPTS_VALUE) { c.why = "a frame without a presentation time"; return c; }
  if (p->size <= 0) { c.why = "an empty packet"; return c; }
  if (p->flags & (AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_CORRUPT)) { c.why = "packets to discard or marked corrupt"; return c; }
  if (av_packet_get_side_data(p, AV_PKT_DATA_NEW_EXTRADATA, NULL)) { c.why = "new decoder parameters inside the stream"; return c; }
  if (s->kind == SEGMENT_VP9) {
    int key = 0;
    if (vp9_shown_frames(p->data, (size_t)p->size, &key) != 1) { c.why = "a VP9 packet that shows no frame or several"; return c; }
    c.clean = key && (p->flags & AV_PKT_FLAG_KEY);
    return c;
  }
  int hevc = s->kind == SEGMENT_HEVC;
  struct nal_summary n = summarise_nals(p->data, (size_t)p->size, s->nal_length, hevc);
  if (n.malformed) { c.why = "a packet whose units do not hold together"; return c; }
  if (n.ends_sequence) { c.why = "an end of sequence inside the stream"; return c; }
  if (n.pictures > 1) { c.why = "a packet holding two pictures"; return c; }
  if (n.drops_prior) { c.why = "a key picture that drops the pictures before it"; return c; }
  if (n.output_flag) { c.why = "pictures that may go unshown"; return c; }
  if (n.temporal_id > s->temporal_id) s->temporal_id = n.temporal_id;
  int idr_alone = n.idr && !n.other_picture;
  int parameters = n.vps || n.sps || n.pps;
  if (parameters) {
    // Parameter sets inside the stream: only with key pictures, the same every time, so
    // that a decoder starting afresh at any of them holds what one that never stopped does.
    if (!idr_alone) { c.why = "parameter sets inside the stream away from key pictures"; return c; }
    if (!s->parameter_sets) {
      s->parameter_sets = 1;
      s->parameter_hash = n.parameter_hash;
    } else if (n.parameter_hash != s->parameter_hash) {
      c.why = "parameter sets that change inside the stream";
      return c;
    }
  }
  c.clean = idr_alone && (!s->parameter_sets || parameters);
  if (!n.idr && n.other_picture && !n.referenced && !n.other) c.droppable = hevc ? 2 : 1;
  return c;
}

int sieve_video_segmentable(sieve_video *v, char *message, size_t message_length) {
  struct segmenter *s = &v->segmenter;
  const char *format = v->format->iformat->name;
  if (strncmp(format, "mov,", 4) != 0 && strncmp(format, "matroska,", 9) != 0) {
    say(message, message_length, "only MP4/MOV and Matroska/WebM are cut into stretches");
    return 0;
  }
  const AVCodecParameters *par = v->format->streams[v->stream_index]->codecpar;
  const uint8_t *extra = par->extradata;
  int extra_size = par->extradata_size;
  switch (par->codec_id) {
    case AV_CODEC_ID_H264:
      // avcC (FFmpeg's test: a first byte of 1): the NAL length size is in its fifth byte.
      if (extra_size >= 7 && extra[0] == 1) s->nal_length = (extra[4] & 3) + 1;
      s->kind = SEGMENT_H264;
      break;
    case AV_CODEC_ID_HEVC:
      // hvcC by FFmpeg's own test; its picture parameter sets are checked as in-stream ones.
      if (extra_size > 3 && (extra[0] || extra[1] || extra[2] > 1)) {
        if (extra_size < 23) { say(message, message_length, "a short hvcC record"); return 0; }
        s->nal_length = (extra[21] & 3) + 1;
        int arrays = extra[22], at = 23;
        for (int a = 0; a < arrays; a++) {
          if (at + 3 > extra_size) { say(message, message_length, "an hvcC record that does not hold together"); return 0; }
          int type = extra[at] & 0x3f, units = extra[at + 1] << 8 | extra[at + 2];
          at += 3;
          for (int u = 0; u < units; u++) {
            if (at + 2 > extra_size) { say(message, message_length, "an hvcC record that does not hold together"); return 0; }
            int length = extra[at] << 8 | extra[at + 1];
            at += 2;
            if (at + length > extra_size) { say(message, message_length, "an hvcC record that does not hold together"); return 0; }
            if (type == 34 && hevc_pps_output_flag(extra + at, (size_t)length)) {
              say(message, message_length, "HEVC pictures that may go unshown");
              return 0;
            }
            at += length;
          }
        }
      }
      s->kind = SEGMENT_HEVC;
      break;
    case AV_CODEC_ID_VP9: s->kind = SEGMENT_VP9; break;
    default:
      say(message, message_length, "only H.264, HEVC and VP9 are cut into stretches");
      return 0;
  }
  if (s->nal_length == 3) {
    s->kind = SEGMENT_NONE;
    say(message, message_length, "3-byte NAL lengths");
    return 0;
  }
  if (s->kind == SEGMENT_H264 || s->kind == SEGMENT_HEVC) {
    // FFmpeg's parser: each picture's order count (the order the decoder shows them in) and
    // structure (frame or field), from every packet, decoded or not.
    s->parser = av_parser_init(par->codec_id);
    s->parser_codec = avcodec_alloc_context3(NULL);
    if (!s->parser || !s->parser_codec || avcodec_parameters_to_context(s->parser_codec, par) < 0) {
      s->kind = SEGMENT_NONE;
      say(message, message_length, "cannot start FFmpeg's parser");
      return 0;
    }
    s->parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
  }
  return 1;
}

/// The picture order count FFmpeg's parser gives a packet (H.264, HEVC), or 0; sets `why`
/// when the packet is a field rather than a frame.
static int64_t picture_order(struct segmenter *s, const AVPacket *p, const char **why) {
  if (!s->parser) return 0;
  uint8_t *out = NULL;
  int out_size = 0;
  av_parser_parse2(s->parser, s->parser_codec, &out, &out_size, p->data, p->size, p->pts, p->dts, p->pos);
  if (s->kind == SEGMENT_H264 && s->parser->picture_structure != AV_PICTURE_STRUCTURE_FRAME) *why = "field pictures";
  return s->parser->output_picture_number;
}

/// The most frames decoded before one and shown after it, over the stretch: how many a
/// decoder must hold back to show them in order. By a Fenwick tree over presentation ranks.
static int reorder_depth(const sieve_video_gop *g) {
  int *rank = av_malloc_array((size_t)g->count, sizeof *rank);
  int *tree = av_calloc((size_t)g->count + 1, sizeof *tree);
  int depth = 0;
  if (!rank || !tree) { av_free(rank); av_free(tree); return INT32_MAX; }
  for (int k = 0; k < g->count; k++) rank[g->order[k]] = k;
  for (int i = 0; i < g->count; i++) {
    int smaller = 0;  // earlier packets shown before this one
    for (int x = rank[i]; x > 0; x -= x & -x) smaller += tree[x];
    int later = i - smaller;
    if (later > depth) depth = later;
    for (int x = rank[i] + 1; x <= g->count; x += x & -x) tree[x] += 1;
  }
  av_free(rank);
  av_free(tree);
  return depth;
}

int sieve_video_next_gop(sieve_video *v, sieve_video_gop **out, char *message, size_t message_length) {
  struct segmenter *s = &v->segmenter;
  *out = NULL;
  if (s->kind == SEGMENT_NONE) { say(message, message_length, "not segmentable"); return SIEVE_VIDEO_UNSEGMENTABLE; }
  if (s->done && !s->pending) return SIEVE_VIDEO_END;
  sieve_video_gop *g = av_mallocz(sizeof *g);
  if (!g) { say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  int status = SIEVE_VIDEO_OK;
  const char *why = NULL;
  s->temporal_id = 0;
  if (s->pending) {
    if (!gop_append(g, s->pending, s->pending_droppable, s->pending_order)) { status = SIEVE_VIDEO_NO_MEMORY; goto fail; }
    s->pending = NULL;
  }
  while (!s->done) {
    if (expired(v)) { say(message, message_length, "the time limit passed while reading"); status = SIEVE_VIDEO_TIMEOUT; goto fail; }
    int r = av_read_frame(v->format, v->packet);
    if (r == AVERROR_EXIT) { say(message, message_length, "the time limit passed while reading"); status = SIEVE_VIDEO_TIMEOUT; goto fail; }
    if (r < 0) {
      if (r != AVERROR_EOF) v->read_error = r;
      s->done = 1;
      break;
    }
    if (v->packet->stream_index != v->stream_index) { av_packet_unref(v->packet); continue; }
    int temporal_before = s->temporal_id;
    struct packet_class c = classify(s, v->packet);
    int64_t poc = c.why ? 0 : picture_order(s, v->packet, &c.why);
    if (!c.why && !s->started && !c.clean) c.why = "the stream does not start at a clean key frame";
    if (c.why) { av_packet_unref(v->packet); why = c.why; status = SIEVE_VIDEO_UNSEGMENTABLE; goto fail; }
    s->started = 1;
    AVPacket *kept = av_packet_alloc();
    if (!kept) { av_packet_unref(v->packet); status = SIEVE_VIDEO_NO_MEMORY; goto fail; }
    av_packet_move_ref(kept, v->packet);
    if (c.clean && g->count > 0) {
      // The next stretch's first packet: its sub-layer is the next stretch's.
      s->temporal_id = temporal_before;
      s->pending = kept;
      s->pending_droppable = c.droppable;
      s->pending_order = poc;
      break;
    }
    if (!gop_append(g, kept, c.droppable, poc)) { av_packet_free(&kept); status = SIEVE_VIDEO_NO_MEMORY; goto fail; }
    if (g->bytes > max_gop_bytes || g->count > max_gop_packets) {
      why = "a stretch between clean key frames is too long to hold";
      status = SIEVE_VIDEO_UNSEGMENTABLE;
      goto fail;
    }
  }
  if (g->count == 0) { sieve_video_gop_free(g); return SIEVE_VIDEO_END; }
  if (g->bytes > max_gop_bytes) {
    why = "a stretch between clean key frames is too long to hold";
    status = SIEVE_VIDEO_UNSEGMENTABLE;
    goto fail;
  }
  g->sorted = av_malloc_array((size_t)g->count, sizeof *g->sorted);
  g->order = av_malloc_array((size_t)g->count, sizeof *g->order);
  struct timed *timed = av_malloc_array((size_t)g->count, sizeof *timed);
  if (!g->sorted || !g->order || !timed) { av_free(timed); status = SIEVE_VIDEO_NO_MEMORY; goto fail; }
  for (int i = 0; i < g->count; i++) timed[i] = (struct timed){g->pts[i], i};
  qsort(timed, (size_t)g->count, sizeof *timed, compare_timed);
  for (int k = 0; k < g->count; k++) {
    g->sorted[k] = timed[k].pts;
    g->order[k] = timed[k].position;
  }
  av_free(timed);
  for (int k = 1; k < g->count && !why; k++) {
    if (g->sorted[k] == g->sorted[k - 1]) why = "two frames with one presentation time";
    // Shown in the order of their times: by picture order count (H.264, HEVC), in
    // decoding order (VP9, which shows frames as it decodes them).
    else if (s->parser ? g->poc[g->order[k]] <= g->poc[g->order[k - 1]] : g->order[k] != k)
      why = "frames whose times are not in the order they are shown in";
  }
  // Reordered no deeper than the decoder expects from the start (the stream's
  // video_delay): deeper, FFmpeg raises its delay when it meets it, dropping or reordering
  // a frame in one pass, which a stretch decoded apart (or skipped) would not do alike.
  if (!why && s->parser && reorder_depth(g) > v->format->streams[v->stream_index]->codecpar->video_delay)
    why = "frames reordered deeper than the stream declares";
  // Closed: every frame of a stretch comes after every frame of the one before.
  if (!why && s->frames > 0 && g->sorted[0] <= s->last_pts) why = "stretches overlap in time (open GOPs)";
  if (why) { status = SIEVE_VIDEO_UNSEGMENTABLE; goto fail; }
  for (int i = 0; i < g->count; i++) {
    if (g->droppable[i] == 2) g->droppable[i] = s->temporal_id == 0;
  }
  g->base = s->frames;
  s->frames += g->count;
  s->last_pts = g->sorted[g->count - 1];
  *out = g;
  return SIEVE_VIDEO_OK;
fail:
  if (status == SIEVE_VIDEO_NO_MEMORY) say(message, message_length, "out of memory");
  if (status == SIEVE_VIDEO_UNSEGMENTABLE) say(message, message_length, why ? why : "not segmentable");
  sieve_video_gop_free(g);
  return status;
}

/// A decoder of its own for stretches, one a thread.
struct sieve_video_decoder {
  AVCodecContext *codec;
  AVFrame *frame;
  struct converter converter;
  int64_t deadline_ns;
  const sieve_video_gop *gop;
  int64_t step, end;
  int *send;          // decoding positions to send: every wanted frame's and what it may refer to
  int send_count;
  int sent;
  int received;
  int draining;
  int64_t *expected;  // the sent frames' presentation times, ascending
};

int sieve_video_decoder_open(const sieve_video *v, int64_t max_pixels, int threads, sieve_video_decoder **out, char *message,
                             size_t message_length) {
  *out = NULL;
  sieve_video_decoder *d = av_mallocz(sizeof *d);
  if (!d) { say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  d->deadline_ns = v->deadline_ns;
  d->frame = av_frame_alloc();
  d->converter.rgb_frame = av_frame_alloc();
  d->codec = avcodec_alloc_context3(v->codec->codec);
  if (!d->frame || !d->converter.rgb_frame || !d->codec) {
    sieve_video_decoder_close(d);
    say(message, message_length, "out of memory");
    return SIEVE_VIDEO_NO_MEMORY;
  }
  int r = avcodec_parameters_to_context(d->codec, v->format->streams[v->stream_index]->codecpar);
  if (r >= 0) {
    d->codec->thread_count = threads < 0 ? 1 : threads;
    d->codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    // Strict: damage a lenient decoder would conceal (from whatever its buffers last held,
    // which differs between a stretch and a whole pass) is an error here, and the video is
    // decoded again in one pass.
    d->codec->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE | AV_EF_CAREFUL;
    d->codec->max_pixels = v->codec->max_pixels;
    if (max_pixels > d->codec->max_pixels) d->codec->max_pixels = max_pixels;
    r = open_codec(d->codec, v->codec->codec);
  }
  if (r < 0) {
    sieve_video_decoder_close(d);
    describe(message, message_length, "cannot open the video decoder", r);
    return SIEVE_VIDEO_ERROR;
  }
  *out = d;
  return SIEVE_VIDEO_OK;
}

/// The position in `sorted` (ascending, distinct) of `pts`, or -1.
static int64_t rank_of(const int64_t *sorted, int count, int64_t pts) {
  int lo = 0, hi = count - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (sorted[mid] == pts) return mid;
    if (sorted[mid] < pts) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/// Whether frame number `n` is wanted: a multiple of the step, below the end.
static int wanted(int64_t n, int64_t step, int64_t end) { return n < end && n % step == 0; }

int32_t sieve_video_gop_packets_needed(const sieve_video_gop *g, int64_t step, int64_t end) {
  if (step <= 0) step = 1;
  // Each wanted frame needs its own packet and every packet before it in decoding order
  // (which holds whatever it refers to).
  int needed = 0;
  int64_t first = (g->base + step - 1) / step * step;
  for (int64_t n = first; n < g->base + g->count && n < end; n += step) {
    int position = g->order[n - g->base];
    if (position + 1 > needed) needed = position + 1;
  }
  return needed;
}

int sieve_video_decoder_begin(sieve_video_decoder *d, const sieve_video_gop *g, int64_t step, int64_t end) {
  avcodec_flush_buffers(d->codec);
  av_freep(&d->expected);
  av_freep(&d->send);
  d->gop = g;
  d->step = step > 0 ? step : 1;
  d->end = end;
  d->sent = d->received = d->draining = d->send_count = 0;
  int until = sieve_video_gop_packets_needed(g, d->step, end);
  if (until == 0) return 0;
  d->expected = av_malloc_array((size_t)until, sizeof *d->expected);
  d->send = av_malloc_array((size_t)until, sizeof *d->send);
  if (!d->expected || !d->send) {
    av_freep(&d->expected);
    av_freep(&d->send);
    return SIEVE_VIDEO_NO_MEMORY;
  }
  for (int i = 0; i < until; i++) {
    if (g->droppable[i] && !wanted(g->base + rank_of(g->sorted, g->count, g->pts[i]), d->step, end)) continue;
    d->send[d->send_count] = i;
    d->expected[d->send_count] = g->pts[i];
    d->send_count += 1;
  }
  qsort(d->expected, (size_t)d->send_count, sizeof *d->expected, compare_pts);
  return d->send_count;
}

int sieve_video_decoder_next(sieve_video_decoder *d, uint8_t *rgb, size_t rgb_capacity, int64_t *number, int32_t *width,
                             int32_t *height, char *message, size_t message_length) {
  const sieve_video_gop *g = d->gop;
  if (!g || d->send_count == 0) return SIEVE_VIDEO_END;
  for (;;) {
    if (d->deadline_ns > 0 && now_ns() > d->deadline_ns) {
      say(message, message_length, "the time limit passed while decoding");
      return SIEVE_VIDEO_TIMEOUT;
    }
    int r = avcodec_receive_frame(d->codec, d->frame);
    if (r == 0) {
      // Each frame must be the next of those sent by presentation time, undamaged: then its
      // number is what decoding every frame would give it.
      int64_t pts = d->frame->pts;
      int ok = d->received < d->sent && pts == d->expected[d->received] && !(d->frame->flags & AV_FRAME_FLAG_CORRUPT) &&
               !d->frame->decode_error_flags;
      if (!ok) {
        av_frame_unref(d->frame);
        say(message, message_length, "a frame came out other than the stream's timing says");
        return SIEVE_VIDEO_UNSEGMENTABLE;
      }
      d->received += 1;
      int64_t n = g->base + rank_of(g->sorted, g->count, pts);
      if (!wanted(n, d->step, d->end)) { av_frame_unref(d->frame); continue; }
      *number = n;
      *width = d->frame->width;
      *height = d->frame->height;
      return convert(&d->converter, d->frame, rgb, rgb_capacity, message, message_length);
    }
    if (r == AVERROR_EOF) {
      if (d->received != d->sent) {
        say(message, message_length, "fewer frames came out than went in");
        return SIEVE_VIDEO_UNSEGMENTABLE;
      }
      return SIEVE_VIDEO_END;
    }
    if (r != AVERROR(EAGAIN) || d->draining) {
      say(message, message_length, "the decoder failed on a frame");
      return SIEVE_VIDEO_UNSEGMENTABLE;
    }
    if (d->sent < d->send_count) {
      r = avcodec_send_packet(d->codec, g->packets[d->send[d->sent]]);
      if (r < 0) { say(message, message_length, "the decoder refused a packet"); return SIEVE_VIDEO_UNSEGMENTABLE; }
      d->sent += 1;
    } else {
      d->draining = 1;
      avcodec_send_packet(d->codec, NULL);
    }
  }
}

int sieve_video_decoder_convert_last(sieve_video_decoder *d, uint8_t *rgb, size_t rgb_capacity, char *message,
                                     size_t message_length) {
  return convert(&d->converter, d->frame, rgb, rgb_capacity, message, message_length);
}

void sieve_video_decoder_close(sieve_video_decoder *d) {
  if (!d) return;
  converter_free(&d->converter);
  av_frame_free(&d->frame);
  avcodec_free_context(&d->codec);
  av_freep(&d->expected);
  av_freep(&d->send);
  av_free(d);
}
