import HTTPTypes
import Hummingbird

// The hot answers and the audit line written by hand (``JSONBytes``), members in sorted
// key order; `JSONEncoder` writes everything else, and these too when a value fails.

extension API.Hashes.VPDQFrame: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("frame", frame)
      o.member("pdq", pdq)
      o.member("quality", quality)
      o.member("timestamp", timestamp)
    }
  }
}

extension API.Hashes: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("height", height)
      o.member("md5", md5)
      o.member("pdq", pdq)
      o.member("pdq_quality", pdq_quality)
      o.member("phash", phash)
      o.member("sha1", sha1)
      o.member("sha256", sha256)
      o.member("stopped_early", stopped_early)
      o.member("vpdq", vpdq)
      o.member("width", width)
    }
  }
}

extension API.Match: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("compared_match_percent", compared_match_percent)
      o.member("distance", distance)
      o.member("expected_false_matches", expected_false_matches)
      o.member("frame", frame)
      o.member("frame_time", frame_time)
      o.member("id", id)
      o.member("kind", kind)
      o.member("label", label)
      o.member("orientation", orientation)
      o.member("picture", picture)
      o.member("query_match_percent", query_match_percent)
      o.member("query_pdq", query_pdq)
      o.member("set", set)
    }
  }
}

extension API.SetVersion: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("checksum", checksum)
      o.member("name", name)
    }
  }
}

extension API.Timing: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("hash_ms", hash_ms)
      o.member("match_ms", match_ms)
      o.member("total_ms", total_ms)
    }
  }
}

extension API.MatchResponse: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("hashes", hashes)
      o.member("low_quality", low_quality)
      o.member("matches", matches)
      o.member("request_id", request_id)
      o.member("sets", sets)
      o.member("timing", timing)
    }
  }
}

extension API.BatchResult: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("low_quality", low_quality)
      o.member("matches", matches)
      o.member("ref", ref)
    }
  }
}

extension API.BatchResponse: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    json.object { o in
      o.member("request_id", request_id)
      o.member("results", results)
      o.member("sets", sets)
      o.member("timing", timing)
    }
  }
}

extension API.AuditEntry: JSONBytesEncodable {
  func write(to json: inout JSONBytes) {
    // A reload's line is rare and holds the whole reload answer: `JSONEncoder` writes it.
    guard reload == nil else { return json.fail() }
    json.object { o in
      o.member("batch_index", batch_index)
      o.member("client", client)
      o.member("event", event)
      o.member("hashes", hashes)
      o.member("key", key)
      o.member("matches", matches)
      o.member("reason", reason)
      o.member("ref", ref)
      o.member("request_id", request_id)
      o.member("route", route)
      o.member("sets", sets)
      o.member("source", source)
      o.member("status", status)
      o.member("time", time)
      o.member("trigger", trigger)
    }
  }
}

extension JSONBytesEncodable {
  /// The value's JSON as ``JSONBytes`` writes it, nil when it could not (then `JSONEncoder`
  /// is asked, and says why).
  var jsonBytes: [UInt8]? {
    var json = JSONBytes()
    write(to: &json)
    return json.failed ? nil : json.bytes
  }
}

extension JSONBytesEncodable where Self: ResponseEncodable {
  /// A `200 OK` JSON answer with the value, as `response(from:context:)` gives it with
  /// the service's encoder (sorted keys, unescaped slashes), written by ``JSONBytes``.
  func jsonResponse(from request: Request, context: SieveRequestContext) throws -> Response {
    guard let bytes = jsonBytes else { return try response(from: request, context: context) }
    return Response(
      status: .ok,
      headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(bytes.count)],
      body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
