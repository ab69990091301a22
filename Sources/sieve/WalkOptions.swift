import ArgumentParser
import SievePipeline

/// How the commands that take image paths walk them.
struct WalkOptions: ParsableArguments {
  @Flag(help: "Follow symbolic links found inside folders.")
  var followSymlinks = false

  /// Walks `paths` (raw bytes from the command line), writing `path: reason` for each
  /// path that cannot be walked.
  func walk(_ paths: [String], errors: LineWriter) -> (files: [(path: RawPath, explicit: Bool)], failures: Int) {
    var files: [(path: RawPath, explicit: Bool)] = []
    var failures = 0
    FileWalker(followSymlinks: followSymlinks).walk(CommandLineBytes.paths(for: paths)) { entry in
      switch entry {
      case .file(let path, let explicit): files.append((path, explicit))
      case .failure(let path, let reason):
        failures += 1
        errors.write("\(path): \(reason)")
      case .special:
        break
      }
    }
    return (files, failures)
  }
}
