package org.fedtel.crypto.secagg;

/**
 * Round 2 (MaskedInputCollection): y = x + PRG(b) + Σ ±PRG(s_uv) mod 2^k, one element per
 * coordinate, each in [0, 2^k) read as unsigned. Wire: {@code fedtel.v1.MaskedInput.values}.
 */
public record MaskedInput(long round, long[] values) {
  public MaskedInput {
    if (values == null) {
      throw new IllegalArgumentException("values is null");
    }
    values = values.clone();
  }

  @Override public long[] values() { return values.clone(); }

  /** Length without copying. */
  public int length() {
    return values.length;
  }

  long valueAt(int i) {
    return values[i];
  }
}
