import ArgumentParser
import SieveCore
import Foundation
import SieveServer

/// `sieve serve keys`: the service's API keys file.
struct ServeKeysCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys",
    abstract: "Add, list and revoke the service's API keys.",
    discussion: """
      The keys file holds, per key, its id, name, role, optional rate and a salted SHA-256 \
      of the secret; the key itself is printed once, by `add`, and is not stored. A running \
      service picks up changes on SIGHUP or POST /v1/hashsets/reload.

      Roles: match (hash, match, batch, list sets) and admin (also reload, and sees the set \
      files' paths).
      """,
    subcommands: [Add.self, List.self, Revoke.self]
  )

  struct FileOption: ParsableArguments {
    @Option(help: "The keys file (created by the first `add`, mode 0600).")
    var keys: String
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Make a key and print it once on standard output.",
      discussion: """
        Example:
          KEY=$(sieve serve keys add --keys keys.json --name upload-pipeline \\
            --role match --rate 500)
        """)

    @OptionGroup var file: FileOption

    @Option(help: "Who or what the key is for.")
    var name: String

    @Option(help: "match or admin.")
    var role: String = "match"

    @Option(help: "Requests per second for this key (default: the service's --rate-limit).")
    var rate: Double?

    func validate() throws {
      guard APIKeyRole(rawValue: role) != nil else { throw ValidationError("--role must be match or admin") }
      if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of requests per second") }
    }

    func run() throws {
      do {
        let (record, key) = try APIKeyStore.update(file.keys) { (store) throws(APIKeyError) in
          try store.add(name: name, role: APIKeyRole(rawValue: role)!, ratePerSecond: rate)
        }
        print(key)
        LineWriter.standardError().write(
          "sieve: added key \(record.id) (\(record.role.rawValue)) for \(record.name) to \(file.keys); store the key now, it is not kept. "
            + "A running service takes it on SIGHUP or POST /v1/hashsets/reload.")
      } catch {
        LineWriter.standardError().write("sieve: \(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys (never the secrets), as a table or JSON lines.")

    @OptionGroup var file: FileOption

    @Flag(help: "One JSON object per key.")
    var json = false

    func run() throws {
      let output = LineWriter.standardOutput()
      defer { output.flush() }
      do {
        let store = try APIKeyStore.load(file.keys)
        if json {
          let encoder = JSONEncoder()
          encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
          for record in store.records {
            var shown = record
            shown.salt = ""
            shown.sha256 = ""
            let object = try JSONSerialization.jsonObject(with: encoder.encode(shown)) as! [String: Any]
            let visible = object.filter { $0.key != "salt" && $0.key != "sha256" }
            output.write(String(decoding: try JSONSerialization.data(withJSONObject: visible, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
          }
        } else {
          // Tab-separated for scripts; each name escaped like every other text output.
          output.write(["id", "role", "rate", "created", "revoked", "name"].joined(separator: "\t"))
          for r in store.records {
            let rate = r.ratePerSecond.map { String($0) } ?? "-"
            output.write([r.id, r.role.rawValue, rate, r.created, r.revoked ?? "-", TerminalText.escape(r.name)].joined(separator: "\t"))
          }
        }
      } catch {
        LineWriter.standardError().write("sieve: \(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
  }

  struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke",
      abstract: "Revoke a key by id; a running service refuses it after SIGHUP or a reload.")

    @OptionGroup var file: FileOption

    @Argument(help: "The key's id (8 hex digits, as `list` shows).")
    var id: String

    func run() throws {
      do {
        guard FileManager.default.fileExists(atPath: file.keys) else { throw APIKeyError.io(path: file.keys, reason: "no such file") }
        try APIKeyStore.update(file.keys) { (store) throws(APIKeyError) in try store.revoke(id: id) }
        LineWriter.standardError().write(
          "sieve: revoked key \(id); a running service refuses it after SIGHUP or POST /v1/hashsets/reload")
      } catch {
        LineWriter.standardError().write("sieve: \(error)")
        throw ExitCode(ExitStatus.someFailed)
      }
    }
  }
}
