import ArgumentParser
import SieveEvidence
import SievePipeline

/// How the commands that take image paths walk them.
struct WalkOptions: ParsableArguments {
  @Flag(help: "Follow symbolic links found inside folders, when they lead to a file or folder inside the paths given (never out of them).")
  var followSymlinks = false

  @Flag(help: "In disk images, also carve pictures (JPEG, PNG, GIF, BMP, WebP) out of unallocated space, or out of the whole image when it holds no file system Sieve reads. Contiguous pictures only; a carve that does not decode is dropped.")
  var carve = false

  @Option(help: ArgumentHelp("Open archives (zip, tar and its compressed forms, 7z, rar, a lone gzip, bzip2, xz or zstd stream) found in folders, disk images and other archives, down to this depth, and hash their members as files named ARCHIVE!/member. 0: archives are not opened.", valueName: "n"))
  var archiveDepth = 5

  @Option(help: ArgumentHelp("Stop reading an archive once it has expanded to this many bytes in all, nested archives included (an archive bomb; suffixes K, M, G); also stopped past 1,000 times its own size, and past 100,000 entries.", valueName: "size"))
  var archiveMaxBytes = ByteCount(ArchiveReader.Limits().maxExpandedBytes)

  /// How archives are opened; nil when they are not.
  var archiveLimits: ArchiveReader.Limits? {
    guard archiveDepth > 0 else { return nil }
    var limits = ArchiveReader.Limits()
    (limits.maxDepth, limits.maxExpandedBytes) = (archiveDepth, archiveMaxBytes.bytes)
    return limits
  }

  mutating func validate() throws {
    guard archiveDepth >= 0 else { throw ValidationError("--archive-depth must be 0 or more") }
    guard archiveMaxBytes.bytes > 0 else { throw ValidationError("--archive-max-bytes must be positive") }
  }

  /// Walks `paths` (raw bytes from the command line; folders, files and disk images),
  /// writing `path: reason` for each path that cannot be walked, and what a person should
  /// know about a disk image.
  func walk(_ paths: [String], errors: LineWriter) -> (source: EvidenceSet, files: [InputFile], failures: Int) {
    var files: [InputFile] = []
    var failures = 0
    let source = EvidenceSet(CommandLineBytes.paths(for: paths), walker: FileWalker(followSymlinks: followSymlinks), carve: carve, archives: archiveLimits)
    for note in source.notes { errors.write("note: \(note)") }
    source.walk { entry in
      switch entry {
      case .file(let file): files.append(file)
      case .failure(let path, let reason):
        failures += 1
        errors.write("\(path): \(reason)")
      case .special:
        break
      }
    }
    return (source, files, failures)
  }
}
