import SieveCore
import SieveHashSets
import SieveHashing

extension HashSetEntry {
  /// The entry of a known image: its PDQ hash and quality, the PDQ hashes of the variants
  /// computed (an augmented set's) whose quality reaches `minimumVariantQuality` (a flat
  /// crop's hash is noise, and would match noise), its pHash, and its file's digests when
  /// given.
  public init(id: String, label: String, hashes: ImageHashes, digests: FileDigests? = nil, minimumVariantQuality: Int = 50) {
    self.init(id: id, label: label, pdq: hashes.pdq?.hash, pdqQuality: hashes.pdq?.quality, phash: hashes.phash)
    pdqVariants = (hashes.pdq?.variants ?? []).filter { !$0.variant.isQueryOnly && $0.quality >= minimumVariantQuality }.map {
      Variant(variant: $0.variant, hash: $0.hash, quality: $0.quality)
    }
    if let digests { (md5, sha1, sha256) = (digests.md5, digests.sha1, digests.sha256) }
  }
}
