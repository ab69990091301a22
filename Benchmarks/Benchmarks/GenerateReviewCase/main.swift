import Foundation
import ReviewCaseMaker

// Makes the generated case the review workspace is measured on:
//   swift run --package-path Benchmarks -c release GenerateReviewCase /tmp/review-100k [matches]
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
  FileHandle.standardError.write(Data("usage: GenerateReviewCase CASE_FOLDER [MATCHES]\n".utf8))
  exit(2)
}
let matches = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let made = try ReviewCaseMaker.make(folder: arguments[1], matches: matches)
print("\(arguments[1]): \(made.files) files, \(made.matchedFiles) matched, \(made.matches) matches, \(made.decisions) decisions, in \(String(format: "%.1f", made.seconds)) s")
