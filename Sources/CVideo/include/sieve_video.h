#ifndef SIEVE_VIDEO_H
#define SIEVE_VIDEO_H

#include <stddef.h>
#include <stdint.h>

/// Opaque state of one video being decoded with FFmpeg's libraries (libavformat,
/// libavcodec, libswscale): the demuxer reading through a custom I/O context (a read-only
/// file descriptor or bytes in memory, never a URL), the best video stream's decoder, and
/// the RGB converter.
///
/// Only the container formats Sieve treats as video are allowed (no playlists, concat
/// lists or other formats that open further files or URLs), every call stops at the
/// deadline, and no FFmpeg error ever calls exit().
typedef struct sieve_video sieve_video;

/// What the container and the stream's header say.
typedef struct {
  int32_t width;            ///< coded width of the video stream (pixels)
  int32_t height;           ///< coded height
  int32_t avg_rate_num;     ///< the stream's average frame rate (avg_frame_rate), 0/0 when unknown
  int32_t avg_rate_den;
  int32_t real_rate_num;    ///< the stream's base frame rate (r_frame_rate)
  int32_t real_rate_den;
  int64_t duration_us;      ///< the stream's (or else the container's) duration in µs, -1 when unknown
  int64_t frame_count;      ///< frames in the stream by its header, 0 when unknown
  int32_t stream_index;     ///< the video stream chosen (the best by FFmpeg's ranking)
  int32_t stream_count;
  char format_name[64];     ///< demuxer, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  char codec_name[32];      ///< decoder, e.g. "h264"
} sieve_video_info;

/// Status codes.
enum {
  SIEVE_VIDEO_OK = 0,
  SIEVE_VIDEO_END = 1,               ///< no more frames
  SIEVE_VIDEO_ERROR = -1,            ///< FFmpeg reported an error; see the message
  SIEVE_VIDEO_NOT_VIDEO = -2,        ///< not a container Sieve reads, or no video stream
  SIEVE_VIDEO_NO_DECODER = -3,       ///< this FFmpeg has no decoder for the stream's codec
  SIEVE_VIDEO_NO_MEMORY = -4,
  SIEVE_VIDEO_TIMEOUT = -5,          ///< the deadline passed
  SIEVE_VIDEO_FRAME_TOO_LARGE = -6,  ///< the frame does not fit the RGB buffer given (see width, height)
  SIEVE_VIDEO_UNSEGMENTABLE = -7,    ///< the stream cannot be decoded in stretches; decode it in one pass
};

/// Opens the video in `data[0..<length]` (kept alive by the caller until
/// sieve_video_close). `deadline_ns`: CLOCK_MONOTONIC time after which every call
/// fails with SIEVE_VIDEO_TIMEOUT (0: none). `max_pixels`: the largest frame the decoder
/// may allocate (width × height). `threads`: decoder threads (frame and slice threading;
/// 0: FFmpeg's choice, one a core; 1: none). On failure returns the status and writes a
/// message.
int sieve_video_open_memory(const uint8_t *data, size_t length, int64_t deadline_ns, int64_t max_pixels, int threads,
                            sieve_video **out, char *message, size_t message_length);

/// The same, reading the file open read-only at `fd` (of `length` bytes) with pread; the
/// descriptor stays the caller's.
int sieve_video_open_fd(int fd, int64_t length, int64_t deadline_ns, int64_t max_pixels, int threads, sieve_video **out,
                        char *message, size_t message_length);

/// Reads up to `size` bytes at `offset` into `buffer`: the count read, 0 at the end, or
/// negative on an error.
typedef int64_t (*sieve_video_read_at)(void *context, int64_t offset, uint8_t *buffer, int64_t size);

/// The same, reading through `read_at` (called on the thread that decodes, with `context`;
/// a file inside a disk image, read through its file system).
int sieve_video_open_reader(sieve_video_read_at read_at, void *context, int64_t length, int64_t deadline_ns, int64_t max_pixels,
                            int threads, sieve_video **out, char *message, size_t message_length);

/// Fills `info`.
void sieve_video_info_get(const sieve_video *video, sieve_video_info *info);

/// Decodes the next frame, in the decoder's output order (the order vPDQ counts frames
/// in). When `rgb` is not NULL, converts the frame to packed RGB24 (rows of width × 3
/// bytes) at its own size, as vPDQ does (swscale, SWS_AREA, FFmpeg's default colour
/// matrix and range); a frame larger than `rgb_capacity` gives
/// SIEVE_VIDEO_FRAME_TOO_LARGE with its size in `width` and `height`, and the frame can be
/// asked for again with a larger buffer by sieve_video_convert_last.
/// Returns SIEVE_VIDEO_OK with a frame, SIEVE_VIDEO_END after the last, or an error.
/// Packets the decoder rejects are skipped and counted (sieve_video_bad_packets).
int sieve_video_next(sieve_video *video, uint8_t *rgb, size_t rgb_capacity, int32_t *width, int32_t *height,
                     int64_t *pts_us, char *message, size_t message_length);

/// Converts the frame last returned again (after SIEVE_VIDEO_FRAME_TOO_LARGE).
int sieve_video_convert_last(sieve_video *video, uint8_t *rgb, size_t rgb_capacity, char *message,
                             size_t message_length);

/// Packets the decoder rejected so far (corrupt data skipped).
int64_t sieve_video_bad_packets(const sieve_video *video);

/// Whether the demuxer stopped before the end of the data on an error (a damaged or
/// unreadable stretch) rather than at its end; writes its message.
int sieve_video_read_error(const sieve_video *video, char *message, size_t message_length);

/// Frees everything. NULL is allowed.
void sieve_video_close(sieve_video *video);

// MARK: Decoding in closed stretches

/// A closed stretch of the video stream: the packets from one clean key frame up to the
/// next, whose frames need nothing from any other stretch and come out after every frame
/// of the stretches before it. Frames are numbered as decoding the whole stream in one
/// pass numbers them (the decoder's output order, one frame a packet).
typedef struct sieve_video_gop sieve_video_gop;

/// A decoder of its own for stretches (one a thread; stretches of one video may be
/// decoded on several threads at once, each by its own decoder).
typedef struct sieve_video_decoder sieve_video_decoder;

/// Whether the stream can be cut into stretches: MP4/MOV or Matroska/WebM holding H.264,
/// HEVC or VP9. If not, writes why and returns 0. Call before any frame or
/// stretch is read; a video is read either in stretches or frame by frame, not both.
int sieve_video_segmentable(sieve_video *video, char *message, size_t message_length);

/// Reads the next stretch. Returns SIEVE_VIDEO_OK with one (free it with
/// sieve_video_gop_free), SIEVE_VIDEO_END after the last, SIEVE_VIDEO_UNSEGMENTABLE when
/// the stream turns out not to be cut cleanly or its frames not to be numbered safely by
/// their packets (a stretch too long to hold, a missing time, times out of the pictures'
/// order, field pictures, a packet showing no frame or two, parameter sets changing,
/// stretches overlapping in time: decode it in one pass from the start instead), or an
/// error. A damaged end is recorded as sieve_video_read_error says.
int sieve_video_next_gop(sieve_video *video, sieve_video_gop **out, char *message, size_t message_length);

/// Frames (packets) in the stretch, and the number of its first frame in the video.
int32_t sieve_video_gop_count(const sieve_video_gop *gop);
int64_t sieve_video_gop_base(const sieve_video_gop *gop);
void sieve_video_gop_free(sieve_video_gop *gop);

/// How many of the stretch's packets (in decoding order) must be decoded for its frames
/// numbered a multiple of `step` below `end` (0: none is wanted).
int32_t sieve_video_gop_packets_needed(const sieve_video_gop *gop, int64_t step, int64_t end);

/// Opens a decoder for the video's stream (`threads` as sieve_video_open_memory takes
/// them; the same frame-size limit).
int sieve_video_decoder_open(const sieve_video *video, int64_t max_pixels, int threads, sieve_video_decoder **out, char *message,
                             size_t message_length);

/// Starts decoding `gop` for the frames numbered a multiple of `step` below `end`,
/// decoding only as far as the last of them and without the pictures no other refers to
/// that are not wanted. Returns how many packets will be decoded (0: no frame of the
/// stretch is wanted), or a negative status. The stretch must outlive the decoding.
int sieve_video_decoder_begin(sieve_video_decoder *decoder, const sieve_video_gop *gop, int64_t step, int64_t end);

/// The next wanted frame of the stretch, converted to RGB as sieve_video_next converts,
/// with its number. Returns SIEVE_VIDEO_OK, SIEVE_VIDEO_END after the last,
/// SIEVE_VIDEO_UNSEGMENTABLE when any frame comes out damaged or other than the stretch's
/// timing says (decode the video in one pass instead), SIEVE_VIDEO_FRAME_TOO_LARGE (then
/// sieve_video_decoder_convert_last with a larger buffer), or an error.
int sieve_video_decoder_next(sieve_video_decoder *decoder, uint8_t *rgb, size_t rgb_capacity, int64_t *number,
                             int32_t *width, int32_t *height, char *message, size_t message_length);

int sieve_video_decoder_convert_last(sieve_video_decoder *decoder, uint8_t *rgb, size_t rgb_capacity, char *message,
                                     size_t message_length);

void sieve_video_decoder_close(sieve_video_decoder *decoder);

#endif
