import CIndexKernels

/// The bytes of a ``MultiIndexHashTable``'s tables, laid out by its ``MultiIndexLayout``:
/// every table's offset directory (4-byte little-endian counts, 2^key + 1 a table), then
/// every table's entry ids packed `idBits` bits each. Either allocated by the index that
/// built them, or a view of bytes someone else owns (a set file read or mapped into
/// memory), kept alive by `owner`.
///
/// Bytes that came from a file are never trusted: every offset read is clamped to the
/// entry count and every id checked against it, so a damaged, hostile or (when mapped)
/// rewritten file can make a query miss entries but never read outside the tables.
public final class MultiIndexTables: @unchecked Sendable {
  /// The first byte (8-byte aligned).
  let base: UnsafeRawPointer
  /// The number of bytes.
  public let byteCount: Int
  private let allocated: UnsafeMutableRawPointer?
  /// The bytes allocated (at least ``byteCount``; 0 for a view).
  private let capacity: Int
  /// What keeps viewed bytes alive (a mapped file), nil for owned storage.
  public let owner: AnyObject?

  /// Zeroed storage of `byteCount` bytes, owned by this object.
  init(zeroed byteCount: Int) {
    let (memory, capacity) = RecycledTableMemory.shared.take(byteCount: byteCount)
    sieve_advise_huge_pages(memory, capacity)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 8))
    base = UnsafeRawPointer(memory)
    self.byteCount = byteCount
    allocated = memory
    self.capacity = capacity
    owner = nil
  }

  /// A view of `bytes`, which `owner` keeps alive; the start must be 8-byte aligned.
  public init(viewing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
    precondition(bytes.baseAddress.map { Int(bitPattern: $0) & 7 == 0 } ?? true, "tables must be 8-byte aligned")
    base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
    byteCount = bytes.count
    allocated = nil
    capacity = 0
    self.owner = owner
  }

  /// A copy of `bytes` owned by this object.
  ///
  /// The memory comes from tables freed earlier when some of about this size were
  /// (``RecycledTableMemory``): a reloaded set takes the memory of the version it replaced.
  public init(copying bytes: UnsafeRawBufferPointer) {
    let (memory, capacity) = RecycledTableMemory.shared.take(byteCount: bytes.count)
    sieve_advise_huge_pages(memory, capacity)
    if let source = bytes.baseAddress { memory.pacedCopyMemory(from: source, byteCount: bytes.count) }
    base = UnsafeRawPointer(memory)
    byteCount = bytes.count
    allocated = memory
    self.capacity = capacity
    owner = nil
  }

  deinit {
    if let allocated { RecycledTableMemory.shared.give(allocated, capacity: capacity) }
  }

  /// The storage's bytes, for writing them to a file.
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

  /// Writable bytes, only while the index that allocated them builds its tables.
  var mutableBase: UnsafeMutableRawPointer { UnsafeMutableRawPointer(mutating: base) }
}
