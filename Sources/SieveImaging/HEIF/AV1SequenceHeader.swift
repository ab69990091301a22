/// The largest frame an AV1 sequence header allows: what dav1d (or libaom) may allocate
/// for any frame of the sequence, whatever the AVIF container says around it.
enum AV1SequenceHeader {
  /// The OBU type of a sequence header.
  static let obuType = 1
  /// The OBU types of a frame header and of a frame (header and tiles together).
  static let frameHeaderOBUType = 3
  static let frameOBUType = 6

  /// What a sequence header says: the largest frame, and the layers a decoder decodes.
  struct Fields: Equatable {
    /// max_frame_width_minus_1 + 1 and max_frame_height_minus_1 + 1.
    var maxFrame: HEIFCodedPictures.Size
    /// operating_point_idc[0]: the temporal (bits 0–7) and spatial (bits 8–11) layers
    /// that dav1d decodes by default; 0 for all of them.
    var operatingPoint: Int
  }

  /// The fields of a sequence header OBU's payload (AV1 5.5.1), or nil when it is cut short.
  static func parse(_ payload: some Collection<UInt8>) -> Fields? {
    var bits = BitReader(Array(payload.prefix(512)))
    var operatingPoint = 0
    bits.read(3)  // seq_profile
    bits.read(1)  // still_picture
    if bits.read(1) == 1 {  // reduced_still_picture_header
      bits.read(5)  // seq_level_idx[0]
    } else {
      var bufferDelayLength = 0
      var decoderModelInfoPresent = false
      if bits.read(1) == 1 {  // timing_info_present_flag
        bits.read(32)  // num_units_in_display_tick
        bits.read(32)  // time_scale
        if bits.read(1) == 1 {  // equal_picture_interval
          guard readUVLC(&bits) else { return nil }  // num_ticks_per_picture_minus_1
        }
        decoderModelInfoPresent = bits.read(1) == 1
        if decoderModelInfoPresent {
          bufferDelayLength = bits.read(5) + 1
          bits.read(32)  // num_units_in_decoding_tick
          bits.read(5)  // buffer_removal_time_length_minus_1
          bits.read(5)  // frame_presentation_time_length_minus_1
        }
      }
      let initialDisplayDelayPresent = bits.read(1) == 1
      let operatingPoints = bits.read(5) + 1
      for i in 0..<operatingPoints {
        let idc = bits.read(12)  // operating_point_idc
        if i == 0 { operatingPoint = idc }
        if bits.read(5) > 7 { bits.read(1) }  // seq_level_idx, seq_tier
        if decoderModelInfoPresent, bits.read(1) == 1 {  // decoder_model_present_for_this_op
          bits.read(bufferDelayLength)  // decoder_buffer_delay
          bits.read(bufferDelayLength)  // encoder_buffer_delay
          bits.read(1)  // low_delay_mode_flag
        }
        if initialDisplayDelayPresent, bits.read(1) == 1 { bits.read(4) }
      }
    }
    let widthBits = bits.read(4) + 1
    let heightBits = bits.read(4) + 1
    let width = bits.read(widthBits) + 1
    let height = bits.read(heightBits) + 1
    guard !bits.overrun else { return nil }
    return Fields(maxFrame: HEIFCodedPictures.Size(width: width, height: height), operatingPoint: operatingPoint)
  }

  /// Whether an OBU with this extension byte (temporal_id, spatial_id) is in the layers
  /// of `operatingPoint`, so that dav1d decodes it.
  static func isDecoded(extension byte: UInt8, operatingPoint: Int) -> Bool {
    guard operatingPoint != 0 else { return true }
    let temporal = Int(byte >> 5)
    let spatial = Int(byte >> 3) & 3
    return (operatingPoint >> temporal) & 1 == 1 && (operatingPoint >> (spatial + 8)) & 1 == 1
  }

  /// Skips a uvlc() (AV1 4.10.3): leading zeros up to a one, then as many bits when
  /// there were fewer than 32.
  private static func readUVLC(_ bits: inout BitReader) -> Bool {
    var zeros = 0
    while bits.bit() == 0 {
      zeros += 1
      if bits.overrun { return false }
    }
    if zeros < 32 { bits.read(zeros) }
    return !bits.overrun
  }
}
