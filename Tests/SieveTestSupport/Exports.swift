// The seeded generator the tests use (SplitMix64) lives in SieveCore, beside the eval suite
// that uses it too.
@_exported import SieveCore
