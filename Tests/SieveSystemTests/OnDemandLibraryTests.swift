#if canImport(Glibc)
  import Glibc
#endif
import CLibraryLoader
import Foundation
import SieveSystem
import SieveTestSupport
import Testing

/// The libraries loaded at first use: each loads where its Debian package is installed
/// (.ci/run installs them all), and a missing one is an error that says what to install.
@Suite struct OnDemandLibraryTests {
  @Test(arguments: OnDemandLibrary.allCases)
  func loadsOnceAndStaysLoaded(library: OnDemandLibrary) throws {
    try library.load()
    #expect(library.isLoaded)
    try library.load()
    #expect(library.isLoaded)
  }

  /// CLibraryLoader's forwarders are what Scripts/generate_library_forwarders.py makes of
  /// the Swift sources and the installed headers today: a function newly called from Swift,
  /// or a soname Debian bumped, fails here with the command that mends it.
  @Test func forwardersAreUpToDate() throws {
    let result = try CommandRunner.run(
      "/usr/bin/env", ["python3", "Scripts/generate_library_forwarders.py", "--check"], in: TestData.repoRoot.path)
    #expect(result.status == 0, "\(result.stderr)")
  }

  /// The loader's own words when the file is missing, and when a function is.
  @Test func aMissingLibraryOrFunctionNamesThePackage() {
    func resolve(_ soname: String, _ names: [String]) -> (Bool, String, [UnsafeMutableRawPointer?]) {
      var functions = [UnsafeMutableRawPointer?](repeating: nil, count: names.count)
      var error = [CChar](repeating: 0, count: 512)
      let cNames = names.map { strdup($0)! }
      defer { cNames.forEach { free($0) } }
      let constNames = cNames.map { UnsafePointer($0) }
      let ok = constNames.withUnsafeBufferPointer { namesBuffer in
        functions.withUnsafeMutableBufferPointer { functionsBuffer in
          sieve_library_resolve(
            soname, "libexample9", "to read examples", namesBuffer.baseAddress!, Int32(names.count), functionsBuffer.baseAddress!,
            &error, error.count)
        }
      }
      return (ok == 1, String(cString: error), functions)
    }

    let (loaded, message, _) = resolve("libsieve-no-such-library.so.9", ["example_open"])
    #expect(!loaded)
    #expect(message.hasPrefix("libsieve-no-such-library.so.9 cannot be loaded ("))
    #expect(message.hasSuffix("install Debian's package libexample9 to read examples"))

    let (found, lacking, _) = resolve("libarchive.so.13", ["archive_read_new", "archive_no_such_function"])
    #expect(!found)
    #expect(lacking.contains("libarchive.so.13 lacks the function archive_no_such_function"))

    let (resolved, none, functions) = resolve("libarchive.so.13", ["archive_read_new", "archive_read_free"])
    #expect(resolved && none.isEmpty)
    #expect(functions.allSatisfy { $0 != nil })
  }
}
