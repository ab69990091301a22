import SieveCore

/// Writes a hash set as text, in the formats other tools read. An augmented set's variant
/// hashes are Sieve's own and stay in the binary set: text carries each image's own hashes.
public enum HashSetWriter {
  /// Text formats for export.
  public enum Format: String, Sendable, CaseIterable {
    /// `id,label,pdq,pdq_quality,phash,md5,sha1,sha256` with a header (reads back losslessly, variants aside).
    case csv
    /// One hex value of one kind per line.
    case plain
    /// The PDQ reference CLI's `hash,quality,filename`.
    case pdqCLI = "pdq-cli"
    /// ThreatExchange-style `signal_type,signal_str,collab,category,tags` (PDQ and MD5).
    case threatExchange = "threatexchange"
    /// Videos' vPDQ features: per video a `# ID` line, then `frame,quality,hash,timestamp`
    /// lines (each block is a file vPDQ's tools read).
    case vpdq
  }

  /// Calls `emit` with each output line.
  ///
  /// - Parameter kind: the kind for ``Format/plain`` (required there).
  public static func write(_ set: HashSet, format: Format, kind: HashKind? = nil, emit: (String) -> Void) {
    switch format {
    case .csv:
      emit("id,label,pdq,pdq_quality,phash,md5,sha1,sha256")
      for e in set.entries {
        emit([
          CSVField.quote(e.id), CSVField.quote(e.label), e.pdq?.hexString ?? "", e.pdqQuality.map(String.init) ?? "",
          e.phash?.hexString ?? "", e.md5?.hexString ?? "", e.sha1?.hexString ?? "", e.sha256?.hexString ?? "",
        ].joined(separator: ","))
      }
    case .plain:
      switch kind ?? .pdq {
      case .pdq: for (i, h) in set.pdqHashes.enumerated() where set.pdqVariants[i] == 0 { emit(h.hexString) }
      case .phash: for h in set.phashes { emit(h.hexString) }
      case let k:
        guard let column = set.digests[k] else { break }
        for row in column.rowsInEntryOrder { emit(column[row].hexString) }
      }
    case .pdqCLI:
      for (i, h) in set.pdqHashes.enumerated() where set.pdqVariants[i] == 0 {
        let q = set.pdqQualities[i]
        emit("\(h.hexString),\(q == 255 ? 100 : Int(q)),\(set.id(of: Int(set.pdqEntries[i])))")
      }
    case .vpdq:
      for video in set.videos {
        emit("# " + String(set.id(of: video.entry).map { $0.isNewline ? " " : $0 }))
        for frame in video.features { emit(VPDQText.line(frame)) }
      }
    case .threatExchange:
      emit("signal_type,signal_str,collab,category,tags")
      for (i, h) in set.pdqHashes.enumerated() where set.pdqVariants[i] == 0 {
        emit("pdq,\(h.hexString),\(CSVField.quote(set.name)),\(CSVField.quote(set.label(of: Int(set.pdqEntries[i])))),")
      }
      let md5s = set.digests[.md5]
      for row in md5s?.rowsInEntryOrder ?? [] {
        let entry = Int(md5s!.entries[row])
        emit("photo_md5,\(md5s![row].hexString),\(CSVField.quote(set.name)),\(CSVField.quote(set.label(of: entry))),")
      }
    }
  }
}
