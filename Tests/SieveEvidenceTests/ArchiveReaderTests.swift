import Foundation
import SieveEvidence
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

  static func members(_ path: String, limits: ArchiveReader.Limits = .init()) throws -> [ArchiveReader.Member] {
    var found: [ArchiveReader.Member] = []
    ArchiveReader(limits: limits).read(try TestData.bytes(URL(fileURLWithPath: path)), name: (path as NSString).lastPathComponent) {
      found.append($0)
    }
    return found
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
          for name, data in (('photos/b.jpg', pic + b'x'), ('inner.zip', inner.getvalue())):
              info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
      """, in: dir)
    let picture = try TestData.bytes(URL(fileURLWithPath: Self.picture))
    let members = try Self.members(dir.path + "/outer.tar.gz")
    #expect(members == [
      .file(path: ["outer.tar.gz", "photos/b.jpg"], bytes: picture + Array("x".utf8)),
      .file(path: ["outer.tar.gz", "inner.zip", "DCIM/a.jpg"], bytes: picture),
      .file(path: ["outer.tar.gz", "inner.zip", "notes.txt"], bytes: Array("benign notes".utf8)),
    ])
    #expect(ArchiveReader.looksLikeArchive(Array(try TestData.bytes(URL(fileURLWithPath: dir.path + "/outer.tar.gz")).prefix(512))))
    #expect(!ArchiveReader.looksLikeArchive(Array(picture.prefix(512))))
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
    let members = try Self.members(dir.path + "/nested.zip")
    #expect(members.contains { if case .failure(let path, let reason) = $0 { return path.count == 6 && reason.contains("nested deeper than 5") } else { return false } },
      "\(members)")
    #expect(!members.contains { if case .file(let path, _) = $0 { return path.last == "photo.jpg" } else { return false } })
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
    #expect(bomb.count == 1)
    if case .failure(_, let reason) = bomb.first { #expect(reason.contains("expands more than 1000 times")) } else { Issue.record("\(bomb)") }
    var few = ArchiveReader.Limits()
    few.maxMembers = 100
    let many = try Self.members(dir.path + "/many.zip", limits: few)
    #expect(many.filter { if case .file = $0 { return true } else { return false } }.count == 100)
    #expect(many.last.map { if case .failure(_, let reason) = $0 { return reason.contains("more than 100 members") } else { return false } } == true)

    let zip = Process()
    zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    zip.arguments = ["zip", "-q", "-j", "-P", "secret", dir.path + "/locked.zip", Self.picture]
    try zip.run()
    zip.waitUntilExit()
    #expect(zip.terminationStatus == 0)
    #expect(try Self.members(dir.path + "/locked.zip") == [.encrypted(path: ["locked.zip", "square-128x128.jpg"])])
  }
}
