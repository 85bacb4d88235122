package org.fedtel.crypto.secagg;

import java.util.List;

/** The exact sum mod 2^k of the survivors' inputs, and who survived and who dropped. */
public record AggregateResult(long round, long[] sum, List<String> survivors, List<String> dropped) {
  public AggregateResult {
    if (sum == null) {
      throw new IllegalArgumentException("sum is null");
    }
    sum = sum.clone();
    survivors = Bytes.copy(survivors, "survivors");
    dropped = Bytes.copy(dropped, "dropped");
  }

  @Override public long[] sum() { return sum.clone(); }
}
