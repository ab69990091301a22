import ArgumentParser

/// How results are written.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  /// Aligned columns for a person: hash, quality, pHash, size, format, mode, path.
  case text
  /// RFC 4180 CSV with a header row whose first two columns are `path,pdq`.
  case csv
  /// One JSON object per line.
  case jsonl
}
