import Foundation
import SieveEvidence
import SievePipeline
import SieveTestSupport
import Testing

/// Archives made in the test with Python's zipfile and tarfile (and `zip -P` for an
/// encrypted member): members found with their bytes and names, nesting named
/// `outer!/inner!/member`, and every kind of bomb stopped with its reason.
@Suite struct ArchiveReaderTests {
  static let picture = TestData.repoRoot.appendingPathComponent("Tests/Fixtures/vectors/pdq/images/bridge-mods/square-128x128.jpg").path

  /// Runs a Python program (given the picture's path and an output folder).
  static func python(_ program: String, in dir: TemporaryDirectory) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", program, picture, dir.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
  }

  static func members(_ path: String, limits: ArchiveReader.Limits = .init()) throws -> (members: [ArchiveReader.Member], outcome: ContainerOutcome?) {
    var found: [ArchiveReader.Member] = []
    let outcome = ArchiveReader(limits: limits).read(try TestData.bytes(URL(fileURLWithPath: path))) { found.append($0) }
    return (found, outcome)
  }

  /// The member names down the tree of each file member.
  static func files(_ members: [ArchiveReader.Member]) -> [[String]: [UInt8]] {
    var files: [[String]: [UInt8]] = [:]
    for case .file(let entry, let bytes) in members { files[entry.names] = bytes }
    return files
  }

  @Test func membersAndNestedArchivesAreRead() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import io, sys, tarfile, zipfile
      pic = open(sys.argv[1], 'rb').read(); out = sys.argv[2]
      inner = io.BytesIO()
      with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z:
          z.writestr('DCIM/a.jpg', pic); z.writestr('notes.txt', b'benign notes')
      with tarfile.open(out + '/outer.tar.gz', 'w:gz') as t:
          d = tarfile.TarInfo('photos'); d.type = tarfile.DIRTYPE; t.addfile(d)
          for name, data in (('photos/b.jpg', pic + b'x'), ('inner.zip', inner.getvalue()), ('photos/b.jpg', b'second')):
              info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1500000000; t.addfile(info, io.BytesIO(data))
      """, in: dir)
    let picture = try TestData.bytes(URL(fileURLWithPath: Self.picture))
    let outer = try TestData.bytes(URL(fileURLWithPath: dir.path + "/outer.tar.gz"))
    let (members, outcome) = try Self.members(dir.path + "/outer.tar.gz")
    #expect(outcome == ContainerOutcome(format: "tar+gzip", members: 3))
    // Each archive after its members; entries counted from 0 with the directory.
    let steps = members.map { member -> [ArchiveMember.Step] in
      switch member {
      case .file(let e, _), .archive(let e, _, _), .encrypted(let e), .failure(let e, _), .link(let e, _): return e.steps
      }
    }
    #expect(steps == [
      [.init(name: "photos/b.jpg", entry: 1)],
      [.init(name: "inner.zip", entry: 2), .init(name: "DCIM/a.jpg", entry: 0)],
      [.init(name: "inner.zip", entry: 2), .init(name: "notes.txt", entry: 1)],
      [.init(name: "inner.zip", entry: 2)],
      [.init(name: "photos/b.jpg", entry: 3)],
    ])
    if case .archive(let entry, _, let inner) = members[3] {
      #expect(inner == ContainerOutcome(format: "zip", members: 2))
      #expect(entry.modified == 1_500_000_000)
    } else {
      Issue.record("\(members[3])")
    }
    if case .file(let entry, let bytes) = members[0] {
      #expect(bytes == picture + Array("x".utf8) && entry.size == bytes.count && entry.modified == 1_500_000_000)
    }
    if case .file(_, let bytes) = members[1] { #expect(bytes == picture) }
    if case .file(_, let bytes) = members[4] { #expect(bytes == Array("second".utf8)) }
    // Read again by their steps: the same bytes, the right one of two equal names.
    let reader = ArchiveReader()
    #expect(try reader.extract(outer, steps: steps[1][...]) == picture)
    #expect(try reader.extract(outer, steps: steps[4][...]) == Array("second".utf8))
    #expect(try reader.extract(outer, steps: steps[0][...]) == picture + Array("x".utf8))
    #expect(throws: ArchiveReader.ExtractionError.self) {
      try reader.extract(outer, steps: [ArchiveMember.Step(name: "other.jpg", entry: 1)][...])
    }
    #expect(throws: ArchiveReader.ExtractionError.self) {
      try reader.extract(outer, steps: [ArchiveMember.Step(name: "photos/b.jpg", entry: 9)][...])
    }
    #expect(ArchiveReader.looksLikeArchive(outer))
    #expect(!ArchiveReader.looksLikeArchive(picture))
    #expect(ArchiveReader().read(picture) { _ in } == nil)
  }

  /// A lone compressed stream is opened (its one member named `data`); bytes that only
  /// start like an archive are reported as unreadable, not guessed at.
  @Test func loneStreamsAndImpostors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import gzip, sys
      pic = open(sys.argv[1], 'rb').read(); out = sys.argv[2]
      open(out + '/photo.jpg.gz', 'wb').write(gzip.compress(pic))
      open(out + '/fake.zip', 'wb').write(b'PK\\x03\\x04' + bytes(range(256)) * 4)
      """, in: dir)
    let picture = try TestData.bytes(URL(fileURLWithPath: Self.picture))
    let (members, outcome) = try Self.members(dir.path + "/photo.jpg.gz")
    #expect(outcome == ContainerOutcome(format: "compressed+gzip", members: 1))
    #expect(Self.files(members) == [["data"]: picture])
    let fake = try Self.members(dir.path + "/fake.zip")
    #expect(fake.members.isEmpty)
    #expect(fake.outcome?.problem?.contains("cannot be read as an archive") == true, "\(String(describing: fake.outcome))")
  }

  /// Ten zips each holding the next: opened down to the limit, the rest reported.
  @Test func deepNestingStopsAtTheLimit() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import io, sys, zipfile
      data, name = open(sys.argv[1], 'rb').read(), 'photo.jpg'
      for level in range(10, 0, -1):
          buffer = io.BytesIO()
          with zipfile.ZipFile(buffer, 'w') as z: z.writestr(name, data)
          data, name = buffer.getvalue(), 'level%d.zip' % level
      open(sys.argv[2] + '/nested.zip', 'wb').write(data)
      """, in: dir)
    let (members, outcome) = try Self.members(dir.path + "/nested.zip")
    #expect(outcome == ContainerOutcome(format: "zip", members: 1))
    // level2.zip … level5.zip opened (depths 2 to 5), level6.zip recorded unopened.
    #expect(members.count == 5, "\(members.count)")
    if case .archive(let entry, _, let inner) = members.first {
      #expect(entry.names == ["level2.zip", "level3.zip", "level4.zip", "level5.zip", "level6.zip"])
      #expect(inner.problem?.contains("nested deeper than 5") == true)
    } else {
      Issue.record("\(String(describing: members.first))")
    }
    #expect(Self.files(members).isEmpty)
  }

  /// 200 MB of zeros in a 200 KB zip: stopped once it expands more than 1,000 times;
  /// a tree of more members than allowed: stopped; an encrypted member: reported, not read.
  @Test func bombsAndEncryptionAreReported() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import sys, zipfile
      out = sys.argv[2]
      with zipfile.ZipFile(out + '/bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
          z.writestr('zeros.bin', bytes(200 << 20))
      with zipfile.ZipFile(out + '/many.zip', 'w') as z:
          for i in range(150): z.writestr('f%03d.txt' % i, b'x')
      """, in: dir)
    let bomb = try Self.members(dir.path + "/bomb.zip")
    #expect(bomb.members.count == 1)
    if case .failure(let entry, let reason) = bomb.members.first {
      #expect(entry.names == ["zeros.bin"] && reason.contains("expands more than 1000 times"))
    } else {
      Issue.record("\(bomb)")
    }
    #expect(bomb.outcome?.problem?.contains("expands more than 1000 times") == true)
    var few = ArchiveReader.Limits()
    few.maxMembers = 100
    let many = try Self.members(dir.path + "/many.zip", limits: few)
    #expect(Self.files(many.members).count == 100)
    #expect(many.outcome?.problem?.contains("more than 100 entries") == true)
    var small = ArchiveReader.Limits()
    small.maxExpandedBytes = 50
    let capped = try Self.members(dir.path + "/many.zip", limits: small)
    #expect(Self.files(capped.members).count == 50)
    #expect(capped.outcome?.problem?.contains("expands past 50 bytes") == true)

    let zip = Process()
    zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    zip.arguments = ["zip", "-q", "-j", "-P", "secret", dir.path + "/locked.zip", Self.picture]
    try zip.run()
    zip.waitUntilExit()
    #expect(zip.terminationStatus == 0)
    let locked = try Self.members(dir.path + "/locked.zip")
    #expect(locked.outcome == ContainerOutcome(format: "zip", members: 1))
    if case .encrypted(let entry) = locked.members.first, locked.members.count == 1 {
      #expect(entry.names == ["square-128x128.jpg"])
    } else {
      Issue.record("\(locked.members)")
    }
  }

  /// Every format the issue names, made by its own tools: tar with bzip2, xz and zstd
  /// (Python's tarfile, bsdtar), 7z (bsdtar), rar (a stored RAR 4 archive written here:
  /// no free tool writes RAR), zip.
  @Test func everyFormatIsRead() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import io, os, shutil, struct, subprocess, sys, tarfile, zipfile, zlib
      pic = open(sys.argv[1], 'rb').read(); out = sys.argv[2]
      os.makedirs(out + '/tree/DCIM'); open(out + '/tree/DCIM/a.jpg', 'wb').write(pic)
      open(out + '/tree/b.txt', 'wb').write(b'benign')
      for mode, name in (('w:bz2', 'x.tar.bz2'), ('w:xz', 'x.tar.xz')):
          with tarfile.open(out + '/' + name, mode) as t: t.add(out + '/tree/DCIM/a.jpg', 'DCIM/a.jpg'); t.add(out + '/tree/b.txt', 'b.txt')
      for args, name in ((['--zstd', '-cf'], 'x.tar.zst'), (['--format', '7zip', '-cf'], 'x.7z'), (['--format', 'zip', '-cf'], 'x.zip')):
          subprocess.run(['bsdtar'] + args + [out + '/' + name, '-C', out + '/tree', 'DCIM/a.jpg', 'b.txt'], check=True)
      def block(kind, flags, body):
          rest = struct.pack('<BHH', kind, flags, 7 + len(body)) + body
          return struct.pack('<H', zlib.crc32(rest) & 0xFFFF) + rest
      rar = b'Rar!\\x1a\\x07\\x00' + block(0x73, 0, struct.pack('<HI', 0, 0))
      for name, data in (('DCIM/a.jpg', pic), ('b.txt', b'benign')):
          dos = (40 << 25) | (1 << 21) | (2 << 16) | (3 << 11) | (4 << 5) | 3
          body = struct.pack('<IIBIIBBHI', len(data), len(data), 3, zlib.crc32(data), dos, 20, 0x30, len(name), 0o100644) + name.encode()
          rar += block(0x74, 0x8000, body) + data
      open(out + '/x.rar', 'wb').write(rar + block(0x7B, 0x4000, b''))
      """, in: dir)
    let picture = try TestData.bytes(URL(fileURLWithPath: Self.picture))
    let formats = ["x.tar.bz2": "tar+bzip2", "x.tar.xz": "tar+xz", "x.tar.zst": "tar+zstd", "x.7z": "7z", "x.rar": "rar", "x.zip": "zip"]
    for (name, format) in formats {
      let (members, outcome) = try Self.members(dir.path + "/" + name)
      #expect(outcome == ContainerOutcome(format: format, members: 2), "\(name)")
      #expect(Self.files(members) == [["DCIM/a.jpg"]: picture, ["b.txt"]: Array("benign".utf8)], "\(name)")
      // Read where it lies (an archive too large to hold), in reads of at most 100 bytes
      // and seeking where the format needs (7z, zip): the same members and outcome.
      let bytes = try TestData.bytes(URL(fileURLWithPath: dir.path + "/" + name))
      var streamed: [ArchiveReader.Member] = []
      let streamedOutcome = ArchiveReader().read(size: bytes.count, readAt: { offset, buffer in
        let n = min(100, buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        return n
      }) { streamed.append($0) }
      #expect(streamedOutcome == outcome && streamed == members, "\(name) streamed")
    }
    // A read that fails part-way: the reason is kept.
    let zip = try TestData.bytes(URL(fileURLWithPath: dir.path + "/x.zip"))
    struct Unreadable: Error, CustomStringConvertible { var description: String { "sector 9 unreadable" } }
    let failed = ArchiveReader().read(size: zip.count, readAt: { offset, buffer in
      guard offset < 600 else { throw Unreadable() }
      let n = min(buffer.count, 600 - offset)
      zip.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
      return n
    }) { _ in }
    #expect(failed?.problem?.contains("sector 9 unreadable") == true, "\(String(describing: failed))")
  }

  /// A zip's mode bits can call a member a directory, a device or a link while it holds a
  /// picture (libarchive then gives none of its bytes, or gives them as a link's target):
  /// reported, not left out silently. A real link is recorded with its target.
  @Test func membersDisguisedByTheirModeAreReported() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import io, sys, tarfile, zipfile
      pic = open(sys.argv[1], 'rb').read()
      with zipfile.ZipFile(sys.argv[2] + '/modes.zip', 'w') as z:
          for name, mode in (('chr.jpg', 0o020644), ('dir.jpg', 0o040755), ('link.jpg', 0o120777), ('reg.jpg', 0o100644)):
              info = zipfile.ZipInfo(name); info.external_attr = mode << 16; info.create_system = 3; z.writestr(info, pic)
      with tarfile.open(sys.argv[2] + '/links.tar', 'w') as t:
          info = tarfile.TarInfo('photo.jpg'); info.size = len(pic); t.addfile(info, io.BytesIO(pic))
          info = tarfile.TarInfo('latest.jpg'); info.type = tarfile.SYMTYPE; info.linkname = 'photo.jpg'; t.addfile(info)
      """, in: dir)
    let (members, outcome) = try Self.members(dir.path + "/modes.zip")
    #expect(outcome?.members == 4)
    #expect(Array(Self.files(members).keys) == [["reg.jpg"]])
    let reported = members.compactMap { member -> String? in
      if case .failure(let entry, let reason) = member { return "\(entry.names[0]): \(reason)" } else { return nil }
    }
    #expect(reported.count == 3, "\(reported)")
    #expect(reported.filter { $0.contains("claims 7528 bytes") }.count == 2, "\(reported)")
    #expect(reported.contains { $0.hasPrefix("link.jpg: a symbolic link whose target is not a path") && $0.contains("starting ff d8 ff") })
    let links = try Self.members(dir.path + "/links.tar").members
    #expect(links.contains { if case .link(let entry, let target) = $0 { entry.names == ["latest.jpg"] && target == "photo.jpg" } else { false } })
  }

  /// Names kept as the archive stores them: a zip's UTF-8 names (lost in the C locale
  /// unless Sieve sets a UTF-8 one), a tar's Latin-1 names as their bytes (two that differ
  /// only there stay two).
  @Test func namesAreKeptByteForByte() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import io, sys, tarfile, zipfile
      pic = open(sys.argv[1], 'rb').read()
      with zipfile.ZipFile(sys.argv[2] + '/utf8.zip', 'w') as z:
          z.writestr('café.jpg', pic); z.writestr('日本/写真.jpg', pic)
      with tarfile.open(sys.argv[2] + '/latin1.tar', 'w', format=tarfile.GNU_FORMAT, encoding='latin-1') as t:
          for name in ('caf\\xe9.jpg', 'caf\\xe8.jpg'):
              info = tarfile.TarInfo(name); info.size = len(pic); t.addfile(info, io.BytesIO(pic))
      """, in: dir)
    let utf8 = try Self.members(dir.path + "/utf8.zip").members
    #expect(Set(Self.files(utf8).keys) == [["café.jpg"], ["日本/写真.jpg"]])
    let latin1 = try Self.members(dir.path + "/latin1.tar").members
    #expect(Set(Self.files(latin1).keys) == [["caf\\xe9.jpg"], ["caf\\xe8.jpg"]])
    if case .file(let entry, _) = latin1.first { #expect(entry.rawNames == [Array("caf".utf8) + [0xE9] + Array(".jpg".utf8)]) }
  }

  /// Bytes libarchive would expand only to pass over them count toward the limits: a
  /// directory entry claiming 8 GiB in a small tar.bz2 stops at once (it took libarchive
  /// minutes to pass over), and a member over the member limit is expanded to its end
  /// within the ratio limit, not past it.
  @Test func bytesPassedOverCountTowardTheLimits() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.python(
      """
      import bz2, io, sys, tarfile, zipfile
      pic = open(sys.argv[1], 'rb').read(); out = sys.argv[2]
      claim = tarfile.TarInfo('d'); claim.type = tarfile.DIRTYPE; claim.size = 8 << 30
      after = tarfile.TarInfo('after.jpg'); after.size = len(pic)
      tail = after.tobuf(format=tarfile.PAX_FORMAT) + pic + bytes((512 - len(pic) % 512) % 512) + bytes(1024)
      zeros = bz2.BZ2Compressor(9); block = zeros.compress(bytes(64 << 20)) + zeros.flush()
      open(out + '/claim.tar.bz2', 'wb').write(bz2.compress(claim.tobuf(format=tarfile.PAX_FORMAT)) + block * 128 + bz2.compress(tail))
      with zipfile.ZipFile(out + '/big.zip', 'w', zipfile.ZIP_DEFLATED) as z:
          z.writestr('big.bin', bytes(300 << 20)); z.writestr('after.jpg', pic)
      """, in: dir)
    let claim = try Self.members(dir.path + "/claim.tar.bz2")
    #expect(claim.outcome?.problem?.contains("expands past") == true, "\(String(describing: claim.outcome))")
    var small = ArchiveReader.Limits()
    small.maxMemberBytes = 1 << 20
    let big = try Self.members(dir.path + "/big.zip", limits: small)
    // 300 MiB of zeros deflate to 300 KB: the ratio limit (1,000×) stops the member.
    #expect(big.outcome?.problem?.contains("expands more than 1000 times") == true, "\(String(describing: big.outcome))")
    small.maxRatio = 10_000
    let drained = try Self.members(dir.path + "/big.zip", limits: small)
    #expect(drained.outcome?.problem == nil)
    #expect(drained.members.contains { if case .failure(let e, let reason) = $0 { e.names == ["big.bin"] && reason.contains("over 1048576 bytes") } else { false } })
    #expect(Self.files(drained.members).keys.contains(["after.jpg"]))
  }
}
