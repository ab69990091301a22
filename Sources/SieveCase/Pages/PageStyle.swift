/// The stylesheet of Sieve's pages, shared by the static HTML report (inlined) and the
/// review app (served), so both look alike.
public enum PageStyle {
  public static let css = String(decoding: PackageResources.sieve_css, as: UTF8.self)
}
