// FFmpeg's libraries, loaded at the first video opened rather than at start-up.
//
// Linking them would load about 120 shared libraries (codecs, X11, TLS, Kerberos…) into every
// Sieve process, which costs tens of milliseconds before the first image is read, whether
// or not a video is ever seen. Instead the functions below are looked up with dlopen/dlsym
// the first time a video is opened; each name used in sieve_video.c is redefined to its
// pointer, so the code reads as plain FFmpeg calls. Included once, by sieve_video.c, after
// FFmpeg's headers.

#include <dlfcn.h>
#include <pthread.h>

#define SIEVE_STRINGIFY2(x) #x
#define SIEVE_STRINGIFY(x) SIEVE_STRINGIFY2(x)

/// Every FFmpeg function sieve_video.c calls.
#define SIEVE_FFMPEG_FUNCTIONS(X) \
  X(av_calloc) \
  X(av_dict_free) \
  X(av_dict_set) \
  X(av_dict_set_int) \
  X(av_find_best_stream) \
  X(av_frame_alloc) \
  X(av_frame_free) \
  X(av_frame_get_buffer) \
  X(av_frame_unref) \
  X(av_free) \
  X(av_freep) \
  X(av_log_set_level) \
  X(av_malloc) \
  X(av_malloc_array) \
  X(av_mallocz) \
  X(av_max_alloc) \
  X(av_packet_alloc) \
  X(av_packet_free) \
  X(av_packet_get_side_data) \
  X(av_packet_move_ref) \
  X(av_packet_unref) \
  X(av_parser_close) \
  X(av_parser_init) \
  X(av_parser_parse2) \
  X(av_read_frame) \
  X(av_realloc) \
  X(av_realloc_array) \
  X(av_rescale_q) \
  X(av_strerror) \
  X(avcodec_alloc_context3) \
  X(avcodec_flush_buffers) \
  X(avcodec_free_context) \
  X(avcodec_open2) \
  X(avcodec_parameters_to_context) \
  X(avcodec_receive_frame) \
  X(avcodec_send_packet) \
  X(avformat_alloc_context) \
  X(avformat_close_input) \
  X(avformat_find_stream_info) \
  X(avformat_open_input) \
  X(avio_alloc_context) \
  X(avio_context_free) \
  X(sws_freeContext) \
  X(sws_getContext) \
  X(sws_scale)

static struct {
#define X(name) __typeof__(&name) name;
  SIEVE_FFMPEG_FUNCTIONS(X)
#undef X
} sieve_ffmpeg;

static pthread_once_t sieve_ffmpeg_once = PTHREAD_ONCE_INIT;
/// Why loading failed, or NULL.
static char sieve_ffmpeg_error[512];

static void sieve_ffmpeg_load(void) {
  // The sonames of the versions Sieve was built against.
  static const char *const libraries[] = {
    "libavformat.so." SIEVE_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR),
    "libavcodec.so." SIEVE_STRINGIFY(LIBAVCODEC_VERSION_MAJOR),
    "libswscale.so." SIEVE_STRINGIFY(LIBSWSCALE_VERSION_MAJOR),
    "libavutil.so." SIEVE_STRINGIFY(LIBAVUTIL_VERSION_MAJOR),
  };
  void *handles[4];
  for (int i = 0; i < 4; i++) {
    handles[i] = dlopen(libraries[i], RTLD_NOW | RTLD_LOCAL);
    if (!handles[i]) {
      const char *why = dlerror();
      snprintf(sieve_ffmpeg_error, sizeof sieve_ffmpeg_error,
               "FFmpeg's libraries cannot be loaded (%s): install FFmpeg's shared libraries (Debian: libavformat59 "
               "libavcodec59 libswscale6 libavutil57) to read videos",
               why ? why : libraries[i]);
      return;
    }
  }
#define X(name)                                                                                    \
  for (int i = 0; i < 4 && !sieve_ffmpeg.name; i++) {                                              \
    sieve_ffmpeg.name = (__typeof__(sieve_ffmpeg.name))dlsym(handles[i], #name);                    \
  }                                                                                                \
  if (!sieve_ffmpeg.name) {                                                                         \
    snprintf(sieve_ffmpeg_error, sizeof sieve_ffmpeg_error, "FFmpeg's libraries lack %s", #name);    \
    return;                                                                                         \
  }
  SIEVE_FFMPEG_FUNCTIONS(X)
#undef X
}

/// Loads FFmpeg once; NULL when it is there, else why not.
static const char *sieve_ffmpeg_ready(void) {
  pthread_once(&sieve_ffmpeg_once, sieve_ffmpeg_load);
  return sieve_ffmpeg_error[0] ? sieve_ffmpeg_error : NULL;
}

#define av_calloc (sieve_ffmpeg.av_calloc)
#define av_dict_free (sieve_ffmpeg.av_dict_free)
#define av_dict_set (sieve_ffmpeg.av_dict_set)
#define av_dict_set_int (sieve_ffmpeg.av_dict_set_int)
#define av_find_best_stream (sieve_ffmpeg.av_find_best_stream)
#define av_frame_alloc (sieve_ffmpeg.av_frame_alloc)
#define av_frame_free (sieve_ffmpeg.av_frame_free)
#define av_frame_get_buffer (sieve_ffmpeg.av_frame_get_buffer)
#define av_frame_unref (sieve_ffmpeg.av_frame_unref)
#define av_free (sieve_ffmpeg.av_free)
#define av_freep (sieve_ffmpeg.av_freep)
#define av_log_set_level (sieve_ffmpeg.av_log_set_level)
#define av_malloc (sieve_ffmpeg.av_malloc)
#define av_malloc_array (sieve_ffmpeg.av_malloc_array)
#define av_mallocz (sieve_ffmpeg.av_mallocz)
#define av_max_alloc (sieve_ffmpeg.av_max_alloc)
#define av_packet_alloc (sieve_ffmpeg.av_packet_alloc)
#define av_packet_free (sieve_ffmpeg.av_packet_free)
#define av_packet_get_side_data (sieve_ffmpeg.av_packet_get_side_data)
#define av_packet_move_ref (sieve_ffmpeg.av_packet_move_ref)
#define av_packet_unref (sieve_ffmpeg.av_packet_unref)
#define av_parser_close (sieve_ffmpeg.av_parser_close)
#define av_parser_init (sieve_ffmpeg.av_parser_init)
#define av_parser_parse2 (sieve_ffmpeg.av_parser_parse2)
#define av_read_frame (sieve_ffmpeg.av_read_frame)
#define av_realloc (sieve_ffmpeg.av_realloc)
#define av_realloc_array (sieve_ffmpeg.av_realloc_array)
#define av_rescale_q (sieve_ffmpeg.av_rescale_q)
#define av_strerror (sieve_ffmpeg.av_strerror)
#define avcodec_alloc_context3 (sieve_ffmpeg.avcodec_alloc_context3)
#define avcodec_flush_buffers (sieve_ffmpeg.avcodec_flush_buffers)
#define avcodec_free_context (sieve_ffmpeg.avcodec_free_context)
#define avcodec_open2 (sieve_ffmpeg.avcodec_open2)
#define avcodec_parameters_to_context (sieve_ffmpeg.avcodec_parameters_to_context)
#define avcodec_receive_frame (sieve_ffmpeg.avcodec_receive_frame)
#define avcodec_send_packet (sieve_ffmpeg.avcodec_send_packet)
#define avformat_alloc_context (sieve_ffmpeg.avformat_alloc_context)
#define avformat_close_input (sieve_ffmpeg.avformat_close_input)
#define avformat_find_stream_info (sieve_ffmpeg.avformat_find_stream_info)
#define avformat_open_input (sieve_ffmpeg.avformat_open_input)
#define avio_alloc_context (sieve_ffmpeg.avio_alloc_context)
#define avio_context_free (sieve_ffmpeg.avio_context_free)
#define sws_freeContext (sieve_ffmpeg.sws_freeContext)
#define sws_getContext (sieve_ffmpeg.sws_getContext)
#define sws_scale (sieve_ffmpeg.sws_scale)
