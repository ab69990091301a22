import ArgumentParser
import SievePipeline

/// How the commands that take image paths walk them.
struct WalkOptions: ParsableArguments {
  @Flag(help: "Follow symbolic links found inside folders, when they lead to a file or folder inside the paths given (never out of them).")
  var followSymlinks = false

  /// Walks `paths` (raw bytes from the command line), writing `path: reason` for each
  /// path that cannot be walked.
  func walk(_ paths: [String], errors: LineWriter) -> (source: FolderEvidence, files: [InputFile], failures: Int) {
    var files: [InputFile] = []
    var failures = 0
    let source = FolderEvidence(CommandLineBytes.paths(for: paths), walker: FileWalker(followSymlinks: followSymlinks))
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
