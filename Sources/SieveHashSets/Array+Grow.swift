extension Array {
  /// Room for `target` elements; when the array must move for it, room for half as many
  /// again as it had at least, so that columns grown list after list stay amortized.
  mutating func grow(toHold target: Int) {
    if capacity < target { reserveCapacity(Swift.max(target, capacity + capacity / 2)) }
  }
}
