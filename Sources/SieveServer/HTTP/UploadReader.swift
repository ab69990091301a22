import SieveCore
import Hummingbird
import NIOCore

/// Reads request bodies for the service within a deadline and a shared byte budget, so
/// that slow or stalled clients cost neither a hashing worker nor much memory.
///
/// - The whole body must arrive within the service's body timeout of its head
///   (``BodyDeadlineHandler``, on the event loop); a client that trickles bytes gets 408
///   and its connection is closed.
/// - Every body being read or waiting for a worker holds its bytes in ``UploadBudget``,
///   reserved as they arrive (not as declared): when the budget is spent the request gets
///   503 at once. A client that declares 32 MiB and sends a byte a second holds one byte.
/// - Hashing workers are taken only after the body is complete (``HashingPool/admit()``).
struct UploadReader: Sendable {
  let budget: UploadBudget

  /// The body, whose bytes stay reserved in the budget until ``Body/release()`` (or deinit).
  final class Body: Sendable {
    let buffer: ByteBuffer
    private let reservation: UploadBudget.Reservation

    fileprivate init(buffer: ByteBuffer, reservation: UploadBudget.Reservation) {
      self.buffer = buffer
      self.reservation = reservation
    }

    func release() { reservation.release() }
  }

  /// Reads `request`'s body, at most `limit` bytes.
  ///
  /// - Throws: `HTTPError` 413 (over `limit`, from Content-Length before reading), 408
  ///   (not complete within the body timeout), 503 (the budget is spent), 400 (a read error).
  ///
  /// - Parameter owner: who the bytes are counted against (the key id, or the client's
  ///   address when the service runs without keys).
  func read(_ request: Request, limit: Int, owner: String, reading: BodyReading) async throws -> Body {
    if let length = request.headers.value(.contentLength).flatMap(Int.init), length > limit {
      // Left unread: UnreadBodyMiddleware ends the stream, and the connection with it.
      throw HTTPError(.contentTooLarge, message: "the body is \(length) bytes; the limit is \(limit)")
    }
    reading.start()
    let reservation = UploadBudget.Reservation(budget: budget, owner: owner, limit: limit)
    var collected = ByteBuffer()
    do {
      var chunks = request.body.makeAsyncIterator()
      while let chunk = try await chunks.next() {
        var refusal: HTTPError?
        if collected.readableBytes + chunk.readableBytes > limit {
          refusal = HTTPError(.contentTooLarge, headers: [.connection: "close"], message: "the body is over the \(limit)-byte limit")
        } else if !reservation.grow(by: chunk.readableBytes) {
          refusal = HTTPError(
            .serviceUnavailable, headers: [.retryAfter: "1", .connection: "close"],
            message: "the service holds its \(budget.capacity) bytes of uploads, or this client its share of them, already; retry shortly")
        }
        if let refusal {
          // The rest of the body is not read: the stream ends, and the connection
          // closes once the answer is written (else it would be drained without end).
          await Self.endStream(chunks)
          throw refusal
        }
        var chunk = chunk
        collected.writeBuffer(&chunk)
      }
    } catch let late as BodyDeadlineHandler.Exceeded {
      reservation.release()
      // The stream has ended with the error: Hummingbird closes the connection once this
      // answer is written.
      throw HTTPError(.requestTimeout, headers: [.connection: "close"], message: "\(late); send it at once")
    } catch {
      reservation.release()
      throw error
    }
    return Body(buffer: collected, reservation: reservation)
  }

  /// Ends a request's inbound stream without reading the rest of its body: a `next()`
  /// made from a cancelled task terminates the NIO stream (its reads stop), so
  /// Hummingbird closes the connection after the response instead of draining the body,
  /// which a client can trickle for as long as it likes. The iterator is driven from a
  /// child task, cancelled, so that the request's own task is not.
  static func endStream(_ iterator: RequestBody.AsyncIterator) async {
    let box = UncheckedIterator(iterator: iterator)
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        var iterator = box.iterator
        withUnsafeCurrentTask { $0?.cancel() }
        _ = try? await iterator.next()
      }
    }
  }

  /// An iterator handed to the child task of ``endStream(_:)``, which the caller awaits
  /// without touching the iterator meanwhile.
  private struct UncheckedIterator: @unchecked Sendable {
    let iterator: RequestBody.AsyncIterator
  }

  /// Ends the inbound stream of a body nothing has read (see ``endStream(_:)``).
  static func abandon(_ body: RequestBody) async {
    await endStream(body.makeAsyncIterator())
  }

  static func seconds(_ duration: Duration) -> String {
    let (s, attoseconds) = duration.components
    return attoseconds == 0 ? "\(s)" : String(Double(s) + Double(attoseconds) / 1e18)
  }
}

/// The bytes of request bodies the service holds at once (being read, or waiting for a
/// hashing worker). Never blocks: a reservation that does not fit fails. One owner (an API
/// key, or a client address without keys) may hold at most a quarter of it (and at least
/// one largest body), so one key that starts many large uploads and stalls cannot take it
/// all from the others.
final class UploadBudget: Sendable {
  let capacity: Int
  private struct Usage {
    var total = 0
    var byOwner: [String: Int] = [:]
  }
  private let used = Locked(Usage())

  init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  /// Bytes held now.
  var inUse: Int { used.withLock { $0.total } }

  /// The most one owner may hold, for bodies of at most `limit` bytes.
  func ownerCapacity(limit: Int) -> Int { min(capacity, max(capacity / 4, limit)) }

  /// One body's bytes, grown as they arrive; given back once.
  final class Reservation: Sendable {
    private let budget: UploadBudget
    private let owner: String
    private let ownerCapacity: Int
    private let bytes = Locked(0)

    init(budget: UploadBudget, owner: String, limit: Int) {
      self.budget = budget
      self.owner = owner
      self.ownerCapacity = budget.ownerCapacity(limit: limit)
    }

    /// Reserves `count` more bytes; false (nothing reserved) when they do not fit in the
    /// budget or in the owner's share.
    func grow(by count: Int) -> Bool {
      guard count > 0 else { return true }
      let fits = budget.used.withLock { used -> Bool in
        let mine = used.byOwner[owner, default: 0]
        guard used.total + count <= budget.capacity, mine + count <= ownerCapacity else { return false }
        used.total += count
        used.byOwner[owner] = mine + count
        return true
      }
      if fits { bytes.withLock { $0 += count } }
      return fits
    }

    /// Gives every byte back; later calls do nothing.
    func release() {
      let held = bytes.withLock { value -> Int in
        defer { value = 0 }
        return value
      }
      guard held > 0 else { return }
      budget.used.withLock { used in
        used.total -= held
        let left = used.byOwner[owner, default: 0] - held
        used.byOwner[owner] = left > 0 ? left : nil
      }
    }

    deinit { release() }
  }
}
