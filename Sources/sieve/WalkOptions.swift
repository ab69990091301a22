import ArgumentParser
import SieveEvidence
import SievePipeline

/// How the commands that take image paths walk them.
struct WalkOptions: ParsableArguments {
  @Flag(help: "Follow symbolic links found inside folders, when they lead to a file or folder inside the paths given (never out of them).")
  var followSymlinks = false

  @Flag(help: "In disk images, also carve pictures (JPEG, PNG, GIF, BMP, WebP) out of unallocated space, or out of the whole image when it holds no file system Sieve reads. Contiguous pictures only; a carve that does not decode is dropped.")
  var carve = false

  /// Walks `paths` (raw bytes from the command line; folders, files and disk images),
  /// writing `path: reason` for each path that cannot be walked, and what a person should
  /// know about a disk image.
  func walk(_ paths: [String], errors: LineWriter) -> (source: EvidenceSet, files: [InputFile], failures: Int) {
    var files: [InputFile] = []
    var failures = 0
    let source = EvidenceSet(CommandLineBytes.paths(for: paths), walker: FileWalker(followSymlinks: followSymlinks), carve: carve)
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
