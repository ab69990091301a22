import SieveImaging

/// Sieve's version, and the codec libraries it decodes with: recorded with every scan run
/// and shown by `sieve --version`, since golden hash values depend on the JPEG decoder.
public enum ToolVersion {
  /// The release, e.g. `"0.1.0"`.
  public static let number = "0.1.0"

  /// `"sieve 0.1.0 (libjpeg-turbo 2.1.5 (API 62), libpng 1.6.39, …)"`.
  public static var description: String {
    "sieve \(number) (\(ImageDecoder.codecVersions.joined(separator: ", ")))"
  }
}
