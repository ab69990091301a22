import HTTPTypes

extension HTTPFields {
  /// The same as `self[name]` (a field sent several times gives its values joined with
  /// commas), without building a new string when the field is sent once. The service
  /// reads a few fields of every request, and the subscript's joins were 2 % of its CPU.
  func value(_ name: HTTPField.Name) -> String? {
    var found: String?
    for field in self where field.name == name {
      if found != nil { return self[name] }
      found = field.value
    }
    return found
  }

  /// Whether a body follows a head with these fields: chunked, or a Content-Length over 0.
  var announcesBody: Bool {
    if value(.transferEncoding) != nil { return true }
    return value(.contentLength).flatMap { Int($0) }.map { $0 > 0 } ?? false
  }
}
