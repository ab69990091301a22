import CEWF
import SieveCore
import SievePipeline
import SieveSystem

/// The MD5 an EWF (`.E01`) image stored when it was acquired, read with libewf: what the
/// media read back must digest to.
enum EWFStoredHash {
  /// The stored MD5 (hex) of the image whose first segment is `path`; nil when the
  /// image stores none or cannot be read by libewf (TSK then says why, if it cannot
  /// either).
  static func md5(_ path: RawPath) -> String? {
    guard (try? OnDemandLibrary.ewf.load()) != nil else { return nil }
    var error: UnsafeMutablePointer<libewf_error_t>?
    defer { if error != nil { libewf_error_free(&error) } }
    var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    var count: Int32 = 0
    let globbed = path.withCString { name in
      libewf_glob(name, path.bytes.count, UInt8(LIBEWF_FORMAT_UNKNOWN.rawValue), &names, &count, &error)
    }
    guard globbed == 1, let names, count > 0 else { return nil }
    defer { libewf_glob_free(names, count, nil) }
    var handle: UnsafeMutablePointer<libewf_handle_t>?
    guard libewf_handle_initialize(&handle, &error) == 1, handle != nil else { return nil }
    defer { libewf_handle_free(&handle, nil) }
    guard libewf_handle_open(handle, names, count, libewf_get_access_flags_read(), &error) == 1 else { return nil }
    defer { libewf_handle_close(handle, nil) }
    var digest = [UInt8](repeating: 0, count: 16)
    guard libewf_handle_get_md5_hash(handle, &digest, 16, &error) == 1 else { return nil }
    return Hex.string(digest)
  }
}
