/// The picture size an H.265 sequence parameter set declares: what libde265 allocates for
/// every picture that refers to it, whatever the HEIF container says around it.
enum HEVCParameterSet {
  /// The NAL unit type of a sequence parameter set.
  static let sequenceParameterSetType: UInt8 = 33

  /// The type of the NAL unit whose two-byte header starts with `byte` (H.265 7.3.1.2).
  static func nalUnitType(_ byte: UInt8) -> UInt8 { (byte >> 1) & 0x3F }

  /// pic_width_in_luma_samples and pic_height_in_luma_samples of an SPS NAL unit (H.265
  /// 7.3.2.2), given with its two-byte header; emulation-prevention bytes are removed.
  /// Nil when the unit is too short or a size is zero.
  static func pictureSize(ofSPS nal: some Collection<UInt8>) -> HEIFCodedPictures.Size? {
    guard nal.count > 2 else { return nil }
    var rbsp: [UInt8] = []
    rbsp.reserveCapacity(min(nal.count, 256))
    var zeros = 0
    for byte in nal.dropFirst(2).prefix(256) {
      if zeros >= 2 && byte == 3 {
        zeros = 0
        continue
      }
      zeros = byte == 0 ? zeros + 1 : 0
      rbsp.append(byte)
    }
    var bits = BitReader(rbsp)
    bits.read(4)  // sps_video_parameter_set_id
    let subLayers = bits.read(3)  // sps_max_sub_layers_minus1
    bits.read(1)
    // profile_tier_level(1, sps_max_sub_layers_minus1)
    bits.read(88)
    bits.read(8)
    var profilePresent: [Bool] = []
    var levelPresent: [Bool] = []
    for _ in 0..<subLayers {
      profilePresent.append(bits.read(1) == 1)
      levelPresent.append(bits.read(1) == 1)
    }
    if subLayers > 0 { for _ in subLayers..<8 { bits.read(2) } }
    for i in 0..<subLayers {
      if profilePresent[i] { bits.read(88) }
      if levelPresent[i] { bits.read(8) }
    }
    _ = bits.readExpGolomb()  // sps_seq_parameter_set_id
    let chroma = bits.readExpGolomb()
    if chroma == 3 { bits.read(1) }
    guard let width = bits.readExpGolomb(), let height = bits.readExpGolomb(), !bits.overrun, width > 0, height > 0 else {
      return nil
    }
    return HEIFCodedPictures.Size(width: width, height: height)
  }
}
