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

struct sieve_video {
  const uint8_t *data;  // bytes in memory, or NULL
  int fd;               // or a read-only descriptor
  int64_t length;
  int64_t position;
  int64_t deadline_ns;
  AVIOContext *io;
  AVFormatContext *format;
  AVCodecContext *codec;
  int stream_index;
  AVPacket *packet;
  AVFrame *frame;
  AVFrame *rgb_frame;
  struct SwsContext *sws;
  int sws_width, sws_height, sws_format;
  int draining;
  int64_t bad_packets;
  int failures_in_a_row;
  int read_error;       // the demuxer's error that ended the data early (0: none)
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

static int open_video(sieve_video *v, int64_t max_pixels, int threads, sieve_video **out, char *message, size_t message_length) {
  *out = NULL;
  // FFmpeg's own log goes nowhere: every failure comes back as a status and a message.
  av_log_set_level(AV_LOG_QUIET);
  av_max_alloc(max_allocation);
  const int buffer_size = 1 << 16;
  uint8_t *buffer = av_malloc(buffer_size);
  v->packet = av_packet_alloc();
  v->frame = av_frame_alloc();
  v->rgb_frame = av_frame_alloc();
  v->format = avformat_alloc_context();
  if (buffer) v->io = avio_alloc_context(buffer, buffer_size, 0, v, read_packet, NULL, seek);
  if (!v->io) av_free(buffer);
  if (!v->io || !v->format || !v->packet || !v->frame || !v->rgb_frame) {
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
    AVDictionary *codec_options = NULL;
    av_dict_set(&codec_options, "codec_whitelist", allowed_codecs, 0);
    r = avcodec_open2(v->codec, decoder, &codec_options);
    av_dict_free(&codec_options);
  }
  if (r < 0) {
    sieve_video_close(v);
    describe(message, message_length, "cannot open the video decoder", r);
    return SIEVE_VIDEO_ERROR;
  }
  *out = v;
  return SIEVE_VIDEO_OK;
}

int sieve_video_open_memory(const uint8_t *data, size_t length, int64_t deadline_ns, int64_t max_pixels, int threads,
                            sieve_video **out, char *message, size_t message_length) {
  sieve_video *v = av_mallocz(sizeof *v);
  if (!v) { *out = NULL; say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  v->data = data;
  v->fd = -1;
  v->length = (int64_t)length;
  v->deadline_ns = deadline_ns;
  return open_video(v, max_pixels, threads, out, message, message_length);
}

int sieve_video_open_fd(int fd, int64_t length, int64_t deadline_ns, int64_t max_pixels, int threads, sieve_video **out,
                        char *message, size_t message_length) {
  sieve_video *v = av_mallocz(sizeof *v);
  if (!v) { *out = NULL; say(message, message_length, "out of memory"); return SIEVE_VIDEO_NO_MEMORY; }
  v->fd = fd;
  v->length = length;
  v->deadline_ns = deadline_ns;
  return open_video(v, max_pixels, threads, out, message, message_length);
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

static int convert(sieve_video *v, uint8_t *rgb, size_t capacity, char *message, size_t message_length) {
  const AVFrame *f = v->frame;
  if (f->width <= 0 || f->height <= 0) { say(message, message_length, "a frame without a size"); return SIEVE_VIDEO_ERROR; }
  if ((size_t)f->width * (size_t)f->height * 3 > capacity) return SIEVE_VIDEO_FRAME_TOO_LARGE;
  if (!v->sws || v->sws_width != f->width || v->sws_height != f->height || v->sws_format != f->format) {
    sws_freeContext(v->sws);
    // vPDQ's conversion: the frame's own size, packed RGB24, SWS_AREA, default colour details.
    v->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
    v->sws_width = v->sws_height = v->sws_format = -1;  // set once everything is in place
    av_frame_unref(v->rgb_frame);
    if (!v->sws) { say(message, message_length, "cannot convert the frame's pixel format to RGB"); return SIEVE_VIDEO_ERROR; }
    v->rgb_frame->format = AV_PIX_FMT_RGB24;
    v->rgb_frame->width = f->width;
    v->rgb_frame->height = f->height;
    // As vPDQ: into a frame buffer of FFmpeg's own alignment, then copied out row by row.
    int r = av_frame_get_buffer(v->rgb_frame, 0);
    if (r < 0) { describe(message, message_length, "cannot allocate the RGB frame", r); return SIEVE_VIDEO_NO_MEMORY; }
    v->sws_width = f->width;
    v->sws_height = f->height;
    v->sws_format = f->format;
  }
  int r = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, v->rgb_frame->data, v->rgb_frame->linesize);
  if (r <= 0) { say(message, message_length, "the conversion to RGB failed"); return SIEVE_VIDEO_ERROR; }
  const size_t row = (size_t)f->width * 3;
  for (int y = 0; y < f->height; y++) memcpy(rgb + (size_t)y * row, v->rgb_frame->data[0] + (size_t)y * v->rgb_frame->linesize[0], row);
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
      return rgb ? convert(v, rgb, rgb_capacity, message, message_length) : SIEVE_VIDEO_OK;
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
  return convert(v, rgb, rgb_capacity, message, message_length);
}

int64_t sieve_video_bad_packets(const sieve_video *v) { return v->bad_packets; }

int sieve_video_read_error(const sieve_video *v, char *message, size_t message_length) {
  if (v->read_error) describe(message, message_length, "the data ends in damage", v->read_error);
  return v->read_error != 0;
}

void sieve_video_close(sieve_video *v) {
  if (!v) return;
  sws_freeContext(v->sws);
  av_frame_free(&v->rgb_frame);
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
