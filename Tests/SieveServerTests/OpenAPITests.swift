import Foundation
import Testing

@testable import SieveServer

/// The committed OpenAPI document and the route table agree both ways.
@Suite struct OpenAPITests {
  static func document() throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(PackageResources.openapi_json)) as? [String: Any])
  }

  @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
    let document = try Self.document()
    #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    var documented = Set<String>()
    for (path, operations) in paths {
      for method in operations.keys where ["get", "post", "put", "delete", "patch", "head"].contains(method) {
        documented.insert("\(method.uppercased()) \(path)")
      }
    }
    let served = Set(ServiceRoute.all.map { "\($0.methodName) \($0.path)" })
    #expect(documented == served, "documented only: \(documented.subtracting(served)); served only: \(served.subtracting(documented))")
  }

  @Test func keyedRoutesDeclareSecurityAndRole() throws {
    let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
    for route in ServiceRoute.all {
      let operation = try #require(paths[route.path]?[route.methodName.lowercased()] as? [String: Any], "\(route.path)")
      let security = operation["security"] as? [[String: Any]] ?? []
      if let role = route.role {
        #expect(!security.isEmpty, "\(route.path) needs a key")
        #expect(operation["x-sieve-role"] as? String == role.rawValue, "\(route.path)")
        let responses = try #require(operation["responses"] as? [String: Any])
        #expect(responses["401"] != nil && responses["429"] != nil, "\(route.path)")
      } else {
        #expect(security.isEmpty, "\(route.path) is open")
      }
    }
  }
}
