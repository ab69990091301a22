import SieveCore

/// A fast 64-bit checksum of a byte buffer (four independent multiply-xor lanes over
/// 8-byte words, then the tail), for spotting damaged or altered hash-set files. It is
/// not cryptographic: it detects accidents, not forgery.
enum Checksum64 {
  static let prime1: UInt64 = 0x9E37_79B9_7F4A_7C15
  static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

  @inline(__always)
  static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
    var x = (h ^ w) &* prime1
    x ^= x >> 31
    return x &* prime2
  }

  /// The checksum of `bytes` (``Stream`` given them at once).
  /// Read in chunks, with ``Pacing/step()`` between them (a service's reload).
  static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var stream = Stream()
    var offset = 0
    repeat {
      let n = min(Pacing.chunkBytes, bytes.count - offset)
      stream.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
      offset += n
      Pacing.step()
    } while offset < bytes.count
    return stream.finalize()
  }
}

extension Checksum64 {
  /// The checksum of bytes given in any number of pieces (a binary set's payload as it is
  /// written): four lanes over 32-byte blocks, then the whole words and the tail left.
  struct Stream {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (1, 2, 3, 4)
    /// The bytes of an unfinished 32-byte block (fewer than 32).
    private var pending: [UInt8] = []
    private var length = 0

    private mutating func block(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
      lanes.0 = mix(lanes.0, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
      lanes.1 = mix(lanes.1, bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
      lanes.2 = mix(lanes.2, bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
      lanes.3 = mix(lanes.3, bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
      length += bytes.count
      var offset = 0
      if !pending.isEmpty {
        let take = min(32 - pending.count, bytes.count)
        pending += bytes[0..<take]
        offset = take
        guard pending.count == 32 else { return }
        pending.withUnsafeBytes { block($0, at: 0) }
        pending.removeAll(keepingCapacity: true)
      }
      while bytes.count - offset >= 32 {
        block(bytes, at: offset)
        offset += 32
      }
      pending += bytes[offset...]
    }

    /// The lanes joined, the whole words left, then the tail's bytes (the first most
    /// significant) and the length.
    func finalize() -> UInt64 {
      var h = mix(mix(mix(lanes.0, lanes.1), lanes.2), lanes.3)
      let words = pending.count / 8
      pending.withUnsafeBytes { bytes in
        for i in 0..<words { h = mix(h, bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
      }
      var tail: UInt64 = 0
      for byte in pending[(words * 8)...] { tail = tail << 8 | UInt64(byte) }
      return mix(mix(h, tail), UInt64(length))
    }
  }
}

/// ``Checksum64``'s mixing over a stream of bytes in any chunks: the same bytes give the
/// same value however they were split by the reads (a text set's version). One lane, as
/// it has always been: the value is a set's version, which negative lists and reports
/// name, so it never changes for the same bytes (a test pins it).
struct StreamingChecksum64 {
  private var state: UInt64 = 0x5349_4556_4554_5854  // "SIEVETXT"
  private var pending: [UInt8] = []
  private var length: UInt64 = 0

  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    length &+= UInt64(bytes.count)
    var offset = 0
    if !pending.isEmpty {
      let take = min(8 - pending.count, bytes.count)
      pending += bytes[0..<take]
      offset = take
      guard pending.count == 8 else { return }
      state = Checksum64.mix(state, pending.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
      pending.removeAll(keepingCapacity: true)
    }
    while offset + 8 <= bytes.count {
      state = Checksum64.mix(state, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
      offset += 8
    }
    pending += bytes[offset...]
  }

  func finalize() -> UInt64 {
    var tail: UInt64 = 0
    for (i, byte) in pending.enumerated() { tail |= UInt64(byte) << (8 * UInt64(i)) }
    return Checksum64.mix(Checksum64.mix(state, tail), length)
  }
}
